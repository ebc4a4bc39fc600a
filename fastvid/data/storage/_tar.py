"""Members of uncompressed tar archives (WebDataset shards) read as byte ranges of the archive.

``tar://<member>::<archive url>`` is an fsspec chained URL; fsspec's own ``TarFileSystem``
would scan the archive's headers at every open and read through its own large buffers. A
member of an uncompressed tar is one contiguous byte range, so fastvid reads it as that range
of the archive: the archive's headers are scanned once per process (small ranged reads: a
512-byte header per member, the data skipped), then every read of a member is a ranged read
of the archive, through the same block reader, retries and disk cache as any remote file.
"""

from __future__ import annotations

import json
import tarfile
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import IO, Any

from fastvid.data.storage._fs import FileStat
from fastvid.data.storage._urls import redact

__all__ = [
    "INDEX_SUFFIX",
    "SCAN_BLOCK",
    "locate_member",
    "read_index",
    "scan_members",
    "split_tar_url",
]

SCAN_BLOCK = 8 << 10
"""Bytes per ranged read while scanning an archive's headers: a member's header and the small
members after it (``.cls``, ``.json``), not the videos."""


def split_tar_url(url: str) -> tuple[str, str] | None:
    """``(member, archive url)`` of ``tar://<member>::<archive url>``; ``None`` for any other
    URL (an archive inside another chain is left to fsspec)."""
    if not url.startswith("tar://") or url.count("::") != 1:
        return None
    outer, archive = url.split("::", 1)
    member = outer[len("tar://") :].lstrip("/")
    return (member, archive) if member and archive else None


INDEX_SUFFIX = ".idx.json"
"""``<archive>.idx.json``, written by ``fastvid shard``: each member's offset and size (and each
sample's label), so readers need one small request per archive instead of a header scan."""

_ARCHIVES: dict[str, tuple[FileStat, dict[str, tuple[int, int]]]] = {}  # per process
_LOCK = threading.Lock()

Opener = Callable[[str], AbstractContextManager[IO[bytes]]]


def scan_members(raw: IO[bytes], name: str) -> list[tuple[str, int, int]]:
    """``(member, offset, size)`` of every file in an uncompressed tar, in archive order.

    Raises:
        ValueError: Not an uncompressed tar (``name`` is named).
    """
    try:
        with tarfile.open(fileobj=raw, mode="r:") as tar:
            return [(e.name, e.offset_data, e.size) for e in tar if e.isfile()]
    except tarfile.ReadError as error:
        raise ValueError(
            f"{redact(name)} is not an uncompressed tar archive ({error}): tar:// members "
            "are read as byte ranges, so shards must be plain .tar"
        ) from None


def read_index(archive: str, size: int, open_file: Opener) -> dict[str, Any] | None:
    """The archive's ``.idx.json`` if there is one and it describes an archive of ``size``
    bytes (else ``None``: a missing or stale index means a header scan)."""
    try:
        with open_file(archive + INDEX_SUFFIX) as handle:
            doc = json.loads(handle.read())
    except (FileNotFoundError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != 1 or doc.get("size") != size:
        return None
    return doc


def _scan(
    archive: str, stat: Callable[[str], FileStat], open_file: Opener
) -> tuple[FileStat, dict[str, tuple[int, int]]]:
    with _LOCK:
        known = _ARCHIVES.get(archive)
    if known is not None:
        return known
    info = stat(archive)
    doc = read_index(archive, info.size, open_file)
    if doc is not None:
        members = {str(m): (int(o), int(n)) for m, o, n in doc["members"]}
    else:
        with open_file(archive) as raw:
            members = {m: (o, n) for m, o, n in scan_members(raw, archive)}
    with _LOCK:
        _ARCHIVES[archive] = (info, members)
    return info, members


def locate_member(
    member: str,
    archive: str,
    *,
    stat: Callable[[str], FileStat],
    open_for_scan: Opener,
) -> tuple[int, FileStat, FileStat]:
    """Where a member is: ``(offset, member stat, archive stat)``.

    On the first call for an archive in this process its ``.idx.json`` is read (one small
    request), else its headers are scanned (``stat`` and ``open_for_scan`` read it); the result
    is kept. The member's version is the archive's version plus
    the offset, so a rewritten archive reads as a changed member.

    Raises:
        FileNotFoundError: The archive has no such member.
        ValueError: The archive is not an uncompressed tar.
    """
    info, members = _scan(archive, stat, open_for_scan)
    found = members.get(member)
    if found is None:
        raise FileNotFoundError(f"{redact(archive)} has no member {member!r}")
    offset, size = found
    return offset, FileStat(size, f"{info.version}@{offset}"), info
