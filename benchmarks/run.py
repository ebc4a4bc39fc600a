"""Command line of the benchmark suite: ``python -m benchmarks.run`` (``fastvid bench``).

Default: H.264 and VP9 at 720p, 360p and 1080p; every loader row on the same files and clips,
in this one process; results in ``benchmarks/results/<machine-tag>/``. ``--quick`` runs a
one-minute version (720p H.264 and 360p VP9, four videos each). ``--scaling`` adds the scaling
run (cost against the number of videos and the batch size).
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from benchmarks import report
from benchmarks.datasets import Codec, Dataset, DatasetSpec, ensure_dataset
from benchmarks.loaders import (
    ROW_NAMES,
    RowResult,
    make_workload,
    ptv_worker_counts,
    row_jobs,
    run_job,
)

__all__ = ["build_parser", "main", "run_loaders"]

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RESOLUTIONS = ((1280, 720), (640, 360), (1920, 1080))  # the first is the headline
DEFAULT_CODECS = ("h264", "vp9")
DEFAULT_VIDEOS = 8
DEFAULT_VIDEOS_1080P = 6
QUICK_VIDEOS = 4


def _resolution(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"resolution ({text!r}) must look like 1280x720") from None
    return width, height


def _csv(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _ints(text: str) -> list[int]:
    try:
        return [int(v) for v in _csv(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} must be comma-separated integers") from None


def build_parser() -> argparse.ArgumentParser:
    """The ``benchmarks.run`` / ``fastvid bench`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Benchmark fastvid against PyTorchVideo/PyAV, torchcodec, decord and a "
        "decode-only ceiling on generated, realistic videos.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="~1 minute: 720p H.264 and 360p VP9, 4 videos each, PyTorchVideo with all cores only",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="results folder (default: benchmarks/results/<machine-tag>)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=ROOT / "bench_data",
        help="where generated videos are cached (default: bench_data/)",
    )
    parser.add_argument(
        "--resolutions",
        type=lambda t: [_resolution(v) for v in _csv(t)],
        default=None,
        help="e.g. 1280x720,640x360 (default: 720p, 360p, 1080p)",
    )
    parser.add_argument("--codecs", type=_csv, default=None, help="h264 and/or vp9 (default: both)")
    parser.add_argument(
        "--videos",
        type=int,
        default=None,
        help=f"videos per dataset (default: {DEFAULT_VIDEOS}, "
        f"{DEFAULT_VIDEOS_1080P} at 1080p; --quick: {QUICK_VIDEOS})",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=6.5,
        help="seconds per video (default: 6.5, three 2 s clips)",
    )
    parser.add_argument(
        "--rows",
        type=_csv,
        default=list(ROW_NAMES),
        help=f"loader rows to run (default: all of {','.join(ROW_NAMES)})",
    )
    parser.add_argument("--batch-size", type=int, default=4, help="clips per batch (default 4)")
    parser.add_argument(
        "--ptv-workers",
        type=_ints,
        default=None,
        help="PyTorchVideo DataLoader worker counts (default: sweep 0..cores on "
        "the first dataset, then all cores and the best N)",
    )
    parser.add_argument(
        "--fastvid-workers",
        type=_ints,
        default=None,
        help="ClipLoader(num_workers=...) values, one fastvid config each, e.g. 1,2 "
        "(default: fastvid's default)",
    )
    parser.add_argument(
        "--fastvid-vp9-decoders",
        type=_csv,
        default=["dali"],
        help="fastvid cpu_decoder values on VP9: dali and/or pyav (default: dali)",
    )
    parser.add_argument(
        "--full-sweep",
        action="store_true",
        help="try every config of torchcodec, decord and the ceiling on every dataset (default: "
        "on the first dataset of each codec, then its fastest config)",
    )
    parser.add_argument(
        "--scaling",
        action="store_true",
        help="also run the scaling benchmark (videos 100..10,000, batch sizes)",
    )
    parser.add_argument(
        "--scaling-counts",
        type=_ints,
        default=None,
        help="numbers of videos of the scaling run (default 100,1000,10000)",
    )
    parser.add_argument(
        "--scaling-batch-sizes",
        type=_ints,
        default=None,
        help="batch sizes of the scaling run (default 1,2,4,8,16,32)",
    )
    parser.add_argument(
        "--scaling-clips",
        type=int,
        default=192,
        help="clips timed per scaling configuration (default 192)",
    )
    parser.add_argument(
        "--skip-loaders",
        action="store_true",
        help="skip the loader comparison (e.g. with --scaling)",
    )
    return parser


def _validate_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    unknown = sorted(set(args.rows) - set(ROW_NAMES))
    if unknown:
        parser.error(f"--rows has unknown rows {unknown}; choose from {list(ROW_NAMES)}")
    codecs = args.codecs or []
    bad = sorted(set(codecs) - set(DEFAULT_CODECS))
    if bad:
        parser.error(f"--codecs has {bad}; choose from {list(DEFAULT_CODECS)}")
    bad = sorted(set(args.fastvid_vp9_decoders) - {"dali", "pyav"})
    if bad:
        parser.error(f"--fastvid-vp9-decoders has {bad}; choose from ['dali', 'pyav']")
    if args.batch_size < 1:
        parser.error(f"--batch-size ({args.batch_size}) must be >= 1")
    if args.videos is not None and args.videos < 1:
        parser.error(f"--videos ({args.videos}) must be >= 1")
    if args.skip_loaders and not args.scaling:
        parser.error("--skip-loaders without --scaling runs nothing")


def suite(args: argparse.Namespace) -> list[DatasetSpec]:
    """The datasets to run, the headline (720p H.264 unless overridden) first."""
    if args.quick and args.resolutions is None and args.codecs is None:
        videos = args.videos or QUICK_VIDEOS
        return [
            DatasetSpec("h264", 1280, 720, videos, duration=args.duration),
            DatasetSpec("vp9", 640, 360, videos, duration=args.duration),
        ]
    specs = []
    for codec in args.codecs or DEFAULT_CODECS:
        for width, height in args.resolutions or DEFAULT_RESOLUTIONS:
            default = DEFAULT_VIDEOS_1080P if height >= 1080 else DEFAULT_VIDEOS
            videos = args.videos or (QUICK_VIDEOS if args.quick else default)
            spec = DatasetSpec(cast(Codec, codec), width, height, videos, duration=args.duration)
            specs.append(spec)
    return specs


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


def run_loaders(args: argparse.Namespace, machine: dict[str, Any]) -> dict[str, Any]:
    """Run every row on every dataset; return the ``results.json`` payload."""
    cores = os.cpu_count() or 1
    notes: list[str] = []
    message = _torchcodec_message()
    if message:
        _log(f"[bench] {message}")
        notes.append(message)
    specs = suite(args)
    datasets = []
    for spec in specs:
        dataset = ensure_dataset(spec, args.data_dir, log=_log)
        _log(
            f"[data] {spec.name}: {len(dataset.paths)} videos, {dataset.mbit_per_s:.2f} Mbit/s, "
            f"keyframe every {dataset.keyframe_interval:.0f} frames"
        )
        datasets.append(dataset)
    results: list[RowResult] = []
    described = []
    best_ptv: int | None = None
    best_configs: dict[tuple[str, str, str], str] = {}  # (codec, row, device) -> config
    for position, dataset in enumerate(datasets):
        index, index_s = _index(dataset, args.data_dir)
        work = make_workload(
            dataset.spec.name,
            dataset.pairs,
            batch_size=args.batch_size,
            index=index,
            codec=dataset.spec.codec,
        )
        description = dataset.describe()
        description.update(clips=work.num_clips, index_s=round(index_s, 3))
        described.append(description)
        if args.ptv_workers is not None:
            ptv = list(args.ptv_workers)
        elif position == 0 and not args.quick:
            ptv = ptv_worker_counts(cores)
        else:
            ptv = sorted({cores} | ({best_ptv} if best_ptv is not None else set()))
        cap = _ptv_worker_cap(dataset.spec, args.batch_size, args.duration)
        if max(ptv) > cap:
            note = (
                f"{dataset.spec.name}: PyTorchVideo DataLoader workers capped at {cap} (asked "
                f"{max(ptv)}): each worker holds ~{args.batch_size} clips of every decoded frame "
                "as float32, and more would not fit in the available memory"
            )
            _log(f"[bench] {note}")
            notes.append(note)
            ptv = sorted({min(n, cap) for n in ptv})
        _log(f"[bench] {dataset.spec.name}: {work.num_clips} clips in batches of {args.batch_size}")
        jobs = row_jobs(
            work,
            rows=args.rows,
            ptv_workers=ptv,
            cores=cores,
            fastvid_workers=args.fastvid_workers or [None],
            fastvid_vp9_decoders=args.fastvid_vp9_decoders,
        )
        codec = dataset.spec.codec
        if not args.full_sweep:
            jobs = [
                job
                for job in jobs
                if best_configs.get((codec, job.row, job.device), job.config) == job.config
            ]
        start = len(results)
        for job in jobs:
            result = run_job(job, work)
            results.append(result)
            _log(
                f"[{dataset.spec.name}] {job.row} {job.device} {job.config}: {_result_text(result)}"
            )
        for result in results[start:]:
            key = (codec, result.row, result.device)
            if result.row not in _SWEPT_ROWS or key in best_configs or not result.clips_per_s:
                continue
            same = [r for r in results[start:] if (r.row, r.device) == key[1:]]
            best = max(same, key=lambda r: r.clips_per_s or 0)
            best_configs[key] = best.config
        if position == 0:
            measured = [r for r in results if r.row == "pytorchvideo" and r.clips_per_s]
            if measured:
                best_ptv = max(measured, key=lambda r: r.clips_per_s or 0).params["num_workers"]
    if not args.full_sweep and len({d.spec.codec for d in datasets}) < len(datasets):
        notes.append(
            "torchcodec, decord and the ceiling try all their configs on the first dataset of each "
            "codec, and only the fastest of those on the others (--full-sweep tries all everywhere)"
        )
    rows = [r.to_json() for r in results]
    report.mark_best(rows)
    return {
        "datasets": described,
        "rows": rows,
        "ratios": report.headline_ratios(rows),
        "notes": notes,
        "batch_size": args.batch_size,
        "seed_config": _seed_config(),
    }


_SWEPT_ROWS = ("torchcodec", "decord", "ceiling")


def _ptv_worker_cap(spec: DatasetSpec, batch_size: int, duration: float) -> int:
    """Most PyTorchVideo workers that fit in 80% of the available memory.

    PyTorchVideo decodes all frames of a 2 s clip to float32 before subsampling; a worker holds
    about a batch of those (measured on 2 workers, 1080p, batch 4: 12 GB peak RSS in all).
    """
    import psutil

    from benchmarks.loaders import SEED_CONFIG

    frames = spec.fps * min(SEED_CONFIG["clip_duration"], duration)
    clip_bytes = frames * spec.width * spec.height * 3 * 4
    per_worker = batch_size * clip_bytes + 0.75 * 2**30  # + the worker's own footprint
    return max(0, int(0.8 * psutil.virtual_memory().available // per_worker))


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
    _validate_args(parser, args)
    machine = report.machine_info()
    out: Path = args.out or ROOT / "benchmarks" / "results" / report.machine_tag(machine)
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
            _log(f"[bench] fastvid {entry['dataset']} {entry['device']}: " + ", ".join(parts))
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
