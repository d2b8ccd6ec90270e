"""Access to releases: load, fetch, cache, the registry of released versions."""
