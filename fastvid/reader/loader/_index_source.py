"""Where a loader's index comes from: given, found beside the data, or built (once per node).

:func:`find_index` answers, in order:

1. ``index=`` a :class:`~fastvid.data.index.VideoIndex`: that one.
2. ``index=`` a path: that index file, mapped read-only (``fastvid index`` writes one).
3. A file named ``fastvid.index`` in the videos' common folder or one of its three parents
   (where ``fastvid index SRC`` puts it): mapped; videos it lacks are probed into it first.
4. Under DDP (``world_size > 1``): an index file in the cache folder, built by whichever rank
   on the node takes its lock first while the others wait, then mapped by every rank.
5. Otherwise :meth:`VideoIndex.build <fastvid.data.index.VideoIndex.build>` with its cache.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastvid.data.index import VideoIndex
from fastvid.data.index._cache import dataset_key, default_cache_dir
from fastvid.data.index._store import INDEX_FILE_NAME, is_index_file
from fastvid.data.storage import Storage, is_remote, normalize

__all__ = ["find_index", "index_beside"]

logger = logging.getLogger("fastvid.reader.loader")

_PARENTS = 3  # how far above the videos' common folder an index file is looked for


def index_beside(paths: Sequence[str]) -> Path | None:
    """The ``fastvid.index`` file in the local videos' common folder or a parent, if any."""
    if not paths or any(is_remote(p) for p in paths[:1]):
        return None
    first, last = normalize(min(paths)), normalize(max(paths))
    folder = Path(os.path.commonpath([os.path.dirname(first), os.path.dirname(last)]))
    for candidate in [folder, *list(folder.parents)[:_PARENTS]]:
        file = candidate / INDEX_FILE_NAME
        if file.is_file() and is_index_file(file):
            return file
    return None


def find_index(
    paths: Sequence[str],
    index: Any,
    *,
    cache_dir: str | os.PathLike[str] | None,
    progress: bool,
    fingerprint: bool,
    storage: Storage | None,
    world_size: int,
) -> VideoIndex:
    """The index of ``paths`` (see the module docstring).

    Raises:
        FileNotFoundError: ``index`` names a file that does not exist.
        ValueError: ``index`` names a file that is not an index file of this fastvid.
        TypeError: ``index`` is neither an index, a path nor ``None``.
    """
    if isinstance(index, VideoIndex):
        return index
    if isinstance(index, str | os.PathLike):
        file = Path(os.fspath(index)).expanduser()
        if not file.is_file():
            raise FileNotFoundError(
                f"index={os.fspath(index)!r}: no such index file; write one with "
                f"`fastvid index <dataset folder> --out {os.fspath(index)}`"
            )
        return VideoIndex.load(file)
    if index is not None:
        raise TypeError(
            f"index must be a VideoIndex, an index file path or None, got {type(index).__name__}"
        )
    found = index_beside(paths)
    if found is not None:
        mapped = _load_found(found)
        if mapped is not None and _covers(mapped, paths):
            logger.info("fastvid: using the index file %s", found)
            return mapped
        if mapped is not None and os.access(found.parent, os.W_OK):
            logger.info("fastvid: adding the videos %s lacks to it", found)
            return _build_file(paths, found, progress, fingerprint, storage, keep_others=True)
    if world_size > 1:
        folder = default_cache_dir() if cache_dir is None else Path(cache_dir).expanduser()
        normalized = [normalize(p) for p in paths]
        file = folder / f"{dataset_key(normalized)}.fvidx"
        return _build_file(normalized, file, progress, fingerprint, storage)
    return VideoIndex.build(
        list(paths),
        cache_dir=cache_dir,
        progress=progress,
        fingerprint=fingerprint,
        storage_options=storage,
    )


def _load_found(file: Path) -> VideoIndex | None:
    try:
        return VideoIndex.load(file)
    except (OSError, ValueError) as err:
        warnings.warn(f"ignoring the index file {file}: {err}", RuntimeWarning, stacklevel=4)
        return None


def _covers(index: VideoIndex, paths: Sequence[str]) -> bool:
    rows = index.rows_of(paths)
    if (rows >= 0).all():
        return True
    missing = [normalize(paths[i]) for i in (rows < 0).nonzero()[0].tolist()]
    rows = index.rows_of(missing)
    return all(r >= 0 or p in index.failures for p, r in zip(missing, rows.tolist(), strict=True))


def _build_file(
    paths: Sequence[str],
    file: Path,
    progress: bool,
    fingerprint: bool,
    storage: Storage | None,
    *,
    keep_others: bool = False,
) -> VideoIndex:
    return VideoIndex.build_file(
        paths,
        file,
        progress=progress,
        fingerprint=fingerprint,
        storage_options=storage,
        keep_others=keep_others,
    )
