"""Index and planning at 10^4-10^6 videos of ~10 s: build, file size, load, plan, first batch,
memory per rank with two ranks mapping one index file.

Videos: a few encoded 10 s clips (64x48 H.264, 30 fps, 300 frames), the rest hard links to
them, 1,000 per folder. For each count: ``fastvid index``'s build (``VideoIndex.build_file``,
probing every file, all cores) unless ``--no-build-above`` says the count is too large to
probe here, in which case the index file is written from the probes of the encoded files
(every hard link has its file's metadata) and the build time is *extrapolated* from the
largest measured build (the report says which). Then two processes play two ranks of a node:
each maps the file, makes a ``ClipLoader`` (uniform 2 s clips, 8 frames, PyAV on the CPU),
plans two epochs and takes the first batch; with both alive, each reads its RSS, PSS and the
PSS of the index file's mapping from ``/proc/self/smaps``. Set-up and plans are timed on one
loader (``loader.plan(0)`` is the whole first epoch's plan); the first batch on a second, fresh
loader sharing the mapped index, as a user meets it: ``ClipLoader(...)``, ``setup()`` (its
worker starts there), ``next(iter(loader))`` (the first batches planned alone, the rest of the
epoch in the background).

Usage: python -m benchmarks.scale_index [--counts 10000 100000 1000000]
    [--build-up-to 100000] [--data DIR] [--out benchmarks/results/cpu/scale_index.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ENCODED = 8
PER_FOLDER = 1000
LINKS_PER_COPY = 50_000  # ext4 allows 65,000 hard links per file: a fresh copy after these


def _videos(data: Path, count: int) -> list[str]:
    """``count`` paths: ENCODED encoded videos and hard links to them."""
    from fastvid.testing import make_video

    source = data / "encoded"
    source.mkdir(parents=True, exist_ok=True)
    encoded = []
    for i in range(ENCODED):
        path = source / f"v{i}.mp4"
        if not path.exists():
            make_video(path, codec="h264", size=(64, 48), fps=30, duration=10.0, seed=i, gop=30)
        encoded.append(path)
    root = data / f"n{count}"
    paths = []
    for i in range(count):
        path = root / f"c{i // PER_FOLDER:04d}" / f"v{i:07d}.mp4"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            os.link(_copy(encoded[i % ENCODED], count, i // (ENCODED * LINKS_PER_COPY)), path)
        paths.append(str(path))
    return paths


def _copy(encoded: Path, count: int, number: int) -> Path:
    """The ``number``-th copy of an encoded file for the ``count``-video set (same bytes and
    times, another inode)."""
    copy = encoded.with_name(f"{encoded.stem}_n{count}_copy{number}{encoded.suffix}")
    if not copy.exists():
        shutil.copy2(encoded, copy)
    return copy


def _replicated_index(paths: list[str], file: Path, encoded: Path) -> None:
    """The index file of ``paths`` from the encoded files' probes (hard links share them)."""
    from dataclasses import replace

    from fastvid.data.index import VideoIndex, probe_video
    from fastvid.data.index._store import write_index_file

    metas = [probe_video(str(encoded / f"v{i}.mp4")) for i in range(ENCODED)]
    index = VideoIndex.from_metas(replace(metas[i % ENCODED], path=p) for i, p in enumerate(paths))
    write_index_file(index.table, file, root=str(Path(paths[0]).parents[1]))


_RANK = r"""
import gc, json, os, sys, time
t0 = time.perf_counter()
import numpy as np
from fastvid.data.index import VideoIndex
from fastvid.data.samplers import make_clip_sampler
from fastvid.reader.loader.clip_loader import ClipLoader
imports = time.perf_counter() - t0
file, listing, out, rank, world = sys.argv[1:6]
rank, world = int(rank), int(world)
paths = open(listing).read().split("\n")
pairs = [(p, i % 400) for i, p in enumerate(paths)]
t = time.perf_counter(); index = VideoIndex.load(file); load = time.perf_counter() - t
t = time.perf_counter()
rows = index.rows_of(paths); assert (rows >= 0).all()
lookup = time.perf_counter() - t
def make_loader():
    return ClipLoader(pairs, clip_sampler=make_clip_sampler("uniform", 2.0), batch_size=8,
                      device="cpu", cpu_decoder="pyav", num_workers=1, index=index,
                      rank=rank, world_size=world, progress=False)
t = time.perf_counter()
loader = make_loader()
loader.setup()
setup = time.perf_counter() - t
loader.close()  # its worker (started with the set-up) would compete with the plans timed here
t = time.perf_counter(); plan0 = loader.plan(0); plan_first = time.perf_counter() - t
t = time.perf_counter(); plan1 = loader.plan(1); plan_next = time.perf_counter() - t
clips = len(plan0)
loader.close()
del loader, plan0, plan1
gc.collect()
# what a user feels: a fresh loader (sharing the mapped index), its set-up, its first batch
t = time.perf_counter()
loader = make_loader()
loader.setup()
user_setup = time.perf_counter() - t
t = time.perf_counter(); batches = iter(loader); batch = next(batches)
first_batch = time.perf_counter() - t
def smaps(target):
    rss = pss = index_pss = index_rss = 0
    current = None
    for line in open("/proc/self/smaps"):
        parts = line.split()
        if len(parts) >= 5 and "-" in parts[0] and ":" in parts[3]:
            current = parts[5] if len(parts) > 5 else ""
        elif parts and parts[0] == "Rss:":
            rss += int(parts[1])
            index_rss += int(parts[1]) if current == target else 0
        elif parts and parts[0] == "Pss:":
            pss += int(parts[1])
            index_pss += int(parts[1]) if current == target else 0
    return rss, pss, index_rss, index_pss
np.asarray(index.table.ints).sum(); index.table.keyframes.sum()  # touch every page once
for d in index.table.deltas.values(): d.sum()
index.table.paths.blob.sum()
open(f"{out}.ready{rank}", "w").close()
while not all(os.path.exists(f"{out}.ready{r}") for r in range(world)):
    time.sleep(0.05)
rss, pss, index_rss, index_pss = smaps(os.path.realpath(file))
open(f"{out}.measured{rank}", "w").close()
while not all(os.path.exists(f"{out}.measured{r}") for r in range(world)):
    time.sleep(0.05)
loader.close()
json.dump({"rank": rank, "imports_s": imports, "load_s": load, "lookup_s": lookup,
           "setup_s": setup, "plan_first_s": plan_first, "plan_next_s": plan_next,
           "first_batch_s": first_batch, "user_setup_s": user_setup,
           "start_to_first_batch_s": load + user_setup + first_batch,
           "clips": clips, "batch": len(batch["video_index"]),
           "rss_mb": rss / 1024, "pss_mb": pss / 1024, "index_rss_mb": index_rss / 1024,
           "index_pss_mb": index_pss / 1024}, open(f"{out}.rank{rank}.json", "w"))
"""


def _ranks(file: Path, paths: list[str], work: Path, world: int = 2) -> list[dict[str, Any]]:
    listing = work / "listing.txt"
    listing.write_text("\n".join(paths))
    out = work / "rank"
    for stale in work.glob("rank.*"):
        stale.unlink()
    script = work / "rank.py"
    script.write_text(_RANK)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(Path.cwd()), os.environ.get("PYTHONPATH", "")]),
    }
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(file), str(listing), str(out), str(r), str(world)],
            env=env,
        )
        for r in range(world)
    ]
    for p in procs:
        if p.wait(timeout=3600) != 0:
            raise RuntimeError(f"rank process failed ({p.returncode})")
    return [json.loads((work / f"rank.rank{r}.json").read_text()) for r in range(world)]


def run(
    counts: list[int],
    build_up_to: int,
    data: Path,
    out: Path,
    log: Any = print,
    *,
    reuse: bool = False,
) -> dict[str, Any]:
    """Measure every count; see the module docstring."""
    from fastvid.data.index import VideoIndex

    results: dict[str, Any] = {"counts": [], "load_average_start": os.getloadavg()}
    rate = None
    for count in counts:
        paths = _videos(data, count)
        file = data / f"n{count}" / "fastvid.index"
        row: dict[str, Any] = {"videos": count}
        if count <= build_up_to:
            file.unlink(missing_ok=True)
            load = os.getloadavg()[0]
            t = time.perf_counter()
            VideoIndex.build_file(paths, file, progress=False)
            row["build_s"] = time.perf_counter() - t
            row["build_measured"] = True
            row["build_load_average"] = [load, os.getloadavg()[0]]
            rate = row["build_s"] / count
            t = time.perf_counter()
            VideoIndex.build_file(paths, file, progress=False)  # nothing changed: stat only
            row["rebuild_unchanged_s"] = time.perf_counter() - t
        else:
            if not (reuse and file.exists()):
                _replicated_index(paths, file, data / "encoded")
            row["build_measured"] = False
            row["build_s"] = None if rate is None else rate * count  # extrapolated
        row["build_us_per_video"] = None if row["build_s"] is None else row["build_s"] / count * 1e6
        row["file_bytes"] = file.stat().st_size
        row["file_bytes_per_video"] = row["file_bytes"] / count
        row["ranks"] = _ranks(file, paths, data / f"n{count}")
        row["load_average_end"] = os.getloadavg()
        results["counts"].append(row)
        out.write_text(json.dumps(results, indent=2))  # after every count
        log(json.dumps(row))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--build-up-to", type=int, default=100_000)
    parser.add_argument("--data", default="bench_data/scale_index")
    parser.add_argument("--out", default="benchmarks/results/cpu/scale_index.json")
    parser.add_argument(
        "--reuse", action="store_true", help="keep index files of counts above --build-up-to"
    )
    args = parser.parse_args(argv)
    run(args.counts, args.build_up_to, Path(args.data).resolve(), Path(args.out), reuse=args.reuse)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def report(rows: list[dict[str, Any]]) -> str:
    """The markdown tables of :func:`run`'s rows (see ``benchmarks/results/cpu/scaling.md``)."""
    lines = [
        "| videos | index build s | build µs/video | build | unchanged re-run s | file bytes/video "
        "| file MB |",
        "|---:|---:|---:|:--|---:|---:|---:|",
    ]
    for row in rows:
        how = "measured" if row["build_measured"] else "**extrapolated**"
        lines.append(
            f"| {row['videos']:,} | {_fmt(row['build_s'], 1)} "
            f"| {_fmt(row['build_us_per_video'], 0)} | {how} "
            f"| {_fmt(row.get('rebuild_unchanged_s'))} | {row['file_bytes_per_video']:.0f} "
            f"| {row['file_bytes'] / 1e6:.1f} |"
        )
    lines += [
        "",
        "Per rank, two ranks mapping one index file (`rank 0 / rank 1`):",
        "",
        "| videos | clips/epoch/rank | index load s | set-up s | plan s (1st epoch) "
        "| plan s (next) | fresh loader's set-up s "
        "| first batch s | start → first batch s | RSS MB | PSS MB | index RSS MB | index PSS MB "
        "| file MB ÷ 2 |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def pair(row: dict[str, Any], key: str, digits: int = 2) -> str:
        return " / ".join(_fmt(rank.get(key), digits) for rank in row["ranks"])

    for row in rows:
        lines.append(
            f"| {row['videos']:,} | {row['ranks'][0]['clips']:,} | {pair(row, 'load_s')} "
            f"| {pair(row, 'setup_s')} | {pair(row, 'plan_first_s')} | {pair(row, 'plan_next_s')} "
            f"| {pair(row, 'user_setup_s')} "
            f"| {pair(row, 'first_batch_s')} | {pair(row, 'start_to_first_batch_s')} "
            f"| {pair(row, 'rss_mb', 0)} | {pair(row, 'pss_mb', 0)} "
            f"| {pair(row, 'index_rss_mb', 1)} | {pair(row, 'index_pss_mb', 1)} "
            f"| {row['file_bytes'] / 2e6:.1f} |"
        )
    return "\n".join(lines)
