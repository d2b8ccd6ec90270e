"""Outputs made from a release for people to read: coverage tables (and, later, SQLite, a site, plots)."""
