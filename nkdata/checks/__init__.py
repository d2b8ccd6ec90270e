"""Checks of records, run on curated YAML and on built packages."""
