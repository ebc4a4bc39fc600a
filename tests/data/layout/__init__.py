"""Layout test helpers: empty files with video extensions stand in for videos (layouts never
open a video)."""

from __future__ import annotations

from pathlib import Path


def touch(root: Path, *relative: str) -> list[str]:
    """Create empty files at ``root / relative``; return their paths."""
    paths = []
    for rel in relative:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
        paths.append(str(path))
    return paths
