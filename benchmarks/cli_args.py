"""The ``benchmarks.run`` / ``fastvid bench`` command line: its options and their checks."""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.datasets import X264_DEFAULT_KEYINT
from benchmarks.loaders import ROW_NAMES, SAMPLER_NAMES
from benchmarks.suite import (
    CLASSIC_SPECS,
    DEFAULT_CLIPS,
    DEFAULT_CODECS,
    DEFAULT_DURATION,
    DEFAULT_PTV_CLIPS,
    DEFAULT_SHORT_GOP,
    DEFAULT_VIDEOS,
    QUICK_CLIPS,
    QUICK_PTV_CLIPS,
    QUICK_VIDEOS,
)
from fastvid.reader.loader._options import MEMORY_FORMATS

__all__ = ["ROOT", "build_parser", "validate_args"]

ROOT = Path(__file__).resolve().parents[1]


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
        "--classic",
        action="store_true",
        help="the datasets shaped like UCF101 (320x240 Xvid AVI with packed B-frames and MP3, "
        "25 fps, 7 s), Kinetics (340x256 H.264, 10 s) and SSv2 (427x240 VP9, 12 fps, 4 s) "
        "instead of the default suite; results go to <results>/classic/ unless --out",
    )
    parser.add_argument(
        "--classic-datasets",
        type=_csv,
        default=None,
        help="with --classic: only these of ucf101-like, kinetics-like, ssv2-like "
        "(default: all three)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="measure every row this many times, in rounds over all rows of a workload (side "
        "by side, so a busy machine slows them alike); the median is reported (default 1)",
    )
    parser.add_argument(
        "--generate-only",
        action="store_true",
        help="generate the selected datasets' videos (in parallel) and exit",
    )
    parser.add_argument(
        "--remote",
        action="store_true",
        help="only the remote row: S3 on loopback (moto) vs local files on a small generated "
        "set, clips/s and bytes read per clip vs file size (needs moto[server] and s3fs)",
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
        "--fastvid-memory-formats",
        type=_csv,
        default=list(MEMORY_FORMATS),
        help="fastvid ClipLoader(memory_format=...) names, one CPU config each: "
        "contiguous_format and/or channels_last_3d (default: both; the same values, laid out "
        "(B, C, T, H, W) or (B, T, H, W, C) in memory)",
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


def validate_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Exit through ``parser.error`` when the parsed ``args`` do not fit together."""
    unknown = sorted(set(args.rows) - set(ROW_NAMES))
    if unknown:
        parser.error(f"--rows has unknown rows {unknown}; choose from {list(ROW_NAMES)}")
    codecs = args.codecs or []
    bad = sorted(set(codecs) - set(DEFAULT_CODECS))
    if bad:
        parser.error(f"--codecs has {bad}; choose from {list(DEFAULT_CODECS)}")
    forms = sorted(set(args.fastvid_memory_formats) - set(MEMORY_FORMATS))
    if forms:
        parser.error(f"--fastvid-memory-formats has {forms}; choose from {list(MEMORY_FORMATS)}")
    bad = sorted(set(args.fastvid_vp9_decoders) - {"dali", "pyav"})
    if bad:
        parser.error(f"--fastvid-vp9-decoders has {bad}; choose from ['dali', 'pyav']")
    known = [spec.name for spec in CLASSIC_SPECS]
    bad = sorted(set(args.classic_datasets or []) - set(known))
    if bad:
        parser.error(f"--classic-datasets has {bad}; choose from {known}")
    if args.repeats < 1:
        parser.error(f"--repeats ({args.repeats}) must be >= 1")
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
