"""The storage API the rest of fastvid uses: :class:`Storage` (fsspec ``storage_options`` and
how to read), :func:`open_video`, :func:`stat`, listing and small text files.

Local paths keep their ``os`` fast path; every other URL goes through fsspec. A
:class:`Storage` is picklable (it holds options, never open connections), so worker processes
started with ``spawn`` get the same view of the data as the loader.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, BinaryIO, cast

from fastvid.data.storage._diskcache import DiskBlockCache, parse_size
from fastvid.data.storage._file import RemoteFile
from fastvid.data.storage._fs import (
    DEFAULT_TIMEOUT,
    FileStat,
    filesystem,
    remote_info,
    remote_list,
)
from fastvid.data.storage._retry import with_retries
from fastvid.data.storage._tar import SCAN_BLOCK, locate_member, split_tar_url
from fastvid.data.storage._urls import is_remote, normalize, redact, redact_options

__all__ = [
    "Storage",
    "StorageLike",
    "as_storage",
    "glob",
    "list_dir",
    "open_video",
    "stat",
    "walk_files",
]

_DISKS: dict[tuple[str, int], DiskBlockCache] = {}  # one per folder and cap, per process
_STATS: dict[tuple[int, str], tuple[float, FileStat]] = {}


@dataclass(frozen=True, eq=False, repr=False)
class Storage:
    """Where videos are read from and how.

    Attributes:
        options: fsspec ``storage_options`` (credentials, ``client_kwargs={"endpoint_url":
            ...}``, per-protocol dicts for chained URLs), passed to fsspec as given.
        block_size: Bytes per ranged request. ``None``: about 1/32 of each file, a power of
            two between 64 KiB and 4 MiB.
        cache_dir: Folder of the local block cache (``None``: no disk cache).
        cache_size: Cap of the block cache in bytes (with ``cache_dir``).
        attempts: Tries per request when the error is transient (5xx, dropped connection,
            timeout).
        backoff: Seconds before the second try, doubled after each failure.
        timeout: Seconds a connection or read may stall, for HTTP(S) and S3, unless
            ``options`` sets its own (other backends keep their own timeouts).
    """

    options: Mapping[str, Any] = field(default_factory=dict)
    block_size: int | None = None
    cache_dir: str | None = None
    cache_size: int = 0
    attempts: int = 4
    backoff: float = 0.25
    timeout: float = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        if not isinstance(self.options, Mapping):
            raise TypeError(
                f"storage_options must be a dict of fsspec options, got "
                f"{type(self.options).__name__}"
            )
        if self.attempts < 1:
            raise ValueError(f"attempts ({self.attempts}) must be >= 1")
        if self.block_size is not None and self.block_size < 1:
            raise ValueError(f"block_size ({self.block_size}) must be >= 1")

    def __repr__(self) -> str:
        cache = f", cache_dir={self.cache_dir!r}, cache_size={self.cache_size}" * bool(
            self.cache_dir
        )
        return f"Storage(options={redact_options(self.options)}{cache})"

    # -- files
    def stat(self, url: str, *, max_age: float = 0.0) -> FileStat:
        """Size and version of a file: ``st_mtime_ns`` locally, version id / ETag remotely.

        Args:
            url: The file.
            max_age: Seconds an answer this process got for the same URL may be reused (a
                worker checks a video before a task, then again when it opens or reuses it:
                one request serves both). Default: 0, always ask.

        Raises:
            FileNotFoundError: It does not exist (the message names it).
            IsADirectoryError: It is a folder.
            RemoteReadError: The store failed after retries.
        """
        if not is_remote(url):
            st = os.stat(normalize(url))
            return FileStat(st.st_size, st.st_mtime_ns)
        in_tar = split_tar_url(url)
        if in_tar is not None:
            return self._locate(*in_tar)[1]
        key = (id(self), url)
        now = time.monotonic()
        held = _STATS.get(key)
        if held is not None and now - held[0] < max_age:
            return held[1]
        fs, path = filesystem(url, self.options, timeout=self.timeout)
        kind, size, version = with_retries(
            lambda: remote_info(fs, path), url, attempts=self.attempts,
            backoff=self.backoff, what="stat",
        )  # fmt: skip
        if kind == "directory":
            raise IsADirectoryError(f"{redact(url)} is a folder, not a file")
        if size < 0:
            raise ValueError(f"{redact(url)}: the store does not report its size")
        if len(_STATS) > 10_000:
            _STATS.clear()
        _STATS[key] = (now, FileStat(size, version))
        return _STATS[key][1]

    def open(self, url: str, *, known: FileStat | None = None) -> BinaryIO:
        """A seekable binary file; remote objects are read in blocks, by range requests.

        Args:
            url: The file.
            known: Its stat if already known (saves a request).
        """
        if not is_remote(url):
            return open(normalize(url), "rb")
        in_tar = split_tar_url(url)
        if in_tar is not None:  # a byte range of the archive
            offset, info, _ = self._locate(*in_tar)
            base, path = filesystem(in_tar[1], self.options, timeout=self.timeout)

            def fetch(start: int, end: int) -> bytes:
                return bytes(base.cat_file(path, start=offset + start, end=offset + end))

        else:
            info = known or self.stat(url)
            fs, path = filesystem(url, self.options, timeout=self.timeout)

            def fetch(start: int, end: int) -> bytes:
                return bytes(fs.cat_file(path, start=start, end=end))

        return cast(
            BinaryIO,
            RemoteFile(
                url,
                fetch,
                info.size,
                str(info.version),
                block_size=self.block_size,
                disk=self._disk(),
                attempts=self.attempts,
                backoff=self.backoff,
            ),
        )

    def _locate(self, member: str, archive: str) -> tuple[int, FileStat, FileStat]:
        """A ``tar://`` member's offset, its stat and the archive's (see :mod:`._tar`)."""
        scanner = replace(self, block_size=SCAN_BLOCK, cache_dir=None, cache_size=0)
        return locate_member(member, archive, stat=self.stat, open_for_scan=scanner.open)

    def read_text(self, url: str, encoding: str = "utf-8") -> str:
        """A small text file (a CSV list), whole."""
        if not is_remote(url):
            with open(normalize(url), encoding=encoding) as handle:
                return handle.read()
        fs, path = filesystem(url, self.options, timeout=self.timeout)
        data = with_retries(
            lambda: fs.cat_file(path), url, attempts=self.attempts, backoff=self.backoff
        )
        return bytes(data).decode(encoding)

    def kind(self, url: str) -> str:
        """``"file"``, ``"directory"`` or ``"missing"``."""
        if not is_remote(url):
            path = normalize(url)
            return (
                "file"
                if os.path.isfile(path)
                else "directory"
                if os.path.isdir(path)
                else ("missing")
            )
        fs, path = filesystem(url, self.options, timeout=self.timeout)
        try:
            found, _, _ = with_retries(
                lambda: remote_info(fs, path), url, attempts=self.attempts,
                backoff=self.backoff, what="stat",
            )  # fmt: skip
        except FileNotFoundError:
            return "missing"
        return "directory" if found == "directory" else "file"

    # -- folders
    def list_dir(self, url: str) -> list[tuple[str, bool]]:
        """``(url, is folder)`` of the entries directly in folder ``url``, sorted."""
        if not is_remote(url):
            root = normalize(url)
            return sorted((entry.path, entry.is_dir()) for entry in os.scandir(root))
        fs, path = filesystem(url, self.options, timeout=self.timeout)
        entries = with_retries(
            lambda: remote_list(fs, path), url, attempts=self.attempts,
            backoff=self.backoff, what="list",
        )  # fmt: skip
        return sorted((_to_url(url, fs, name), is_dir) for name, is_dir in entries)

    def walk_files(self, url: str) -> list[str]:
        """Every file below folder ``url``, at any depth, as URLs."""
        if not is_remote(url):
            root = normalize(url)
            return [os.path.join(top, name) for top, _, names in os.walk(root) for name in names]
        fs, path = filesystem(url, self.options, timeout=self.timeout)
        names = with_retries(
            lambda: fs.find(path, withdirs=False, detail=False), url,
            attempts=self.attempts, backoff=self.backoff, what="list",
        )  # fmt: skip
        return [_to_url(url, fs, str(name)) for name in names]

    def glob(self, pattern: str) -> list[str]:
        """Files matching a glob pattern (``*``, ``**``, ``?``, ``[...]``), sorted, as URLs."""
        if not is_remote(pattern):
            import glob as globbing

            return sorted(globbing.glob(normalize(pattern), recursive=True))
        fs, path = filesystem(pattern, self.options, timeout=self.timeout)
        names = with_retries(
            lambda: fs.glob(path), pattern, attempts=self.attempts, backoff=self.backoff,
            what="list",
        )  # fmt: skip
        return sorted(_to_url(pattern, fs, str(name)) for name in names)

    def _disk(self) -> DiskBlockCache | None:
        if not self.cache_dir or self.cache_size <= 0:
            return None
        key = (os.path.abspath(os.path.expanduser(self.cache_dir)), int(self.cache_size))
        disk = _DISKS.get(key)
        if disk is None:
            disk = _DISKS[key] = DiskBlockCache(key[0], key[1])
        return disk


StorageLike = Storage | Mapping[str, Any] | None
"""A :class:`Storage`, or plain fsspec ``storage_options`` (a dict), or ``None``."""


def as_storage(
    storage_options: StorageLike = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    cache_size: int | float | str | None = None,
) -> Storage:
    """A :class:`Storage` from what a user passes.

    Args:
        storage_options: fsspec options, or a ready :class:`Storage`.
        cache_dir: Folder of the local block cache (with ``cache_size``).
        cache_size: Cap of the block cache: bytes or a string such as ``"20GB"``; ``None``:
            no disk cache.
    """
    if isinstance(storage_options, Storage):
        base = storage_options
    elif storage_options is None or isinstance(storage_options, Mapping):
        base = Storage(dict(storage_options or {}))
    else:
        raise TypeError(
            f"storage_options must be a dict of fsspec options (e.g. {{'anon': True}}), got "
            f"{type(storage_options).__name__}"
        )
    if cache_size is None:
        return base
    if cache_dir is None:
        raise ValueError("cache_size needs cache_dir: the folder of the local block cache")
    return Storage(
        base.options,
        base.block_size,
        os.fspath(cache_dir),
        parse_size(cache_size),
        base.attempts,
        base.backoff,
        base.timeout,
    )


def open_video(url: str, storage_options: StorageLike = None) -> BinaryIO:
    """Open a video for reading: a local file, or a remote object read by range requests.

    Args:
        url: A path or any fsspec URL (``s3://``, ``gs://``, ``https://``, ``file://``,
            ``tar://member.mp4::s3://bucket/shard.tar``).
        storage_options: fsspec options (or a :class:`Storage`). Default: ``None``.

    Returns:
        A seekable binary file (close it, or use it in a ``with`` block).
    """
    return as_storage(storage_options).open(url)


def stat(url: str, storage_options: StorageLike = None) -> FileStat:
    """Size and version of a file (see :meth:`Storage.stat`)."""
    return as_storage(storage_options).stat(url)


def list_dir(url: str, storage_options: StorageLike = None) -> list[tuple[str, bool]]:
    """``(url, is folder)`` of the entries directly in a folder (see :meth:`Storage.list_dir`)."""
    return as_storage(storage_options).list_dir(url)


def walk_files(url: str, storage_options: StorageLike = None) -> list[str]:
    """Every file below a folder, at any depth (see :meth:`Storage.walk_files`)."""
    return as_storage(storage_options).walk_files(url)


def glob(pattern: str, storage_options: StorageLike = None) -> list[str]:
    """Files matching a glob pattern (see :meth:`Storage.glob`)."""
    return as_storage(storage_options).glob(pattern)


def _to_url(original: str, fs: Any, path: str) -> str:
    """The URL of ``path`` inside the filesystem that ``original`` was opened with."""
    if "::" in original:
        outer, _, rest = original.partition("::")
        scheme = outer.split("://", 1)[0] if "://" in outer else ""
        return f"{scheme}://{path}::{rest}" if scheme else f"{path}::{rest}"
    if "://" in path:
        return path
    return str(fs.unstrip_protocol(path))
