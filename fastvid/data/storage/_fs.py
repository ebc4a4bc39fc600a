"""fsspec filesystems for URLs, with timeouts set by default, and what they say about files:
stat (size and version), listing, existence, small text files.

Local paths never come here (:mod:`fastvid.data.storage._api` keeps their ``os`` fast path).
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastvid.data.storage._urls import protocol, redact

__all__ = ["FileStat", "filesystem", "remote_info", "remote_list", "version_key", "version_of"]

DEFAULT_TIMEOUT = 30.0
"""Seconds a connection or a read may stall before it fails (and is retried)."""


@dataclass(frozen=True)
class FileStat:
    """What tells one version of a file from another.

    Attributes:
        size: Bytes.
        version: ``st_mtime_ns`` for a local file; the object's version id or ETag (else its
            last-modified time) for a remote one; ``""`` if the store says nothing.
    """

    size: int
    version: int | str

    @property
    def version_key(self) -> int:
        """``version`` as a 63-bit integer (what the index stores in its ``mtime_ns`` column)."""
        return version_key(self.version)


def version_key(version: int | str) -> int:
    """A local ``mtime_ns`` as is; a remote version string hashed to a non-negative int64."""
    if isinstance(version, int):
        return version
    digest = hashlib.sha1(version.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def _with_timeouts(url: str, options: Mapping[str, Any], timeout: float) -> dict[str, Any]:
    """``options`` plus connect/read timeouts for the protocols fastvid knows, unless set."""
    merged = dict(options)
    kind = protocol(url)
    if kind in ("http", "https"):
        import aiohttp

        client = dict(merged.get("client_kwargs") or {})
        client.setdefault("timeout", aiohttp.ClientTimeout(sock_connect=timeout, sock_read=timeout))
        merged["client_kwargs"] = client
    elif kind in ("s3", "s3a"):
        config = dict(merged.get("config_kwargs") or {})
        config.setdefault("connect_timeout", timeout)
        config.setdefault("read_timeout", timeout)
        config.setdefault("retries", {"max_attempts": 1})  # fastvid retries, with backoff
        merged["config_kwargs"] = config
    # other protocols (gcsfs, ...) keep their own timeouts: set them in storage_options
    return merged


def _chained_options(url: str, options: Mapping[str, Any], timeout: float) -> dict[str, Any]:
    """Options for a chained URL (``tar://m.mp4::s3://b/s.tar``): the user's options (given as
    for the inner URL) and the timeouts go to the innermost layer, where the bytes come from.

    fsspec gives un-keyed options to the outermost layer (``tar``), which takes none of them;
    options already keyed by a layer's protocol (``{"s3": {...}}``) are kept as given.
    """
    layers = [protocol(part) for part in url.split("::")]
    inner = url.rsplit("::", 1)[1]
    merged = dict(options)
    if not any(name in merged for name in layers):
        merged = {layers[-1]: merged}
    merged[layers[-1]] = _with_timeouts(inner, merged.get(layers[-1]) or {}, timeout)
    return merged


def filesystem(
    url: str, options: Mapping[str, Any] | None, *, timeout: float = DEFAULT_TIMEOUT
) -> tuple[Any, str]:
    """The fsspec filesystem that serves ``url`` and the path within it.

    fsspec caches filesystem instances per (protocol, options) and per process, so this is
    cheap after the first call.

    Raises:
        ValueError: fsspec knows no such protocol, or its package is not installed (the
            message says which to install).
    """
    import fsspec.core

    options = options or {}
    if "::" in url:
        kwargs = _chained_options(url, options, timeout)
    else:
        kwargs = _with_timeouts(url, options, timeout)
    try:
        return fsspec.core.url_to_fs(url, **kwargs)
    except ImportError as err:
        raise ValueError(
            f"cannot open {redact(url)}: {err}. Install the fsspec backend for "
            f"{protocol(url)}:// (e.g. `pip install fastvid[remote]` for s3fs)"
        ) from None
    except ValueError as err:
        raise ValueError(f"cannot open {redact(url)}: {redact(str(err))}") from None


_VERSION_FIELDS = ("VersionId", "version_id", "generation", "ETag", "etag", "md5Hash")
_TIME_FIELDS = ("LastModified", "Last-Modified", "last_modified", "updated", "mtime", "created")


def version_of(info: Mapping[str, Any]) -> str:
    """The version string in an fsspec ``info`` dict: version id, ETag, else modified time."""
    for field in (*_VERSION_FIELDS, *_TIME_FIELDS):
        value = info.get(field)
        if value not in (None, "", "null"):
            return str(value).strip('"') if field in _VERSION_FIELDS else str(value)
    return ""


def remote_info(fs: Any, path: str) -> tuple[str, int, str]:
    """``(type, size, version)`` of ``path``: type ``"file"``, ``"directory"`` or other."""
    info = fs.info(path)
    size = info.get("size")
    kind = str(info.get("type", "file"))
    if info.get("mimetype") == "text/html":  # a web server's folder listing
        kind = "directory"
    return kind, int(size) if size is not None else -1, version_of(info)


def remote_list(fs: Any, path: str) -> list[tuple[str, bool]]:
    """``(full path, is folder)`` of the entries directly in ``path``."""
    entries = fs.ls(path, detail=True)
    listed = []
    for entry in entries:
        name = str(entry["name"]).rstrip("/")
        if name == path.rstrip("/"):
            continue
        listed.append((name, entry.get("type") == "directory"))
    return listed


def leaf(name: str) -> str:
    """The last component of a path inside a filesystem."""
    return posixpath.basename(name.rstrip("/"))
