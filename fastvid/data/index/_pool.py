"""Probe many files: in this process for a few, in a pool of forked processes for many."""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import sys
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from tqdm.auto import tqdm

from fastvid.data.index import _probe
from fastvid.data.index._meta import VideoMeta, VideoProbeError
from fastvid.data.storage import Storage

__all__ = ["INLINE_BELOW", "probe_all"]

# Fewer files than this are probed in this process. Starting a pool costs ~0.1-0.3 s and a
# probe ~3-6 ms per 300-frame file (benchmarks/index_scale.py), so smaller pools do not pay off.
INLINE_BELOW = 64


def probe_all(
    paths: list[str],
    *,
    workers: int,
    progress: bool,
    storage: Storage | None = None,
    fingerprint: bool = False,
    bar: Any = None,
) -> tuple[dict[str, VideoMeta], dict[str, VideoProbeError]]:
    """Probe ``paths``; never raises for a bad file.

    Args:
        paths: Absolute paths, each once.
        workers: Pool processes; 0 probes in this process.
        progress: Show a progress bar (only on a terminal).
        storage: How URLs are read (fsspec options). Default: ``None``, local defaults.
        fingerprint: Hash each file's head and tail too (``VideoMeta.fingerprint``).
        bar: A progress bar (``tqdm``) to advance per file instead of making one.

    Returns:
        ``({path: meta}, {path: error})``: every path is in exactly one of them; each error
        has the reason and its kind.
    """
    probed: dict[str, VideoMeta] = {}
    errors: dict[str, VideoProbeError] = {}
    if not paths:
        return probed, errors
    probe = functools.partial(_probe.probe_or_error, storage=storage, fingerprint=fingerprint)
    show = progress and sys.stderr.isatty() and bar is None
    shown: Any = (
        tqdm(total=len(paths), desc="probing videos", unit="video", disable=not show)
        if bar is None
        else contextlib.nullcontext(bar)
    )
    with shown as bar:
        if workers > 0 and len(paths) >= INLINE_BELOW:
            try:
                _probe_in_pool(paths, workers, probe, probed, errors, bar)
            except (BrokenProcessPool, OSError, RuntimeError) as err:
                warnings.warn(
                    f"parallel probing failed ({type(err).__name__}: {err}); probing the "
                    f"remaining videos in this process (num_workers=0 skips the pool)",
                    RuntimeWarning,
                    stacklevel=3,
                )
        remaining = [path for path in paths if path not in probed and path not in errors]
        _collect(remaining, map(probe, remaining), probed, errors, bar)
    return probed, errors


def _probe_in_pool(
    paths: list[str],
    workers: int,
    probe: Callable[[str], VideoMeta | VideoProbeError],
    probed: dict[str, VideoMeta],
    errors: dict[str, VideoProbeError],
    bar: Any,
) -> None:
    chunk = max(1, min(32, len(paths) // (workers * 8)))
    with warnings.catch_warnings():
        # Python >= 3.12 warns that fork() in a multi-threaded process may deadlock; the
        # workers only demux with FFmpeg and never touch the parent's threads' state.
        warnings.filterwarnings("ignore", ".*fork.*", DeprecationWarning)
        with ProcessPoolExecutor(workers, mp_context=_pool_context()) as pool:
            results = pool.map(probe, paths, chunksize=chunk)
            _collect(paths, results, probed, errors, bar)


def _collect(
    paths: list[str],
    results: Iterable[VideoMeta | VideoProbeError],
    probed: dict[str, VideoMeta],
    errors: dict[str, VideoProbeError],
    bar: Any,
) -> None:
    for path, result in zip(paths, results, strict=True):
        if isinstance(result, VideoProbeError):
            errors[path] = result
        else:
            probed[path] = result
        bar.update(1)


def _pool_context() -> Any:
    # fork where it exists: workers start instantly, and a user script without an
    # `if __name__ == "__main__":` guard is not re-run in every worker (spawn/forkserver do).
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()
