"""Command line of the benchmark suite: ``python -m benchmarks.run`` (``fastvid bench``).

Default: H.264 and VP9 at 720p, 360p and 1080p with x264's default GOP (250 frames), plus 720p
with 2 s GOPs (60 frames); 64 videos of 10 s each; the ``uniform`` and ``random`` clip samplers
on every dataset and ``constant_clips_per_video`` on the 720p ones; every loader row on the same
files and clips (at most ``--clips`` per pass, ``--ptv-clips`` for PyTorchVideo), in this one
process; results in ``benchmarks/results/<machine-tag>/``. ``--quick`` runs a one-to-two-minute
version (720p H.264, 16 videos, uniform and random, few clips). ``--generate-only`` only
generates the videos. ``--scaling`` adds the scaling run (cost against the number of videos
and the batch size).

The options are in :mod:`benchmarks.cli_args`, what runs in :mod:`benchmarks.suite`, the files
written in :mod:`fastvid.benchmark.report`; this module runs the rows and ties them together.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.cli_args import ROOT, build_parser, validate_args
from benchmarks.datasets import Dataset, ensure_dataset
from benchmarks.loaders import RowResult, Workload, make_workload, row_jobs, run_job
from benchmarks.loaders.repeats import median_result
from benchmarks.suite import (
    clip_limits,
    ptv_in_default_scope,
    ptv_workers,
    samplers_for,
    suite,
)
from fastvid.benchmark import report
from fastvid.benchmark.loaders.frame_check import check_frames

__all__ = ["build_parser", "main", "run_loaders", "samplers_for", "suite"]


def _log(message: str) -> None:
    print(message, flush=True)


def _result_text(r: RowResult) -> str:
    if r.status != "ok":
        return f"{r.status.upper()}: {r.reason}"
    rate = "n/a" if r.clips_per_s is None else f"{r.clips_per_s:.2f} clips/s"
    return (
        f"{rate} ({r.clips} clips, first batch {r.first_batch_s:.1f} s, "
        f"peak RSS {r.peak_rss_mb:.0f} MB)"
    )


def _torchcodec_message() -> str | None:
    try:
        import torchcodec.decoders  # noqa: F401
    except Exception as exc:
        return (
            f"torchcodec is not available ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            "): its rows are skipped. Install it with benchmarks/setup.sh (FFmpeg's shared "
            "libraries via apt-get, then pip install -e '.[bench]')."
        )
    return None


def _index(dataset: Dataset, data_dir: Path) -> tuple[Any, float]:
    from fastvid.data.index import VideoIndex

    start = time.perf_counter()
    index = VideoIndex.build(dataset.paths, cache_dir=data_dir / ".index", progress=False)
    if index.errors:
        raise RuntimeError(f"benchmark videos failed to index: {dict(index.errors)}")
    return index, time.perf_counter() - start


def _warm_page_cache(paths: Sequence[str]) -> None:
    """Read the files once, so that no row pays for reading them from disk first."""
    for path in paths:
        with open(path, "rb") as handle:
            while handle.read(1 << 22):
                pass


def _generate(args: argparse.Namespace) -> list[Dataset]:
    datasets = []
    for spec in suite(args):
        dataset = ensure_dataset(spec, args.data_dir, log=_log)
        _log(
            f"[data] {spec.name}: {len(dataset.paths)} videos of {spec.duration:g} s, "
            f"{dataset.mbit_per_s:.2f} Mbit/s, keyframe every {dataset.keyframe_interval:.0f} "
            f"frames on average ({dataset.folder.name})"
        )
        datasets.append(dataset)
    return datasets


def run_loaders(args: argparse.Namespace, machine: dict[str, Any]) -> dict[str, Any]:
    """Run every row on every (dataset, clip sampler) workload; return ``results.json``."""
    cores = os.cpu_count() or 1
    notes: list[str] = []
    message = _torchcodec_message()
    if message:
        _log(f"[bench] {message}")
        notes.append(message)
    datasets = _generate(args)
    max_clips, ptv_clips = clip_limits(args)
    results: list[RowResult] = []
    described = []
    workloads = []
    best_ptv: int | None = None
    best_configs: dict[tuple[str, str, str], str] = {}  # (codec, row, device) -> config
    ptv_workloads = 0  # PyTorchVideo sweeps its worker counts on the first workload it runs
    for dataset in datasets:
        spec = dataset.spec
        index, index_s = _index(dataset, args.data_dir)
        description = dataset.describe()
        description.update(index_s=round(index_s, 3), keyint=spec.keyint)
        described.append(description)
        for sampler in samplers_for(args, spec):
            work = make_workload(
                spec.name,
                dataset.pairs,
                batch_size=args.batch_size,
                index=index,
                codec=spec.codec,
                sampler=sampler,
                max_clips=max_clips,
                gop=spec.keyint,
            )
            rows = list(args.rows)
            if not args.ptv_everywhere and not ptv_in_default_scope(spec, sampler):
                rows = [r for r in rows if r != "pytorchvideo"]
            ptv_work: Workload | None = None
            ptv = [cores]
            if "pytorchvideo" in rows:
                ptv = ptv_workers(args, spec, ptv_workloads, best_ptv, cores, notes, _log)
                ptv_workloads += 1
                ptv_work = work.limited(ptv_clips, min_videos=max(ptv))
            workloads.append(_describe_workload(work, ptv_work))
            _warm_page_cache([path for path, _ in work.pairs])
            ptv_text = (
                f"PyTorchVideo: {ptv_work.num_clips} from {ptv_work.num_videos}"
                if ptv_work is not None
                else "no PyTorchVideo row"
            )
            _log(
                f"[bench] {spec.name} {sampler}: {work.num_clips} clips from {work.num_videos} "
                f"videos ({ptv_text}), batches of {args.batch_size}"
            )
            jobs = row_jobs(
                work,
                rows=rows,
                ptv_workers=ptv,
                cores=cores,
                fastvid_workers=args.fastvid_workers or [None],
                fastvid_vp9_decoders=args.fastvid_vp9_decoders,
                fastvid_memory_formats=args.fastvid_memory_formats,
                ptv_work=ptv_work,
            )
            codec = spec.codec
            if not args.full_sweep:
                jobs = [
                    job
                    for job in jobs
                    if best_configs.get((codec, job.row, job.device), job.config) == job.config
                ]
            frames = check_frames(work, rows)
            workloads[-1]["frame_check"] = frames
            for name, check in frames.items():
                _log(f"[{spec.name} {sampler}] frame check {name}: {check}")
            start = len(results)
            rounds: list[list[RowResult]] = [[] for _ in jobs]
            for repeat in range(args.repeats):  # rounds over all rows: side by side
                for job, measured in zip(jobs, rounds, strict=True):
                    measured.append(run_job(job, work))
                    tag = f" (round {repeat + 1} of {args.repeats})" if args.repeats > 1 else ""
                    _log(
                        f"[{spec.name} {sampler}] {job.row} {job.device} {job.config}{tag}: "
                        f"{_result_text(measured[-1])}"
                    )
            results += [_frames_checked(median_result(measured), frames) for measured in rounds]
            for result in results[start:]:
                key = (codec, result.row, result.device)
                if result.row not in _SWEPT_ROWS or key in best_configs or not result.clips_per_s:
                    continue
                same = [r for r in results[start:] if (r.row, r.device) == key[1:]]
                best = max(same, key=lambda r: r.clips_per_s or 0)
                best_configs[key] = best.config
            if best_ptv is None:
                measured = [r for r in results if r.row == "pytorchvideo" and r.clips_per_s]
                if measured:
                    best = max(measured, key=lambda r: r.clips_per_s or 0)
                    best_ptv = best.params["num_workers"]
    if not args.full_sweep and len(workloads) > len({d.spec.codec for d in datasets}):
        notes.append(
            "torchcodec, decord and the ceiling try all their configs on the first workload of "
            "each codec (its first dataset, first sampler), and only the fastest of those on "
            "the others (--full-sweep tries all everywhere)"
        )
    if ptv_clips < max_clips and "pytorchvideo" in args.rows:
        notes.append(
            f"PyTorchVideo loads fewer clips per pass (about {ptv_clips}: the first videos of "
            "each workload, at least one per DataLoader worker) than the other rows (at most "
            f"{max_clips}): it is ~5x slower"
        )
    skipped = [w for w in workloads if w["ptv_clips"] is None]
    if skipped and "pytorchvideo" in args.rows:
        notes.append(
            "PyTorchVideo runs only on the uniform and random samplers at 720p and below, to "
            "keep the run near 30 minutes (at ~0.6 clips/s at 1080p it would add ~6 minutes); "
            "not on: "
            + ", ".join(f"{w['dataset']} {w['sampler']}" for w in skipped)
            + " (--ptv-everywhere runs it on every workload)"
        )
    rows = [r.to_json() for r in results]
    report.mark_best(rows)
    return {
        "datasets": described,
        "workloads": workloads,
        "rows": rows,
        "ratios": report.headline_ratios(rows),
        "notes": notes,
        "batch_size": args.batch_size,
        "max_clips": max_clips,
        "ptv_max_clips": ptv_clips,
        "seed_config": _seed_config(),
    }


def _offset_text(offsets: list[int | None]) -> str:
    """``": neighbouring frames (the planned frame +1)"`` for the frame check's offsets."""
    near = [f"{v:+d}" for v in offsets if v is not None]
    if not near:
        return ": not the planned frame nor a neighbour of it" if offsets else ""
    text = f": neighbouring frames (the planned frame {' or '.join(near)})"
    return text + (", or none near it" if None in offsets else "")


def _frames_checked(result: RowResult, frames: dict[str, dict[str, Any]]) -> RowResult:
    """``result``, failed if its loader returned other frames than fastvid's (kept in the
    reason with its throughput: its ratio would compare other work)."""
    name = "spdl" if result.row == "spdl_filtergraph" else result.row
    check = frames.get(name)
    if check is None or result.device != "cpu":
        return result
    result.params["frame_check"] = check
    if check["same"] is False and result.status == "ok":
        result.status = "failed"
        result.reason = (
            f"returns other frames than fastvid{_offset_text(check.get('offsets', []))} (mean "
            f"abs difference up to {check['max_mean_abs_diff']:.1f} of 255 on the first and "
            f"last clip); measured {result.clips_per_s or 0:.2f} clips/s"
        )
    return result


def _describe_workload(work: Workload, ptv_work: Workload | None) -> dict[str, Any]:
    return {
        "dataset": work.name,
        "sampler": work.sampler,
        "gop": work.gop,
        "videos": work.num_videos,
        "clips": work.num_clips,
        "ptv_videos": ptv_work.num_videos if ptv_work else None,
        "ptv_clips": ptv_work.num_clips if ptv_work else None,
        "dataset_videos": work.dataset_videos,
        "epoch_clips": work.epoch_clips,
        "epoch": work.epoch,
    }


_SWEPT_ROWS = ("torchcodec", "decord", "ceiling")


def _seed_config() -> dict[str, Any]:
    from benchmarks.loaders import SEED_CONFIG

    return dict(SEED_CONFIG)


def _noise_note(machine: dict[str, Any]) -> str | None:
    load = machine["load_average"][0]
    cores = machine["cpu_usable"]
    if load > 0.5 * cores:
        return (
            f"The machine was busy when the run started (load average {load:.1f} on "
            f"{cores} cores): wall-clock numbers are noisy; CPU s/clip is more robust."
        )
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite; return the exit status (0 even when some rows fail: see the report)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    validate_args(parser, args)
    if args.remote:
        from benchmarks.remote import run_remote

        run_remote(args.out)
        return 0
    if args.generate_only:
        start = time.perf_counter()
        datasets = _generate(args)
        _log(
            f"[bench] {len(datasets)} datasets ready in {args.data_dir} "
            f"({time.perf_counter() - start:.0f} s)"
        )
        return 0
    machine = report.machine_info()
    out: Path = args.out or ROOT / "benchmarks" / "results" / report.machine_tag(machine)
    if args.classic and args.out is None:
        out = out / "classic"
    out.mkdir(parents=True, exist_ok=True)
    command = "python -m benchmarks.run " + " ".join(sys.argv[1:] if argv is None else argv)
    started = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    note = _noise_note(machine)
    if note:
        _log(f"[bench] {note}")
    if not args.skip_loaders:
        start = time.perf_counter()
        payload = run_loaders(args, machine)
        machine["load_average_end"] = [round(v, 2) for v in os.getloadavg()]
        payload.update(
            command=command, started=started, machine=machine, total_s=time.perf_counter() - start
        )
        if note:
            payload["notes"].append(note)
        payload["plots"] = report.plot_throughput(out, payload["rows"])
        report.write_json(out / "results.json", payload)
        report.write_markdown(out / "results.md", payload)
        _log(
            f"[bench] wrote {out / 'results.json'}, {out / 'results.md'} and "
            f"{len(payload['plots'])} plots"
        )
        for entry in payload["ratios"]:
            parts = [f"{k} {v['ratio']:.2f}x" for k, v in entry.items() if isinstance(v, dict)]
            _log(
                f"[bench] fastvid {entry['dataset']} {entry['sampler']} {entry['device']}: "
                + ", ".join(parts)
            )
        for line in report.target_lines(payload["ratios"]):
            _log(f"[bench] {line}")
    if args.scaling:
        from benchmarks.scaling import DEFAULT_BATCH_SIZES, DEFAULT_COUNTS, run_scaling

        start = time.perf_counter()
        scaling = run_scaling(
            counts=args.scaling_counts or DEFAULT_COUNTS,
            batch_sizes=args.scaling_batch_sizes or DEFAULT_BATCH_SIZES,
            clips=args.scaling_clips,
            data_dir=args.data_dir,
            log=_log,
        )
        scaling.update(
            command=command,
            started=started,
            machine=report.machine_info(),
            total_s=time.perf_counter() - start,
        )
        scaling["plots"] = report.plot_scaling(out, scaling)
        report.write_json(out / "scaling.json", scaling)
        report.write_scaling_markdown(out / "scaling.md", scaling)
        _log(f"[bench] wrote {out / 'scaling.json'}, {out / 'scaling.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
