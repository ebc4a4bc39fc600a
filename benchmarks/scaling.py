"""Scaling run: fastvid's cost against the number of videos and the batch size.

Many small videos (64x48, 1 s H.264; 100 encoded, the rest hard links to them) so that the
per-video costs show: the metadata index build (probing every file, no cache), the epoch plan,
and the loader's throughput over the first batches of an epoch. If the index were a bottleneck,
its time per video would grow with the number of videos, or the loader's clips/s would fall as
the dataset grows.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.datasets import DEFAULT_DATA_DIR, ensure_scaling_videos
from benchmarks.loaders import (
    RowResult,
    Workload,
    fastvid_batches,
    make_workload,
    measure,
)

__all__ = ["DEFAULT_BATCH_SIZES", "DEFAULT_COUNTS", "run_scaling"]

DEFAULT_COUNTS = (100, 1000, 10000)
DEFAULT_BATCH_SIZES = (1, 2, 4, 8, 16, 32)
_MB = 1024 * 1024
_WARMUP_BATCHES = 3  # the first batches (start-up, prefetch) are not timed


def _index(paths: list[str]) -> tuple[Any, float, float]:
    """Build the index without its cache; return it, seconds and RSS growth of this process."""
    import psutil

    from fastvid.data.index import VideoIndex

    gc.collect()
    before = psutil.Process().memory_info().rss
    start = time.perf_counter()
    index = VideoIndex.build(paths, cache=False, progress=False)
    seconds = time.perf_counter() - start
    gc.collect()
    grown = (psutil.Process().memory_info().rss - before) / _MB
    if index.errors:
        raise RuntimeError(
            f"{len(index.errors)} scaling videos failed to index: "
            f"{next(iter(index.errors.items()))}"
        )
    return index, seconds, grown


def _throughput(work: Workload, *, clips: int, label: str) -> RowResult:
    """fastvid's clips/s over the first ``clips`` clips of an epoch, its first batches untimed."""
    available = -(-work.num_clips // work.batch_size)
    batches = min(available, max(_WARMUP_BATCHES + 3, -(-clips // work.batch_size)))
    warmup = max(1, min(_WARMUP_BATCHES, batches - 1))
    result = RowResult(work.name, "fastvid", "cpu", label)
    result.params = {"batches": batches, "untimed_batches": warmup}
    if batches - warmup < 3:
        result.status = "skipped"
        result.reason = f"an epoch of {available} batches is too short to time"
        return result
    try:
        batches_run = fastvid_batches(
            work, device="cpu", cpu_decoder="pyav", max_batches=batches, warmup_batches=warmup
        )
        measure(batches_run, result, frames_per_clip=8)
    except Exception as exc:
        result.status = "failed"
        result.reason = f"{type(exc).__name__}: {str(exc)[:300]}"
    return result


def run_scaling(
    *,
    counts: Sequence[int] = DEFAULT_COUNTS,
    batch_sizes: Sequence[int] = DEFAULT_BATCH_SIZES,
    batch_size: int = 8,
    clips: int = 192,
    batch_sweep_videos: int = 1000,
    data_dir: str | os.PathLike[str] = DEFAULT_DATA_DIR,
    log: Any = print,
) -> dict[str, Any]:
    """Measure index build, plan and loader throughput against dataset size and batch size.

    Args:
        counts: Numbers of videos. Default: 100, 1,000 and 10,000.
        batch_sizes: Batch sizes of the batch-size sweep. Default: 1 to 32.
        batch_size: Batch size of the dataset-size sweep. Default: 8.
        clips: Clips timed per configuration (at least two batches). Default: 192.
        batch_sweep_videos: Videos in the batch-size sweep. Default: 1,000.
        data_dir: Root folder of the benchmark data. Default: ``bench_data``.
        log: ``print``-like function for progress. Default: ``print``.

    Returns:
        ``{"videos": [...], "batch_sizes": [...], "video": ..., "loader": ...}``.
    """
    started = time.perf_counter()
    paths = ensure_scaling_videos(max([*counts, batch_sweep_videos]), data_dir, log=log)
    by_count: list[dict[str, Any]] = []
    indexes: dict[int, Any] = {}
    warm, _, _ = _index(paths[:2])  # first-use imports are not part of the timings below
    make_workload("warm-up", [(p, 0) for p in paths[:2]], batch_size=1, index=warm, codec="h264")
    for count in counts:
        subset = paths[:count]
        index, index_s, index_mb = _index(subset)
        indexes[count] = index
        pairs = [(p, i % 4) for i, p in enumerate(subset)]
        start = time.perf_counter()
        work = make_workload(
            f"{count}-videos", pairs, batch_size=batch_size, index=index, codec="h264"
        )
        plan_s = time.perf_counter() - start
        result = _throughput(work, clips=clips, label=f"videos={count}")
        by_count.append(
            {
                "videos": count,
                "index_s": index_s,
                "index_us_per_video": index_s / count * 1e6,
                "index_rss_delta_mb": index_mb,
                "plan_s": plan_s,
                "planned_clips": work.num_clips,
                "batch_size": batch_size,
                **_row_numbers(result),
            }
        )
        log(
            f"[scaling] {count} videos: index {index_s:.2f} s, plan {plan_s:.3f} s, "
            f"{_clips_text(result)}"
        )
    by_batch: list[dict[str, Any]] = []
    index = indexes.get(batch_sweep_videos)
    subset = paths[:batch_sweep_videos]
    if index is None:
        index, _, _ = _index(subset)
    pairs = [(p, i % 4) for i, p in enumerate(subset)]
    for size in batch_sizes:
        work = make_workload(
            f"{batch_sweep_videos}-videos", pairs, batch_size=size, index=index, codec="h264"
        )
        result = _throughput(work, clips=max(clips, 2 * size), label=f"batch_size={size}")
        by_batch.append({"batch_size": size, "videos": batch_sweep_videos, **_row_numbers(result)})
        log(f"[scaling] batch size {size}: {_clips_text(result)}")
    return {
        "video": "64x48 H.264, 1 s, 30 fps (100 encoded, the rest hard links)",
        "loader": "fastvid ClipLoader(device='cpu', cpu_decoder='pyav'), seed config",
        "clips_timed": clips,
        "videos": by_count,
        "batch_sizes": by_batch,
        "total_s": time.perf_counter() - started,
        "data": str(Path(data_dir)),
    }


def _row_numbers(result: RowResult) -> dict[str, Any]:
    keys = (
        "status",
        "reason",
        "clips",
        "first_batch_s",
        "clips_per_s",
        "cpu_s_per_clip",
        "peak_rss_mb",
        "rss_delta_mb",
        "peak_pss_mb",
        "pss_delta_mb",
    )
    return {key: getattr(result, key) for key in keys}


def _clips_text(result: RowResult) -> str:
    if result.status != "ok":
        return f"{result.status}: {result.reason}"
    return (
        f"{result.clips_per_s or 0:.1f} clips/s, first batch {result.first_batch_s:.1f} s, "
        f"peak RSS {result.peak_rss_mb:.0f} MB"
    )
