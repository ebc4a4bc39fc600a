"""Shared-memory segments that carry decoded clips from worker processes to the loader.

A worker writes a task's output (decoded frames, or a cut of encoded packets) straight into a
segment it owns; the loader maps the same segment and hands DALI zero-copy views of it; when the
batch is done the loader tells the worker the segment is free again. Nothing is pickled or
copied through a pipe on the way.

Segments are plain files in ``/dev/shm`` (tmpfs: RAM, no disk I/O), named
``<prefix>-w<worker>-<n>``. The loader owns the prefix and removes every file under it when it
closes, so a worker killed mid-epoch (the out-of-memory killer, say) leaks nothing.
"""

from __future__ import annotations

import contextlib
import glob
import mmap
import os
import tempfile
import uuid

import numpy as np

__all__ = ["SegmentPool", "SegmentViews", "new_prefix", "remove_segments"]

_MIN_SEGMENT_BYTES = 1 << 20


def _shm_dir() -> str:
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        return "/dev/shm"
    return tempfile.gettempdir()


def new_prefix() -> str:
    """A fresh segment-name prefix (absolute path) for one loader's worker pool."""
    return os.path.join(_shm_dir(), f"fastvid-{os.getpid()}-{uuid.uuid4().hex[:12]}")


def remove_segments(prefix: str) -> int:
    """Delete every segment file under ``prefix``; returns how many were removed."""
    removed = 0
    for path in glob.glob(glob.escape(prefix) + "-*"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
            removed += 1
    return removed


class _Segment:
    def __init__(self, path: str, size: int) -> None:
        self.path = path
        self.size = size
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
        try:
            os.ftruncate(fd, size)
            self.map = mmap.mmap(fd, size)
        finally:
            os.close(fd)
        self.array = np.frombuffer(self.map, dtype=np.uint8)

    def close(self) -> None:
        del self.array
        with contextlib.suppress(BufferError):  # a view still exported: the map dies with it
            self.map.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


class SegmentPool:
    """A worker's segments: reused once the loader frees them, grown on demand.

    Args:
        prefix: The loader's prefix (from :func:`new_prefix`).
        worker_id: This worker's number (part of the file names).
    """

    def __init__(self, prefix: str, worker_id: int) -> None:
        self._prefix = f"{prefix}-w{worker_id}"
        self._counter = 0
        self._free: dict[str, _Segment] = {}
        self._busy: dict[str, _Segment] = {}

    def acquire(self, nbytes: int) -> tuple[str, np.ndarray]:
        """A free segment of at least ``nbytes`` bytes: its name and a writable uint8 view."""
        fitting = [s for s in self._free.values() if s.size >= nbytes]
        if fitting:
            segment = min(fitting, key=lambda s: s.size)
            del self._free[segment.path]
        else:
            size = max(_MIN_SEGMENT_BYTES, 1 << max(nbytes - 1, 1).bit_length())
            self._counter += 1
            segment = _Segment(f"{self._prefix}-{self._counter}", size)
            # keep the number of idle segments bounded: drop the smallest free one
            if len(self._free) > 8:
                smallest = min(self._free.values(), key=lambda s: s.size)
                del self._free[smallest.path]
                smallest.close()
        self._busy[segment.path] = segment
        return segment.path, segment.array

    def release(self, name: str) -> None:
        """The loader is done with segment ``name``: it may be reused."""
        segment = self._busy.pop(name, None)
        if segment is not None:
            self._free[name] = segment

    def close(self) -> None:
        """Unmap and delete every segment."""
        for segment in [*self._free.values(), *self._busy.values()]:
            segment.close()
        self._free.clear()
        self._busy.clear()


class SegmentViews:
    """The loader's side: maps workers' segments by name (once each) and views into them."""

    def __init__(self) -> None:
        self._maps: dict[str, tuple[mmap.mmap, np.ndarray]] = {}

    def view(self, name: str, offset: int, nbytes: int) -> np.ndarray:
        """``nbytes`` bytes of segment ``name`` from ``offset``, as a uint8 array (no copy)."""
        entry = self._maps.get(name)
        if entry is None or len(entry[1]) < offset + nbytes:
            if entry is not None:
                self._forget(name)
            fd = os.open(name, os.O_RDWR)
            try:
                size = os.fstat(fd).st_size
                mapped = mmap.mmap(fd, size)
            finally:
                os.close(fd)
            entry = (mapped, np.frombuffer(mapped, dtype=np.uint8))
            self._maps[name] = entry
        return entry[1][offset : offset + nbytes]

    def _forget(self, name: str) -> None:
        mapped, array = self._maps.pop(name)
        del array
        with contextlib.suppress(BufferError):
            mapped.close()

    def close(self) -> None:
        """Unmap everything (views handed out keep their pages alive until dropped)."""
        for name in list(self._maps):
            self._forget(name)
