"""Files generated from the code (schemas, data dictionary, CLI reference): write them, or
list the ones that drifted, so CI can fail when someone edits code without regenerating."""

from __future__ import annotations

from pathlib import Path


def stale(root: Path, files: dict[str, str]) -> list[str]:
    """Paths (relative to ``root``) that are missing or differ from ``files``' content."""
    out = []
    for rel, content in files.items():
        path = root / rel
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            out.append(rel)
    return out


def write(root: Path, files: dict[str, str]) -> list[str]:
    """Write the stale files; return their paths."""
    changed = stale(root, files)
    for rel in changed:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[rel], encoding="utf-8", newline="\n")
    return changed
