"""``VideoIndex``: the metadata of a whole dataset, built in parallel, cached, compact."""

from __future__ import annotations

import logging
import os
import sys
import types
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from fastvid._validate import check_optional_int
from fastvid.data.index import _cache, _pool
from fastvid.data.index._meta import PathLike, VideoMeta, VideoProbeError
from fastvid.data.index._table import Table
from fastvid.data.storage import StorageLike, as_storage, normalize

__all__ = ["VideoIndex"]

logger = logging.getLogger("fastvid.data.index")


class VideoIndex:
    """The :class:`VideoMeta` of many videos, compactly stored, with the files that failed.

    Build one with :meth:`build`. Look videos up by path (absolute or relative to the current
    folder); iterate to get every :class:`VideoMeta` in build order.

    Attributes:
        errors: ``{path: reason}`` for every file that could not be probed.
        failures: ``{path: VideoProbeError}`` for the same files: the reason and its ``kind``
            (:data:`fastvid.errors.VideoErrorKind`, e.g. ``"empty"``, ``"not_a_video"``).
    """

    file: Path | None = None
    """The index file this index is mapped from (:meth:`load`, :meth:`build_file`), else
    ``None``."""
    complete: bool = True
    """``False`` for a partial index file (its build was interrupted)."""

    def __init__(
        self, table: Table, errors: Mapping[str, str | VideoProbeError] | None = None
    ) -> None:
        self._table = table
        self._failures = {
            path: error if isinstance(error, VideoProbeError) else VideoProbeError(path, error)
            for path, error in (errors or {}).items()
        }
        self._errors = {path: error.reason for path, error in self._failures.items()}
        self.errors: Mapping[str, str] = types.MappingProxyType(self._errors)
        self.failures: Mapping[str, VideoProbeError] = types.MappingProxyType(self._failures)

    @classmethod
    def build(
        cls,
        paths: Sequence[PathLike],
        *,
        cache_dir: PathLike | None = None,
        cache: bool = True,
        num_workers: int | None = None,
        progress: bool = True,
        fingerprint: bool = False,
        storage_options: StorageLike = None,
    ) -> VideoIndex:
        """Probe every video (in parallel), reusing cached probes of unchanged files.

        A cached probe is reused when the file's absolute path, size and modification time
        (for a URL: the object's version id or ETag) are unchanged (and, with
        ``fingerprint=True``, a hash of a local file's first and last 64 KiB); other files are
        probed and the cache is updated (entries of deleted or changed files are dropped).
        Files that cannot be read never stop the build: they are collected in :attr:`errors`
        (with their kinds in :attr:`failures`) and summarised in one logged warning.

        Args:
            paths: Video files. Duplicates are indexed once.
            cache_dir: Folder of the probe cache (one file per dataset folder).
                Default: ``None``, :func:`default_cache_dir`.
            cache: Read and write the probe cache. Default: ``True``.
            num_workers: Processes that probe in parallel; 0 probes in this process.
                Default: ``None``, ``min(8, os.cpu_count())``.
            progress: Show a progress bar (only on a terminal). Default: ``True``.
            fingerprint: Also key the cache on a BLAKE2b hash of each file's size, first and
                last 64 KiB (:attr:`VideoMeta.fingerprint`), so that a file rewritten with the
                same size and modification time is probed again. It costs a 128 KiB read and
                hash per file on every build, cache hits included (~0.2 ms against ~3 us for
                the size/mtime check). Entries cached without a fingerprint are probed again
                once. Default: ``False``.
            storage_options: fsspec options for URLs among ``paths`` (or a
                :class:`~fastvid.data.storage.Storage`). Default: ``None``.

        Returns:
            The index, in the order of ``paths`` (failed files left out).

        Raises:
            TypeError: ``paths`` is a single string or path, not a sequence.
            ValueError: ``num_workers`` is negative.
        """
        unique = _validate_paths(paths)
        workers = check_optional_int(
            "num_workers", num_workers, minimum=0, hint=" (0 probes in this process)"
        )
        if workers is None:
            workers = min(8, os.cpu_count() or 1)
        cache_file = None
        if cache:
            folder = _cache.default_cache_dir() if cache_dir is None else Path(cache_dir)
            folder = folder.expanduser()
            cache_file = folder / f"{_cache.dataset_key(unique)}.npz"
        cached = _cache.load_cache(cache_file) if cache_file is not None else None

        storage = as_storage(storage_options)
        hits: dict[str, int] = {}
        known = [p for p in unique if cached is not None and p in cached.rows]
        if cached is not None:
            rows = [cached.rows[path] for path in known]
            same = _cache.unchanged_many(
                known, [cached.ints[row] for row in rows], storage, fingerprint=fingerprint
            )
            hits = {path: row for path, row, ok in zip(known, rows, same, strict=True) if ok}
        to_probe = [path for path in unique if path not in hits]

        probed, errors = _pool.probe_all(
            to_probe, workers=workers, progress=progress, storage=storage, fingerprint=fingerprint
        )
        if errors:
            first = next(iter(errors.items()))
            logger.warning(
                "could not read %d of %d videos (see VideoIndex.errors); first: %s: %s",
                len(errors),
                len(unique),
                first[0],
                first[1].reason,
            )

        table = _assemble(unique, cached, hits, probed)
        if cache_file is not None:
            _cache.update_cache(cache_file, cached, table, probed, unique)
        return cls(table, {path: errors[path] for path in unique if path in errors})

    @classmethod
    def load(cls, file: PathLike) -> VideoIndex:
        """Map an index file (``fastvid index``, :meth:`build_file`) read-only.

        Its arrays are views of the file's pages: every process that maps it shares them.

        Args:
            file: The index file.

        Returns:
            The index; :attr:`file` is the file and :attr:`complete` whether its build
            finished (a partial index holds the videos probed so far).

        Raises:
            FileNotFoundError: There is no such file.
            ValueError: It is not an index file, or one written by a fastvid of another index
                format or probe version (the message says how to rebuild it).
        """
        from fastvid.data.index._store import read_index_file

        stored = read_index_file(Path(os.fspath(file)).expanduser())
        index = cls(stored.table, stored.errors)
        index.file = stored.file
        index.complete = stored.complete
        return index

    @classmethod
    def build_file(
        cls,
        paths: Sequence[PathLike],
        file: PathLike,
        *,
        num_workers: int | None = None,
        progress: bool = True,
        fingerprint: bool = False,
        storage_options: StorageLike = None,
        root: str = "",
        checkpoint_seconds: float = 60.0,
        keep_others: bool = False,
    ) -> VideoIndex:
        """Bring an index file up to date for ``paths`` and map it (see :meth:`load`).

        Videos already in the file with the same size and modification time (remote: version)
        are kept; only new or changed files are probed, in parallel. The file is rewritten
        (atomically) every ``checkpoint_seconds`` while probing, marked incomplete, so an
        interrupted build leaves a usable partial index and the next one resumes from it.
        Processes that build the same file at once (DDP ranks on a node) take turns on a lock
        beside it: the first probes, the others wait and then map what it wrote; no file is
        probed twice.

        Args:
            paths: Video files. Duplicates are indexed once.
            file: The index file (created with its folder).
            num_workers: Probing processes. Default: ``None``, ``min(8, os.cpu_count())``.
            progress: Show a progress bar (only on a terminal). Default: ``True``.
            fingerprint: Key entries on a head-and-tail hash too (see :meth:`build`).
                Default: ``False``.
            storage_options: fsspec options for URLs among ``paths``. Default: ``None``.
            root: The folder or URL the paths were listed from, recorded in the file.
                Default: ``""``.
            checkpoint_seconds: Seconds between partial writes while probing; > 0.
                Default: ``60.0``.
            keep_others: Keep the file's entries of videos not in ``paths`` (unchecked), e.g.
                to add one split's videos to a dataset's index. Default: ``False``: the file
                ends up holding ``paths`` only.

        Returns:
            The mapped index of ``paths`` (failed files in :attr:`errors`).

        Raises:
            TypeError: ``paths`` is a single path.
            ValueError: ``num_workers`` is negative or ``checkpoint_seconds`` not positive.
        """
        from fastvid.data.index._shared import build_index_file

        unique = _validate_paths(paths)
        workers = check_optional_int(
            "num_workers", num_workers, minimum=0, hint=" (0 probes in this process)"
        )
        if not checkpoint_seconds > 0:
            raise ValueError(f"checkpoint_seconds ({checkpoint_seconds}) must be > 0")
        build_index_file(
            unique,
            Path(os.fspath(file)).expanduser(),
            workers=min(8, os.cpu_count() or 1) if workers is None else workers,
            progress=progress,
            fingerprint=fingerprint,
            storage=as_storage(storage_options),
            root=root,
            checkpoint_seconds=checkpoint_seconds,
            keep_others=keep_others,
        )
        return cls.load(file)

    def rows_of(self, paths: Sequence[str]) -> np.ndarray:
        """The row of each of ``paths`` (normalized, as :meth:`build` keys them) in this index's
        columns, -1 for a path it does not hold (vectorised; no per-video objects)."""
        return self._table.rows_of(paths)

    @property
    def table(self) -> Table:
        """The columnar storage (read-only arrays; the planner reads its columns)."""
        return self._table

    @classmethod
    def from_metas(
        cls,
        metas: Iterable[VideoMeta],
        *,
        errors: Mapping[str, str | VideoProbeError] | None = None,
    ) -> VideoIndex:
        """An index of metas you already have (tests, benchmarks, custom probing).

        Args:
            metas: The videos; a repeated path keeps the first.
            errors: ``{path: reason}`` (kind ``"other"``) or ``{path: VideoProbeError}`` of
                files that failed. Default: ``None``, none.

        Returns:
            The index, in the order of ``metas``.
        """
        seen: set[str] = set()

        def first_of_each_path() -> Iterator[VideoMeta]:
            for meta in metas:  # a generator: 100k metas are never all held at once
                if meta.path not in seen:
                    seen.add(meta.path)
                    yield meta

        return cls(Table.from_metas(first_of_each_path()), errors)

    def meta(self, path: PathLike) -> VideoMeta:
        """The metadata of one video.

        Args:
            path: The file, as given to :meth:`build` or any path naming the same location.

        Returns:
            Its :class:`VideoMeta` (a fresh object; the arrays are read-only).

        Raises:
            VideoProbeError: The file was in the build but could not be read.
            KeyError: The file is not in this index.
        """
        key = normalize(path)
        row = self._table.rows.get(key)
        if row is not None:
            return self._table.meta(row)
        if key in self._failures:
            failure = self._failures[key]
            raise VideoProbeError(key, failure.reason, failure.kind)
        raise KeyError(f"{key} is not in this index of {len(self)} videos; build it with this file")

    @property
    def paths(self) -> list[str]:
        """The indexed paths (absolute; URLs as given), in build order."""
        return list(self._table.paths)

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str | os.PathLike):
            return False
        return normalize(path) in self._table.rows

    def __len__(self) -> int:
        return len(self._table)

    def __iter__(self) -> Iterator[VideoMeta]:
        return self._table.metas()

    def __repr__(self) -> str:
        return f"VideoIndex({len(self)} videos, {len(self._errors)} errors)"

    def nbytes(self) -> int:
        """Estimated memory held by the index in bytes (arrays, path strings, lookup dict)."""
        errors = sum(sys.getsizeof(k) + sys.getsizeof(v) for k, v in self._errors.items())
        return self._table.nbytes() + errors


def _validate_paths(paths: Sequence[PathLike]) -> list[str]:
    """The absolute paths, each once, in order."""
    if isinstance(paths, str | bytes | os.PathLike):
        raise TypeError(
            f"paths must be a sequence of video paths, got a single path {os.fspath(paths)!r}; "
            f"wrap it in a list"
        )
    unique: dict[str, None] = {}
    for path in paths:
        if not isinstance(path, str | os.PathLike):
            raise TypeError(f"every path must be a str or os.PathLike, got {path!r}")
        unique[normalize(path)] = None
    return list(unique)


def _assemble(
    paths: list[str], cached: Table | None, hits: dict[str, int], probed: dict[str, VideoMeta]
) -> Table:
    """The table of ``paths`` (in order, failed ones left out) from cache hits and new probes."""
    if cached is None or not hits:
        return Table.from_metas(probed[path] for path in paths if path in probed)
    if not probed and list(hits.values()) == list(range(len(cached))):
        return cached  # the common second run: the same files, none changed
    new = Table.from_metas(probed[path] for path in paths if path in probed)
    both = Table.concat(cached.select(list(hits.values())), new)
    order = [both.rows[path] for path in paths if path in both.rows]
    return both if order == list(range(len(both))) else both.select(order)
