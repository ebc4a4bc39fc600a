"""The on-disk probe cache: one ``.npz`` per dataset folder, keyed by (path, size, mtime), plus
a head-and-tail content hash when the index is built with ``fingerprint=True``.

A remote object (any fsspec URL) is keyed by (URL, size, version): its version id or ETag,
hashed into the ``mtime_ns`` column (:func:`fastvid.data.storage.version_key`).

A cache file is a :class:`~fastvid.data.index._table.Table` saved with ``np.savez`` (no
pickles), a format version and the column names. A file in another version of the format, or
a damaged one, is ignored with a warning and rebuilt. Writes are atomic.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import warnings
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from fastvid.data.index._fingerprint import head_tail_fingerprint
from fastvid.data.index._meta import VideoMeta
from fastvid.data.index._table import COLUMN, COLUMNS, DELTA_DTYPES, Table
from fastvid.data.storage import Storage, is_remote

__all__ = [
    "CACHE_VERSION",
    "dataset_key",
    "default_cache_dir",
    "load_cache",
    "load_table",
    "save_table",
    "unchanged",
    "unchanged_many",
    "update_cache",
]

# 2: VideoMeta.pix_fmt (a "pix_fmt" column and a "pix_fmts" name list).
# 3: Matroska/WebM rotation read from the first frame (format 2 stored 0 for them).
# 4: a "fingerprint" column (VideoMeta.fingerprint; 0 when built without fingerprint=True).
# 5: VideoMeta.duration_with_audio (PyTorchVideo's duration with decode_audio=True).
# 6: VideoMeta.output_order (AVI with B-frames: decoder output order; "orders" + 2 columns).
CACHE_VERSION = 6


def default_cache_dir() -> Path:
    """Where :meth:`VideoIndex.build` caches probes unless told otherwise.

    ``$FASTVID_CACHE_DIR/index`` if ``FASTVID_CACHE_DIR`` is set, else
    ``$XDG_CACHE_HOME/fastvid/index``, else ``~/.cache/fastvid/index``.
    """
    if os.environ.get("FASTVID_CACHE_DIR"):
        return Path(os.environ["FASTVID_CACHE_DIR"]).expanduser() / "index"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return Path(base).expanduser() / "fastvid" / "index"


def dataset_key(paths: list[str]) -> str:
    """Cache file name: a hash of the folder that holds all the files."""
    if not paths:
        root = ""
    elif len(paths) == 1:
        root = os.path.dirname(paths[0])
    elif any(is_remote(path) for path in paths):  # URLs: the common prefix of the strings
        root = os.path.commonprefix(paths)  # noqa: RUF071 - strings, not local paths
    else:
        root = os.path.commonpath(paths)
    return hashlib.sha1(root.encode("utf-8", "surrogateescape")).hexdigest()[:20]


def unchanged(
    path: str, row: np.ndarray, storage: Storage | None = None, *, fingerprint: bool = False
) -> bool:
    """Whether the file still has the size and modification time (remote: version) of its
    table row and, with ``fingerprint`` (local files), the same head-and-tail hash (a row
    stored without one does not match)."""
    if is_remote(path):
        try:
            info = (storage or Storage()).stat(path)
        except (OSError, ValueError):
            return False
        return info.size == row[COLUMN["size"]] and info.version_key == row[COLUMN["mtime_ns"]]
    try:
        stat = os.stat(path)
    except OSError:
        return False
    if stat.st_size != row[COLUMN["size"]] or stat.st_mtime_ns != row[COLUMN["mtime_ns"]]:
        return False
    if not fingerprint:
        return True
    stored = int(row[COLUMN["fingerprint"]])
    try:
        return stored != 0 and stored == head_tail_fingerprint(path)
    except OSError:
        return False


def unchanged_many(
    paths: Sequence[str],
    rows: Sequence[np.ndarray],
    storage: Storage | None = None,
    *,
    fingerprint: bool = False,
) -> list[bool]:
    """:func:`unchanged` of each path; remote objects are asked about 32 at a time."""
    if not any(is_remote(path) for path in paths):
        return [
            unchanged(path, row, fingerprint=fingerprint)
            for path, row in zip(paths, rows, strict=True)
        ]
    with ThreadPoolExecutor(32) as threads:
        return list(
            threads.map(lambda p, r: unchanged(p, r, storage, fingerprint=fingerprint), paths, rows)
        )


def save_table(table: Table, file: Path) -> None:
    """Write atomically: a temporary file in the same folder, then os.replace."""
    file.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, Any] = {
        "version": np.array(CACHE_VERSION),
        "columns": _join_strings(list(COLUMNS)),
        "paths": _join_strings(table.paths),
        "codecs": _join_strings(table.codecs),
        "pix_fmts": _join_strings(table.pix_fmts),
        "ints": table.ints,
        "avg_fps": table.avg_fps,
        "keyframes": table.keyframes,
        "orders": table.orders,
        **{f"deltas{kind}": values for kind, values in table.deltas.items()},
    }
    fd, temp = tempfile.mkstemp(prefix=f".{file.name}.", suffix=".tmp", dir=file.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, allow_pickle=False, **arrays)
        os.replace(temp, file)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def load_table(file: Path) -> Table:
    """Read a table written by :func:`save_table`.

    Raises:
        ValueError: It is in another cache format, not a cache file, or a damaged one.
    """
    with np.load(file, allow_pickle=False) as data:
        version = int(data["version"])
        if version != CACHE_VERSION:
            raise ValueError(
                f"it is in cache format {version}; this fastvid reads format {CACHE_VERSION}"
            )
        if _split_strings(data["columns"]) != list(COLUMNS):
            raise ValueError("cache columns differ from this fastvid version's")
        table = Table(
            _split_strings(data["paths"]),
            data["ints"],
            data["avg_fps"],
            _split_strings(data["codecs"]),
            _split_strings(data["pix_fmts"]),
            {kind: data[f"deltas{kind}"] for kind in DELTA_DTYPES},
            data["keyframes"],
            data["orders"],
        )
    table.check()
    return table


def load_cache(file: Path) -> Table | None:
    """The cached table, or ``None`` when there is none, it is stale or it is unreadable."""
    if not file.exists():
        return None
    try:
        return load_table(file)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, UnicodeDecodeError) as e:
        warnings.warn(
            f"ignoring the unreadable video index cache {file} ({type(e).__name__}: {e}); "
            f"it will be rebuilt",
            RuntimeWarning,
            stacklevel=3,
        )
        return None


def update_cache(
    file: Path,
    old: Table | None,
    table: Table,
    probed: dict[str, VideoMeta],
    requested: list[str],
) -> None:
    """Store this build's entries plus the old entries of other files that are unchanged.

    Nothing is written when nothing was probed and no old entry went stale.
    """
    if old is table:
        return
    others: list[int] = []
    stale = old is None
    if old is not None:
        wanted = set(requested)
        for path, row in old.rows.items():
            if path in wanted:
                stale = stale or path not in table.rows  # changed and now unreadable
            elif is_remote(path) or unchanged(path, old.ints[row]):
                others.append(row)  # a remote one is checked when it is next requested
            else:
                stale = True  # deleted or changed: drop it
    if not probed and not stale:
        return
    keep = Table.concat(table, old.select(others)) if old is not None and others else table
    try:
        save_table(keep, file)
    except OSError as err:
        warnings.warn(
            f"could not write the video index cache {file} ({err}); the next build will probe "
            f"again. Set cache_dir= or FASTVID_CACHE_DIR to a writable folder",
            RuntimeWarning,
            stacklevel=3,
        )


def _join_strings(strings: Sequence[str]) -> np.ndarray:
    """Each string NUL-terminated, so ``[""]`` (one unknown pixel format) survives."""
    text = "".join(f"{string}\0" for string in strings)
    return np.frombuffer(text.encode("utf-8", "surrogateescape"), dtype=np.uint8)


def _split_strings(values: np.ndarray) -> list[str]:
    return values.tobytes().decode("utf-8", "surrogateescape").split("\0")[:-1]
