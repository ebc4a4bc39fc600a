"""A seekable, read-only file over ranged requests: blocks fetched on demand, kept in a small
in-memory LRU and, optionally, in a capped on-disk cache shared by processes.

FFmpeg reads a video through it like a local file: the header (``moov``, EBML), then the
packets of the GOPs a clip needs. Only the blocks those reads touch are fetched; adjacent
missing blocks are fetched in one request. Every request retries transient errors
(:func:`~fastvid.data.storage._retry.with_retries`); a response of the wrong length (a server
that ignored the ``Range`` header, a dropped connection) is never handed on as data.
"""

from __future__ import annotations

import io
import os
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastvid.data.storage._diskcache import DiskBlockCache
from fastvid.data.storage._retry import RemoteReadError, with_retries
from fastvid.data.storage._urls import redact

__all__ = ["RemoteFile", "SizedReader", "choose_block_size"]

MIN_BLOCK = 64 << 10
MAX_BLOCK = 4 << 20
MEMORY_BYTES = 16 << 20
"""Blocks kept in memory per open file (at least 4 blocks): a worker keeps a few files open."""


def choose_block_size(size: int) -> int:
    """A block of about 1/32 of the file, a power of two in [64 KiB, 4 MiB].

    A clip needs one or two GOPs, typically 1/10 to 1/50 of a short video; blocks of that
    order keep the bytes fetched per clip within a small multiple of the GOP bytes while a
    whole GOP still arrives in a few requests.
    """
    target = max(MIN_BLOCK, min(MAX_BLOCK, size // 32))
    return 1 << (target.bit_length() - 1)


class SizedReader(io.RawIOBase):
    """A read-only, seekable raw file of ``size`` bytes; subclasses define :meth:`read`.

    ``seek`` takes the three ``whence`` values; a position before 0 goes to
    :meth:`_valid_position`, which clamps it to 0 (a subclass may raise instead).
    """

    size: int
    _position: int = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self.size}[whence]
        self._position = self._valid_position(base + offset)
        return self._position

    def _valid_position(self, position: int) -> int:
        return max(0, position)

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)


class RemoteFile(SizedReader):
    """Read-only random access to one remote object of known size and version.

    Args:
        url: The object's URL (for messages and the disk cache key).
        fetch: ``fetch(start, end)`` returns bytes ``[start, end)`` (one ranged request).
        size: The object's size in bytes.
        version: The object's version (ETag, version id): part of the disk cache key.
        block_size: Bytes per block. Default: :func:`choose_block_size`.
        disk: A shared on-disk block cache, or ``None``.
        attempts: Tries per request (transient errors). Default: 4.
        backoff: Seconds before the second try, doubled after each. Default: 0.25.
    """

    def __init__(
        self,
        url: str,
        fetch: Callable[[int, int], bytes],
        size: int,
        version: str,
        *,
        block_size: int | None = None,
        disk: DiskBlockCache | None = None,
        attempts: int = 4,
        backoff: float = 0.25,
    ) -> None:
        super().__init__()
        self.url = url
        self.size = size
        self.version = version
        self.block_size = block_size or choose_block_size(size)
        self._fetch = fetch
        self._disk = disk
        self._attempts = attempts
        self._backoff = backoff
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        self._max_blocks = max(4, MEMORY_BYTES // self.block_size)
        self._position = 0
        self.bytes_fetched = 0  # from the store (not the disk cache), for tests and benchmarks
        self.requests = 0

    # -- io.RawIOBase
    def _valid_position(self, position: int) -> int:
        if position < 0:
            raise ValueError(f"negative seek position {position} in {redact(self.url)}")
        return position

    def read(self, size: int | None = -1) -> bytes:
        if self.closed:
            raise ValueError(f"read from closed file {redact(self.url)}")
        end = self.size if size is None or size < 0 else min(self.size, self._position + size)
        if end <= self._position:
            return b""
        data = self._range(self._position, end)
        self._position = end
        return data

    def readall(self) -> bytes:
        return self.read(-1)

    def close(self) -> None:
        self._blocks.clear()
        super().close()

    def __repr__(self) -> str:
        return f"RemoteFile({redact(self.url)!r}, size={self.size}, block_size={self.block_size})"

    # -- blocks
    def _range(self, start: int, end: int) -> bytes:
        first, last = start // self.block_size, (end - 1) // self.block_size
        blocks = self._load(first, last)
        data = b"".join(blocks[b] for b in range(first, last + 1))
        offset = first * self.block_size
        return data[start - offset : end - offset]

    def _load(self, first: int, last: int) -> dict[int, bytes]:
        """Blocks ``first..last``; each run of missing ones is fetched in one request."""
        blocks: dict[int, bytes] = {}
        missing: list[int] = []
        for block in range(first, last + 1):
            held = self._blocks.get(block)
            if held is not None:
                self._blocks.move_to_end(block)
                blocks[block] = held
                continue
            cached = self._disk.get(self.url, self.version, block) if self._disk else None
            if cached is not None and len(cached) == self._block_length(block):
                self._keep(block, cached)
                blocks[block] = cached
            else:
                missing.append(block)
        start = 0
        for i in range(1, len(missing) + 1):  # each run of consecutive blocks: one request
            if i == len(missing) or missing[i] != missing[i - 1] + 1:
                blocks.update(self._fetch_run(missing[start], missing[i - 1]))
                start = i
        return blocks

    def _fetch_run(self, first: int, last: int) -> dict[int, bytes]:
        start = first * self.block_size
        end = min(self.size, (last + 1) * self.block_size)
        data = with_retries(
            lambda: self._checked_fetch(start, end),
            self.url,
            attempts=self._attempts,
            backoff=self._backoff,
            what=f"reading bytes {start}-{end - 1}",
        )
        self.bytes_fetched += len(data)
        fetched = {}
        for block in range(first, last + 1):
            offset = (block - first) * self.block_size
            chunk = data[offset : offset + self._block_length(block)]
            fetched[block] = chunk
            self._keep(block, chunk)
            if self._disk is not None:
                self._disk.put(self.url, self.version, block, chunk)
        return fetched

    def _checked_fetch(self, start: int, end: int) -> bytes:
        self.requests += 1
        data = self._fetch(start, end)
        if len(data) == end - start:
            return data
        if len(data) == self.size:  # the server ignored Range and sent the whole object
            return data[start:end]
        if len(data) > end - start or start + len(data) >= self.size:
            raise RemoteReadError(
                self.url,
                f"asked for bytes {start}-{end - 1} and got {len(data)} bytes; the object "
                f"changed since it was indexed or the server does not honour Range requests",
            )
        raise ConnectionError(f"short read: {len(data)} of {end - start} bytes (connection cut?)")

    def _block_length(self, block: int) -> int:
        return min(self.block_size, self.size - block * self.block_size)

    def _keep(self, block: int, data: bytes) -> None:
        self._blocks[block] = data
        self._blocks.move_to_end(block)
        while len(self._blocks) > self._max_blocks:
            self._blocks.popitem(last=False)
