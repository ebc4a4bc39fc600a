"""The index file: one dataset's :class:`~fastvid.data.index._table.Table`, mapped read-only.

``fastvid index SRC`` writes it, a loader maps it (``index=FILE``, or found beside the data),
and every worker and every rank on a node shares its pages: the arrays are views of one
``mmap`` of the file, so the page cache holds them once and each process's PSS counts its
share only.

Layout (little-endian): 8 bytes ``FASTVIDX``, a uint64 header length, a UTF-8 JSON header,
then each array at a 64-byte aligned offset. The header names every array with its dtype,
shape and offset, so the format is generic over the table's columns: a build with other
columns (a field added to :class:`VideoMeta`) is recognised by its ``columns`` list and
rebuilt, never misread. ``format`` versions the layout, ``probe_version`` the probe's
semantics (:data:`fastvid.data.index._cache.CACHE_VERSION`). A file written part-way (a build
interrupted, a crash) says ``complete: false``; it is a usable index of the files probed so
far, and the next build probes only the rest. Writes are atomic (a temporary file renamed).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np

from fastvid.data.index._cache import CACHE_VERSION
from fastvid.data.index._meta import VideoProbeError
from fastvid.data.index._table import COLUMNS, DELTA_DTYPES, Table

__all__ = [
    "FORMAT",
    "INDEX_FILE_NAME",
    "MAGIC",
    "PathList",
    "StoredIndex",
    "is_index_file",
    "read_index_file",
    "write_index_file",
]

MAGIC = b"FASTVIDX"
FORMAT = 1
INDEX_FILE_NAME = "fastvid.index"
"""The file ``fastvid index SRC`` writes in ``SRC`` and loaders look for beside the data."""
_ALIGN = 64


class PathList(Sequence[str]):
    """Paths stored as one NUL-separated UTF-8 buffer and offsets: no ``str`` per path until
    one is asked for (a million paths cost their bytes, shared through the map)."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray) -> None:
        self.blob = blob
        self.offsets = offsets

    @classmethod
    def from_strings(cls, paths: Sequence[str]) -> PathList:
        data = "".join(f"{p}\0" for p in paths).encode("utf-8", "surrogateescape")
        blob = np.frombuffer(data, dtype=np.uint8)
        lengths = np.fromiter(
            (len(p.encode("utf-8", "surrogateescape")) + 1 for p in paths), np.int64, len(paths)
        )
        offsets = np.zeros(len(paths) + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return cls(blob, offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @overload
    def __getitem__(self, item: int) -> str: ...

    @overload
    def __getitem__(self, item: slice) -> list[str]: ...

    def __getitem__(self, item: int | slice) -> str | list[str]:
        if isinstance(item, slice):
            return [self[i] for i in range(*item.indices(len(self)))]
        if item < 0:
            item += len(self)
        if not 0 <= item < len(self):
            raise IndexError(f"path {item} of {len(self)}")
        start, end = int(self.offsets[item]), int(self.offsets[item + 1]) - 1
        return self.blob[start:end].tobytes().decode("utf-8", "surrogateescape")

    def __iter__(self) -> Iterator[str]:
        return iter(self.tolist())

    def tolist(self) -> list[str]:
        """Every path as a ``str`` (one decode of the whole buffer)."""
        return self.blob.tobytes().decode("utf-8", "surrogateescape").split("\0")[:-1]

    def same_as(self, paths: Sequence[str]) -> bool:
        """Whether ``paths`` are exactly these, in this order (one buffer comparison)."""
        if len(paths) != len(self):
            return False
        data = ("\0".join(paths) + "\0").encode("utf-8", "surrogateescape")
        return len(data) == len(self.blob) and np.array_equal(
            np.frombuffer(data, np.uint8),
            self.blob,  # no copy of the mapped buffer
        )


class StoredIndex:
    """What an index file holds: the table, the files that failed, and its header facts.

    Attributes:
        table: The videos' metadata (arrays mapped from the file).
        errors: ``{path: VideoProbeError}`` of files that could not be probed.
        complete: Whether the build that wrote it finished.
        root: The folder or URL the index was built from (``""`` if not recorded).
        file: The file.
    """

    def __init__(
        self,
        table: Table,
        errors: Mapping[str, VideoProbeError],
        *,
        complete: bool,
        root: str,
        file: Path,
    ) -> None:
        self.table = table
        self.errors = dict(errors)
        self.complete = complete
        self.root = root
        self.file = file


def _arrays(table: Table) -> dict[str, np.ndarray]:
    paths = table.paths if isinstance(table.paths, PathList) else PathList.from_strings(table.paths)
    return {
        "ints": np.ascontiguousarray(table.ints, np.int64),
        "avg_fps": np.ascontiguousarray(table.avg_fps, np.float64),
        "keyframes": np.ascontiguousarray(table.keyframes, np.int32),
        "orders": np.ascontiguousarray(table.orders, np.int32),
        "path_blob": paths.blob,
        "path_offsets": paths.offsets,
        **{f"deltas{kind}": np.ascontiguousarray(table.deltas[kind]) for kind in DELTA_DTYPES},
    }


def write_index_file(
    table: Table,
    file: Path,
    *,
    errors: Mapping[str, VideoProbeError] | None = None,
    complete: bool = True,
    root: str = "",
) -> None:
    """Write ``table`` (and the failed files) as an index file, atomically.

    Args:
        table: The videos' metadata.
        file: Where to write it (its folder is created).
        errors: Files that could not be probed. Default: ``None``, none.
        complete: Whether the build finished (``False``: a checkpoint of a build under way).
            Default: ``True``.
        root: The folder or URL the index was built from. Default: ``""``.
    """
    arrays = _arrays(table)
    entries: dict[str, Any] = {}
    offset = 0
    for name, values in arrays.items():
        entries[name] = {"dtype": values.dtype.str, "shape": list(values.shape), "offset": offset}
        offset += -(-values.nbytes // _ALIGN) * _ALIGN
    header = {
        "format": FORMAT,
        "probe_version": CACHE_VERSION,
        "columns": list(COLUMNS),
        "codecs": list(table.codecs),
        "pix_fmts": list(table.pix_fmts),
        "videos": len(table),
        "complete": bool(complete),
        "root": root,
        "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "errors": {path: [e.reason, e.kind] for path, e in (errors or {}).items()},
        "arrays": entries,
    }
    text = json.dumps(header).encode("utf-8", "surrogateescape")
    start = -(-(len(MAGIC) + 8 + len(text)) // _ALIGN) * _ALIGN
    file.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{file.name}.", suffix=".tmp", dir=file.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(MAGIC + len(text).to_bytes(8, "little") + text)
            handle.write(bytes(start - handle.tell()))
            for name, values in arrays.items():
                handle.seek(start + entries[name]["offset"])
                handle.write(values.tobytes())
            handle.truncate(start + offset)
        os.replace(temp, file)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def is_index_file(file: str | os.PathLike[str]) -> bool:
    """Whether ``file`` starts like an index file."""
    try:
        with open(file, "rb") as handle:
            return handle.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def read_index_file(file: str | os.PathLike[str]) -> StoredIndex:
    """Map an index file read-only.

    Args:
        file: The file :func:`write_index_file` wrote.

    Returns:
        Its contents; the arrays are read-only views of the file's pages.

    Raises:
        FileNotFoundError: There is no such file.
        ValueError: It is not an index file, or one of another format, probe version or
            columns (rebuild it with ``fastvid index``), or a damaged one.
    """
    path = Path(file)
    with open(path, "rb") as handle:
        magic = handle.read(len(MAGIC))
        if magic != MAGIC:
            raise ValueError(f"{path} is not a fastvid index file (it does not start {MAGIC!r})")
        length = int.from_bytes(handle.read(8), "little")
        if length > os.fstat(handle.fileno()).st_size:
            raise ValueError(f"{path} has a damaged header (length {length}); rebuild it")
        try:
            header = json.loads(handle.read(length).decode("utf-8", "surrogateescape"))
        except ValueError as err:
            raise ValueError(f"{path} has a damaged header ({err}); rebuild it") from None
    start = -(-(len(MAGIC) + 8 + length) // _ALIGN) * _ALIGN
    _check_header(path, header)
    size = path.stat().st_size
    mapped = np.memmap(path, dtype=np.uint8, mode="r") if size > start else np.zeros(0, np.uint8)
    arrays: dict[str, np.ndarray] = {}
    for name, entry in header["arrays"].items():
        dtype = np.dtype(entry["dtype"])
        count = int(np.prod(entry["shape"], dtype=np.int64))
        begin = start + int(entry["offset"])
        if begin + count * dtype.itemsize > size:
            raise ValueError(f"{path} is truncated (array {name!r} runs past its end); rebuild it")
        raw = mapped[begin : begin + count * dtype.itemsize]
        arrays[name] = np.asarray(raw).view(dtype).reshape(entry["shape"])
    table = Table(
        PathList(arrays["path_blob"], arrays["path_offsets"]),
        arrays["ints"],
        arrays["avg_fps"],
        list(header["codecs"]),
        list(header["pix_fmts"]),
        {kind: arrays[f"deltas{kind}"] for kind in DELTA_DTYPES},
        arrays["keyframes"],
        arrays["orders"],
    )
    try:
        table.check()
    except ValueError as err:
        raise ValueError(f"{path} is damaged ({err}); rebuild it") from None
    errors = {p: VideoProbeError(p, reason, kind) for p, (reason, kind) in header["errors"].items()}
    return StoredIndex(
        table, errors, complete=bool(header["complete"]), root=str(header["root"]), file=path
    )


def _check_header(path: Path, header: Any) -> None:
    if not isinstance(header, dict) or "arrays" not in header:
        raise ValueError(f"{path} has a damaged header; rebuild it")
    if header.get("format") != FORMAT:
        raise ValueError(
            f"{path} is in index file format {header.get('format')}; this fastvid reads format "
            f"{FORMAT}. Rebuild it: fastvid index <dataset folder> --out {path}"
        )
    if header.get("probe_version") != CACHE_VERSION or header.get("columns") != list(COLUMNS):
        raise ValueError(
            f"{path} was written by a fastvid that probes other fields (probe version "
            f"{header.get('probe_version')}, this one {CACHE_VERSION}); rebuild it: "
            f"fastvid index <dataset folder> --out {path} (every video is probed again)"
        )
