"""Where the bytes come from: local paths and any fsspec URL, read by range requests.

The bottom of fastvid's data layer: everything that opens, stats or lists a video goes
through here. Plain paths (and ``file://``) keep the ``os`` fast path; ``s3://``, ``gs://``,
``http(s)://`` and chained URLs (``tar://member.mp4::s3://bucket/shard.tar``) go through
fsspec with the user's ``storage_options``, read in blocks by range requests, retried with
backoff on transient errors and never waiting without a timeout.

One job per module:

===============  ============================================================================
``_urls``        local or remote, normal form, joining, credentials hidden in messages
``_fs``          fsspec filesystems (timeouts by default), stat (size, version), listing
``_retry``       bounded retries with backoff; which errors are transient
``_file``        :class:`RemoteFile`: a seekable file over ranged requests, blocks in memory
``_diskcache``   a local block cache capped in bytes (least recently used evicted)
``_tar``         ``tar://<member>::<archive>``: a member of an uncompressed tar read as a byte
                 range of the archive (its ``.idx.json`` or its headers read once per process)
``_api``         :class:`Storage` (picklable), :func:`open_video`, :func:`stat`, listing
===============  ============================================================================
"""

from __future__ import annotations

from fastvid.data.storage._api import (
    Storage,
    StorageLike,
    as_storage,
    glob,
    list_dir,
    open_video,
    stat,
    walk_files,
)
from fastvid.data.storage._diskcache import DiskBlockCache, parse_size
from fastvid.data.storage._file import RemoteFile, SizedReader, choose_block_size
from fastvid.data.storage._fs import FileStat, version_key
from fastvid.data.storage._retry import RemoteReadError, is_transient
from fastvid.data.storage._tar import (
    INDEX_SUFFIX,
    SCAN_BLOCK,
    read_index,
    scan_members,
    split_tar_url,
)
from fastvid.data.storage._urls import (
    basename,
    is_remote,
    join,
    normalize,
    parent,
    protocol,
    redact,
    redact_options,
)

__all__ = [
    "INDEX_SUFFIX",
    "SCAN_BLOCK",
    "DiskBlockCache",
    "FileStat",
    "RemoteFile",
    "RemoteReadError",
    "SizedReader",
    "Storage",
    "StorageLike",
    "as_storage",
    "basename",
    "choose_block_size",
    "glob",
    "is_remote",
    "is_transient",
    "join",
    "list_dir",
    "normalize",
    "open_video",
    "parent",
    "parse_size",
    "protocol",
    "read_index",
    "redact",
    "redact_options",
    "scan_members",
    "split_tar_url",
    "stat",
    "version_key",
    "walk_files",
]
