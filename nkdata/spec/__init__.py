"""The specification: vocabularies, record models, rules, and the column types every reader and writer derives from."""
