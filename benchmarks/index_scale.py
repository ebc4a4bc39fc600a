"""How the metadata index scales: probe time per 1,000 videos and memory per indexed video.

(a) Probe time: generates ``--videos`` real test videos (``fastvid.testing.make_video``), builds a
    ``VideoIndex`` of them with the cache off, in this process and with 1 and 2 worker processes,
    and extrapolates to seconds per 1,000 videos; then times a cached rebuild.
(b) Memory: builds a ``VideoIndex`` from ``--entries`` synthetic ``VideoMeta`` (10 s at 30 fps =
    300 timestamps each; constant frame rate, and variable frame rate with jittered timestamps)
    and reports ``nbytes()`` and the process RSS growth, plus lookup and cache save/load times.

Run: ``python benchmarks/index_scale.py`` (about a minute on 2 cores). Prints markdown tables.
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np
import psutil

from fastvid.data.index import VideoIndex, VideoMeta, _cache, _pool
from fastvid.testing import make_video


def _probe_rows(
    count: int, copies: int, size: tuple[int, int], seconds: float, codec: str
) -> list[str]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for i in range(count):
            paths.append(Path(folder) / f"class_{i % 5}" / f"video_{i:04d}.mp4")
            paths[-1].parent.mkdir(exist_ok=True)
            make_video(paths[-1], codec=codec, size=size, duration=seconds, seed=i)  # type: ignore[arg-type]
        frames = VideoIndex.build(paths[:1], cache=False, progress=False).meta(paths[0]).num_frames
        for copy in range(1, copies):  # hard links: more files to amortise pool start-up
            for i in range(count):
                link = paths[i].with_name(f"video_{i:04d}_copy{copy}.mp4")
                os.link(paths[i], link)
                paths.append(link)
        count = len(paths)
        inline_below = _pool.INLINE_BELOW
        _pool.INLINE_BELOW = 0  # use the pool even for a few files, to time it
        try:
            for workers in (0, 1, 2):
                best = min(_timed_build(paths, workers) for _ in range(3))
                label = "in process" if workers == 0 else f"pool of {workers} (incl. start-up)"
                rows.append(_row(f"probe, {label}", best, count))
        finally:
            _pool.INLINE_BELOW = inline_below
        cache = Path(folder) / "cache"
        _timed_build(paths, 0, cache)
        rows.append(_row("cached rebuild (unchanged files)", _timed_build(paths, 0, cache), count))
    header = (
        f"Probe: {count} files ({count // copies} videos x {copies} hard links), {codec} "
        f"{size[0]}x{size[1]}, {seconds:g} s, {frames} frames each\n\n"
        "| build | ms / video (= s / 1,000 videos) |\n|---|---:|"
    )
    return [header, *rows]


def _timed_build(paths: list[Path], workers: int, cache: Path | None = None) -> float:
    start = time.perf_counter()
    index = VideoIndex.build(
        paths, cache=cache is not None, cache_dir=cache, num_workers=workers, progress=False
    )
    elapsed = time.perf_counter() - start
    if len(index) != len(paths):
        raise RuntimeError(f"probing failed: {dict(index.errors)}")
    return elapsed


def _row(name: str, seconds: float, count: int) -> str:
    return f"| {name} | {1000 * seconds / count:.2f} |"


def _synthetic(count: int, vfr: bool) -> Iterator[VideoMeta]:
    rng = np.random.default_rng(0)
    base = np.arange(300, dtype=np.int64) * 512  # 30 fps in a 1/15360 time base
    keyframes = np.array([0, 250], np.int32)
    for i in range(count):
        pts = np.sort(base + rng.integers(-40, 41, 300)) if vfr else base
        yield VideoMeta(
            path=f"/datasets/kinetics400/train/class_{i % 400:03d}/{i:08d}_000010_000020.mp4",
            size=2_000_000 + i,
            mtime_ns=1_700_000_000_000_000_000 + i,
            codec="h264",
            width=340,
            height=256,
            rotation=0,
            time_base=Fraction(1, 15360),
            start_pts=0,
            pts=pts,
            keyframes=keyframes,
            avg_fps=30.0,
            num_frames=300,
            duration=Fraction(10),
            has_audio=True,
        )


def _memory_rows(count: int) -> list[str]:
    rows = [
        f"Memory: {count:,} synthetic videos, 300 frames each\n\n"
        "| timestamps | nbytes() | RSS growth | bytes / video | meta() lookup | "
        "cache save / load |\n|---|---:|---:|---:|---:|---:|"
    ]
    process = psutil.Process()
    for vfr in (False, True):
        gc.collect()
        before = process.memory_info().rss
        index = VideoIndex.from_metas(_synthetic(count, vfr))
        gc.collect()
        grown = process.memory_info().rss - before
        paths = index.paths
        picks = [paths[i] for i in np.random.default_rng(1).integers(0, count, 2000)]
        start = time.perf_counter()
        for path in picks:
            index.meta(path)
        lookup_us = 1e6 * (time.perf_counter() - start) / len(picks)
        with tempfile.TemporaryDirectory() as folder:
            file = Path(folder) / "index.npz"
            start = time.perf_counter()
            _cache.save_table(index._table, file)
            saved = time.perf_counter() - start
            start = time.perf_counter()
            _cache.load_table(file)
            loaded = time.perf_counter() - start
        kind = "variable rate (jittered, uint16 deltas)" if vfr else "constant rate"
        rows.append(
            f"| {kind} | {index.nbytes() / 2**20:.1f} MiB | {grown / 2**20:.1f} MiB | "
            f"{index.nbytes() / count:.0f} | {lookup_us:.1f} µs | {saved:.2f} s / {loaded:.2f} s |"
        )
        del index, paths, picks
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=50, help="real videos to probe (50)")
    parser.add_argument("--copies", type=int, default=8, help="hard links per video (8)")
    parser.add_argument("--seconds", type=float, default=10.0, help="their length (10 s)")
    parser.add_argument("--size", type=int, nargs=2, default=(320, 240), help="W H (320 240)")
    parser.add_argument("--codec", default="h264", help="make_video codec (h264)")
    parser.add_argument("--entries", type=int, default=100_000, help="synthetic entries (100k)")
    args = parser.parse_args()
    print(f"cpu count: {os.cpu_count()}\n")
    print(
        "\n".join(_probe_rows(args.videos, args.copies, tuple(args.size), args.seconds, args.codec))
    )
    print()
    print("\n".join(_memory_rows(args.entries)))


if __name__ == "__main__":
    main()
