"""A local on-disk cache of remote blocks, capped in bytes, least recently used evicted first.

fsspec's caching filesystems (``blockcache``, ``filecache``, ``simplecache``) keep every file
they ever fetched: they expire entries by age but enforce no size cap. This one keeps one file
per block under ``root``, named by a hash of (URL, version, block) so a changed object never
serves old bytes, and evicts the least recently used blocks once the total passes the cap.
Several processes may share a folder: writes are atomic (temporary file, then rename), each
process re-counts the folder after writing 1/16 of the cap, so the folder exceeds the cap by
at most 1/16 of it per process between counts.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

__all__ = ["DiskBlockCache", "parse_size"]

_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30, "TIB": 1 << 40}  # fmt: skip
_SUFFIX = ".blk"


def parse_size(size: int | float | str) -> int:
    """Bytes from ``20e9``, ``"20GB"``, ``"1.5 GiB"``, ``"500MB"``.

    Raises:
        ValueError: Not a size, or not positive.
    """
    if isinstance(size, bool):
        raise TypeError(
            f"cache_size must be a number of bytes or a string like '20GB', got {size!r}"
        )
    if isinstance(size, int | float):
        value = float(size)
    else:
        text = str(size).strip().upper().replace(" ", "")
        number = text.rstrip("KMGTIB")
        unit = text[len(number) :]
        if unit not in _UNITS or not number:
            raise ValueError(
                f"cache_size {size!r} is not a size; use bytes or a string like '20GB' or '512MiB'"
            )
        value = float(number) * _UNITS[unit]
    if value <= 0:
        raise ValueError(f"cache_size ({size!r}) must be > 0")
    return int(value)


class DiskBlockCache:
    """Blocks of remote objects on local disk, capped at ``max_bytes``.

    Args:
        root: The cache folder (created on first write).
        max_bytes: The cap.
    """

    def __init__(self, root: str | os.PathLike[str], max_bytes: int) -> None:
        self.root = Path(root).expanduser()
        self.max_bytes = int(max_bytes)
        self._counted: int | None = None  # bytes in the folder at the last count, plus writes
        self._since_count = 0
        self.hits = 0
        self.misses = 0

    def _file(self, url: str, version: str, block: int) -> Path:
        digest = hashlib.sha1(f"{url}\0{version}\0{block}".encode("utf-8", "surrogateescape"))
        name = digest.hexdigest()
        return self.root / name[:2] / f"{name[2:]}{_SUFFIX}"

    def get(self, url: str, version: str, block: int) -> bytes | None:
        """The block's bytes, or ``None``; a hit marks the block as recently used."""
        file = self._file(url, version, block)
        try:
            data = file.read_bytes()
            os.utime(file)
        except OSError:
            self.misses += 1
            return None
        self.hits += 1
        return data

    def put(self, url: str, version: str, block: int, data: bytes) -> None:
        """Store a block (best effort: a full or read-only disk only costs the cache)."""
        if len(data) > self.max_bytes:
            return
        file = self._file(url, version, block)
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=file.parent)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temp, file)
        except OSError:
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(temp)
            return
        if self._counted is None:
            self._counted = self.size()
        else:
            self._counted += len(data)
        self._since_count += len(data)
        if self._counted > self.max_bytes or self._since_count > self.max_bytes // 16:
            self._evict()

    def size(self) -> int:
        """Bytes held in the folder now."""
        return sum(size for _, _, size in self._entries())

    def _entries(self) -> list[tuple[float, Path, int]]:
        entries = []
        with contextlib.suppress(OSError):
            for sub in os.scandir(self.root):
                if not sub.is_dir():
                    continue
                with contextlib.suppress(OSError):
                    for entry in os.scandir(sub.path):
                        if entry.name.endswith(_SUFFIX):
                            with contextlib.suppress(OSError):
                                stat = entry.stat()
                                entries.append((stat.st_mtime, Path(entry.path), stat.st_size))
        return entries

    def _evict(self) -> None:
        """Delete least recently used blocks until the folder holds at most 90% of the cap."""
        entries = sorted(self._entries(), key=lambda entry: entry[0])
        total = sum(size for _, _, size in entries)
        if total > self.max_bytes:
            goal = self.max_bytes * 9 // 10
            for _, path, size in entries:
                if total <= goal:
                    break
                with contextlib.suppress(OSError):
                    path.unlink()
                    total -= size
        self._counted = total
        self._since_count = 0
