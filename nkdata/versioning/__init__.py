"""Versions: SemVer, diffs between releases, recording a release."""
