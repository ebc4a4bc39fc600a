"""Command line of the benchmark suite: ``python -m benchmarks.run`` (``fastvid bench``).

Default: H.264 and VP9 at 720p, 360p and 1080p with x264's default GOP (250 frames), plus 720p
with 2 s GOPs (60 frames); 64 videos of 10 s each; the ``uniform`` and ``random`` clip samplers
on every dataset and ``constant_clips_per_video`` on the 720p ones; every loader row on the same
files and clips (at most ``--clips`` per pass, ``--ptv-clips`` for PyTorchVideo), in this one
process; results in ``benchmarks/results/<machine-tag>/``. ``--quick`` runs a one-to-two-minute
version (720p H.264, 16 videos, uniform and random, few clips). ``--generate-only`` only
generates the videos. ``--scaling`` adds the scaling run (cost against the number of videos
and the batch size).
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
from benchmarks.datasets import X264_DEFAULT_KEYINT, Codec, Dataset, DatasetSpec, ensure_dataset
from benchmarks.loaders import (
    ROW_NAMES,
    SAMPLER_NAMES,
    RowResult,
    Workload,
    make_workload,
    ptv_worker_counts,
    row_jobs,
    run_job,
)

__all__ = ["build_parser", "main", "run_loaders", "samplers_for", "suite"]

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RESOLUTIONS = ((1280, 720), (640, 360), (1920, 1080))  # the first is the headline
DEFAULT_CODECS = ("h264", "vp9")
DEFAULT_SHORT_GOP = 60  # 2 s at 30 fps: the default suite adds it at 720p
DEFAULT_VIDEOS = 64
DEFAULT_DURATION = 10.0
DEFAULT_CLIPS = 96
DEFAULT_PTV_CLIPS = 32
DEFAULT_SAMPLERS = ("uniform", "random")  # plus constant_clips_per_video at 720p
QUICK_VIDEOS = 16
QUICK_CLIPS = 24
QUICK_PTV_CLIPS = 8


def _resolution(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"resolution ({text!r}) must look like 1280x720") from None
    return width, height


def _csv(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _gops(text: str) -> list[int | None]:
    """``default`` (or 250, x264's default) -> ``None``; other keyframe intervals as ints."""
    gops: list[int | None] = []
    for item in _csv(text):
        if item.lower() in ("default", str(X264_DEFAULT_KEYINT)):
            gops.append(None)
            continue
        try:
            value = int(item)
        except ValueError:
            value = 0
        if value < 1:
            raise argparse.ArgumentTypeError(
                f"GOP ({item!r}) must be a keyframe interval in frames (>= 1) or 'default'"
            )
        gops.append(value)
    return list(dict.fromkeys(gops))


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
        help=f"~1-2 minutes: 720p H.264 (default GOP), {QUICK_VIDEOS} videos, uniform and random, "
        f"{QUICK_CLIPS} clips ({QUICK_PTV_CLIPS} for PyTorchVideo), PyTorchVideo with all cores "
        "only",
    )
    parser.add_argument(
        "--generate-only",
        action="store_true",
        help="generate the selected datasets' videos (in parallel) and exit",
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
        "--gops",
        type=_gops,
        default=None,
        help="keyframe intervals in frames, e.g. default,60 ('default' or 250: x264's default; "
        "VP9 transcodes use the same interval) for every resolution (default: 'default' "
        f"everywhere plus {DEFAULT_SHORT_GOP} at 720p)",
    )
    parser.add_argument(
        "--samplers",
        type=_csv,
        default=None,
        help=f"clip samplers of every dataset, from {','.join(SAMPLER_NAMES)} (2 s clips; "
        "default: uniform and random everywhere, constant_clips_per_video too at 720p)",
    )
    parser.add_argument(
        "--videos",
        type=int,
        default=None,
        help=f"videos per dataset (default: {DEFAULT_VIDEOS}; --quick: {QUICK_VIDEOS})",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=DEFAULT_DURATION,
        help=f"seconds per video (default: {DEFAULT_DURATION:g})",
    )
    parser.add_argument(
        "--clips",
        type=int,
        default=None,
        help="clips per measured pass: the first videos of the dataset whose clips fit (whole "
        f"videos, at least one) (default: {DEFAULT_CLIPS}; --quick: {QUICK_CLIPS})",
    )
    parser.add_argument(
        "--ptv-clips",
        type=int,
        default=None,
        help="the same for PyTorchVideo, ~5x slower than the others (default: "
        f"{DEFAULT_PTV_CLIPS}; --quick: {QUICK_PTV_CLIPS}; at most --clips)",
    )
    parser.add_argument(
        "--ptv-everywhere",
        action="store_true",
        help="run PyTorchVideo on every workload (default: the uniform and random samplers at "
        "720p and below)",
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
        "the first workload, then all cores and the best N)",
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
        default=["pyav", "dali"],
        help="fastvid cpu_decoder values on VP9: dali and/or pyav (default: both; the faster "
        "is used in the ratios and named there)",
    )
    parser.add_argument(
        "--full-sweep",
        action="store_true",
        help="try every config of torchcodec, decord and the ceiling on every dataset (default: "
        "on the first workload of each codec, then its fastest config)",
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
    if args.duration <= 0:
        parser.error(f"--duration ({args.duration}) must be > 0")
    for option in ("clips", "ptv_clips"):
        value = getattr(args, option)
        if value is not None and value < 1:
            parser.error(f"--{option.replace('_', '-')} ({value}) must be >= 1")
    bad = sorted(set(args.samplers or []) - set(SAMPLER_NAMES))
    if bad:
        parser.error(f"--samplers has {bad}; choose from {list(SAMPLER_NAMES)}")
    if args.skip_loaders and not args.scaling and not args.generate_only:
        parser.error("--skip-loaders without --scaling runs nothing")


def suite(args: argparse.Namespace) -> list[DatasetSpec]:
    """The datasets to run, the headline (720p H.264, default GOP, unless overridden) first."""
    videos = args.videos or (QUICK_VIDEOS if args.quick else DEFAULT_VIDEOS)
    if args.quick and args.resolutions is None and args.codecs is None and args.gops is None:
        return [DatasetSpec("h264", 1280, 720, videos, duration=args.duration)]
    specs: list[DatasetSpec] = []
    for codec in args.codecs or DEFAULT_CODECS:
        group = []
        for width, height in args.resolutions or DEFAULT_RESOLUTIONS:
            if args.gops is not None:
                gops = args.gops
            else:
                gops = [None, DEFAULT_SHORT_GOP] if height == 720 else [None]
            for gop in gops:
                group.append(
                    DatasetSpec(
                        cast(Codec, codec), width, height, videos, duration=args.duration, gop=gop
                    )
                )
        # x264's default GOP first (the headline dataset leads), then the other GOPs
        specs += sorted(group, key=lambda s: s.gop is not None)
    return specs


def samplers_for(args: argparse.Namespace, spec: DatasetSpec) -> list[str]:
    """The clip samplers run on ``spec``'s dataset."""
    if args.samplers:
        return list(dict.fromkeys(args.samplers))
    extra = ["constant_clips_per_video"] if spec.height == 720 and not args.quick else []
    return [*DEFAULT_SAMPLERS, *extra]


def _clip_limits(args: argparse.Namespace) -> tuple[int, int]:
    clips = args.clips or (QUICK_CLIPS if args.quick else DEFAULT_CLIPS)
    ptv = args.ptv_clips or (QUICK_PTV_CLIPS if args.quick else DEFAULT_PTV_CLIPS)
    return clips, min(ptv, clips)


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
    max_clips, ptv_clips = _clip_limits(args)
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
            if not args.ptv_everywhere and not _ptv_in_default_scope(spec, sampler):
                rows = [r for r in rows if r != "pytorchvideo"]
            ptv_work: Workload | None = None
            ptv = [cores]
            if "pytorchvideo" in rows:
                ptv = _ptv_workers(args, spec, ptv_workloads, best_ptv, cores, notes)
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
                ptv_work=ptv_work,
            )
            codec = spec.codec
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
                    f"[{spec.name} {sampler}] {job.row} {job.device} {job.config}: "
                    f"{_result_text(result)}"
                )
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


def _ptv_in_default_scope(spec: DatasetSpec, sampler: str) -> bool:
    """PyTorchVideo runs on the uniform and random samplers at 720p and below by default."""
    return spec.height <= 720 and sampler in ("uniform", "random")


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


def _ptv_workers(
    args: argparse.Namespace,
    spec: DatasetSpec,
    position: int,
    best_ptv: int | None,
    cores: int,
    notes: list[str],
) -> list[int]:
    """PyTorchVideo's DataLoader worker counts for one workload (a sweep on the first)."""
    if args.ptv_workers is not None:
        ptv = list(args.ptv_workers)
    elif position == 0 and not args.quick:
        ptv = ptv_worker_counts(cores)
    else:
        ptv = sorted({cores} | ({best_ptv} if best_ptv is not None else set()))
    cap = _ptv_worker_cap(spec, args.batch_size, args.duration)
    if max(ptv) > cap:
        note = (
            f"{spec.name}: PyTorchVideo DataLoader workers capped at {cap} (asked "
            f"{max(ptv)}): each worker holds ~{args.batch_size} clips of every decoded frame "
            "as float32, and more would not fit in the available memory"
        )
        if note not in notes:
            _log(f"[bench] {note}")
            notes.append(note)
        ptv = sorted({min(n, cap) for n in ptv})
    return ptv


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
