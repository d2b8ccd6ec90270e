"""Outputs made from a release for people to read: coverage tables, a SQLite database, a static site and its charts."""
