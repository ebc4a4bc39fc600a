"""Where fastvid's CPU time per clip goes, beside the strict ceiling's, on one dataset.

``python -m benchmarks.overhead PATH... [--sampler uniform] [--epochs 3]`` runs fastvid's CPU
loader (the seed config, batches of 4) over the files for ``--epochs`` measured epochs after a
warm-up one, and prints per clip: the CPU seconds of the loader's process and of its workers
(``/proc`` times, so everything counts: decoding, conversion, messages, shared memory,
Python), the engine's own split (``EpochStats``: decode + RGB conversion in the workers,
the finish in the parent, the rest), and the strict ceiling's decode-only CPU seconds for the
same planned frames in this process (:class:`benchmarks.loaders.strict_ceiling.StrictDecoder`).
With ``--profile FILE``, the parent's epochs run under cProfile timed by the process's CPU
clock (``FILE`` gets the stats).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import sys
import time
from dataclasses import replace
from typing import Any

__all__ = ["main", "measure_overhead"]


def _cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_overhead(
    paths: list[str],
    *,
    sampler: str = "uniform",
    epochs: int = 3,
    profile: str | None = None,
) -> dict[str, Any]:
    """fastvid's CPU per clip (parent, workers, the engine's split) and the strict ceiling's."""
    from benchmarks.loaders.strict_ceiling import StrictDecoder
    from fastvid.benchmark.loaders.workload import SEED, fastvid_loader
    from fastvid.data.index import VideoIndex

    index = VideoIndex.build(paths, progress=False)
    pairs = [(p, i % 4) for i, p in enumerate(paths)]
    loader = fastvid_loader(
        pairs,
        index=index,
        batch_size=4,
        device="cpu",
        cpu_decoder="pyav",
        num_workers=None,
        config=replace(SEED, clip_sampler=sampler),
    )
    loader.set_epoch(0)
    for _ in loader:  # warm-up: workers started, files opened
        pass
    me = os.getpid()
    workers = list(getattr(loader, "worker_pids", lambda: [])())
    parent_cpu = worker_cpu = wall = 0.0
    clips = 0
    decoded = 0
    split = {"decode": 0.0, "worker_other": 0.0, "finish": 0.0, "parent_other": 0.0}
    # CPU time, not wall time: on a shared machine the wall clock mostly counts other processes
    profiler = cProfile.Profile(time.process_time) if profile else None
    for epoch in range(1, epochs + 1):
        loader.set_epoch(epoch)
        workers = workers or _children(me)
        cpu0, wcpu0, t0 = _cpu(me), sum(_cpu(p) for p in workers), time.perf_counter()
        if profiler is not None:
            profiler.enable()
        for _ in loader:
            pass
        if profiler is not None:
            profiler.disable()
        wall += time.perf_counter() - t0
        parent_cpu += _cpu(me) - cpu0
        worker_cpu += sum(_cpu(p) for p in workers) - wcpu0
        stats = loader.last_epoch_stats
        clips += stats.clips
        decoded += stats.decoded_frames
        split["decode"] += stats.decode_seconds
        split["worker_other"] += stats.worker_seconds - stats.decode_seconds
        split["finish"] += stats.dali_seconds
        split["parent_other"] += stats.parent_seconds - stats.dali_seconds
    plans = [list(loader.plan(epoch)) for epoch in range(1, epochs + 1)]
    loader.close()
    if profiler is not None and profile:
        profiler.dump_stats(profile)
    decoder = StrictDecoder()
    c0 = time.process_time()
    for plan in plans:
        for request in plan:
            decoder.decode(request, index.meta(request.path))
    ceiling = time.process_time() - c0
    ms = 1000 / max(clips, 1)
    return {
        "clips": clips,
        "clips_per_s": clips / wall,
        "parent_cpu_ms": parent_cpu * ms,
        "worker_cpu_ms": worker_cpu * ms,
        "total_cpu_ms": (parent_cpu + worker_cpu) * ms,
        **{f"{k}_ms": v * ms for k, v in split.items()},
        "decoded_frames_per_clip": decoded / max(clips, 1),
        "strict_ceiling_cpu_ms": ceiling * ms,
        "strict_ceiling_decoded_frames_per_clip": decoder.decoded / max(clips, 1),
    }


def _children(pid: int) -> list[int]:
    import psutil

    return [c.pid for c in psutil.Process(pid).children(recursive=True)]


def main(argv: list[str] | None = None) -> int:
    """Command line: print the per-clip split."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.overhead", description=__doc__)
    parser.add_argument("paths", nargs="+", help="video files")
    parser.add_argument("--sampler", default="uniform")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--profile", default=None, help="cProfile stats file for the parent")
    args = parser.parse_args(argv)
    result = measure_overhead(
        args.paths, sampler=args.sampler, epochs=args.epochs, profile=args.profile
    )
    for key, value in result.items():
        print(f"{key:>24}: {value:.2f}" if isinstance(value, float) else f"{key:>24}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
