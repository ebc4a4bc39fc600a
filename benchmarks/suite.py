"""What a benchmark run measures: its datasets, clip samplers, clips per pass and
PyTorchVideo's DataLoader worker counts, from the command line's arguments.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import replace
from typing import cast

from benchmarks.datasets import Codec, DatasetSpec
from benchmarks.loaders import ptv_worker_counts

__all__ = [
    "CLASSIC_SPECS",
    "DEFAULT_CLIPS",
    "DEFAULT_CODECS",
    "DEFAULT_DURATION",
    "DEFAULT_PTV_CLIPS",
    "DEFAULT_RESOLUTIONS",
    "DEFAULT_SAMPLERS",
    "DEFAULT_SHORT_GOP",
    "DEFAULT_VIDEOS",
    "QUICK_CLIPS",
    "QUICK_PTV_CLIPS",
    "QUICK_VIDEOS",
    "clip_limits",
    "ptv_in_default_scope",
    "ptv_workers",
    "samplers_for",
    "suite",
]

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

# Datasets shaped like the classic ones (issue 22): UCF101's 320x240 MPEG-4 Part 2 (Xvid) AVIs
# with packed B-frames and MP3 audio at 25 fps, ~7 s; Kinetics' 340x256 H.264 MP4 re-encodes,
# 10 s; Something-Something v2's 427x240 VP9 WebM at 12 fps, ~4 s. The same textured, noisy
# scenes as the rest.
CLASSIC_SPECS = (
    DatasetSpec("xvid", 320, 240, DEFAULT_VIDEOS, duration=7.0, fps=25, label="ucf101-like"),
    DatasetSpec("h264", 340, 256, DEFAULT_VIDEOS, duration=10.0, fps=30, label="kinetics-like"),
    DatasetSpec("vp9", 427, 240, DEFAULT_VIDEOS, duration=4.0, fps=12, label="ssv2-like"),
)


def suite(args: argparse.Namespace) -> list[DatasetSpec]:
    """The datasets to run, the headline (720p H.264, default GOP, unless overridden) first."""
    videos = args.videos or (QUICK_VIDEOS if args.quick else DEFAULT_VIDEOS)
    if getattr(args, "classic", False):
        chosen = getattr(args, "classic_datasets", None) or [s.name for s in CLASSIC_SPECS]
        return [replace(s, num_videos=videos) for s in CLASSIC_SPECS if s.name in chosen]
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
    classic = getattr(args, "classic", False)
    extra = ["constant_clips_per_video"] if spec.height == 720 and not args.quick else []
    extra = [] if classic else extra
    return [*DEFAULT_SAMPLERS, *extra]


def clip_limits(args: argparse.Namespace) -> tuple[int, int]:
    """Clips per measured pass: (every row but PyTorchVideo, PyTorchVideo)."""
    clips = args.clips or (QUICK_CLIPS if args.quick else DEFAULT_CLIPS)
    ptv = args.ptv_clips or (QUICK_PTV_CLIPS if args.quick else DEFAULT_PTV_CLIPS)
    return clips, min(ptv, clips)


def ptv_in_default_scope(spec: DatasetSpec, sampler: str) -> bool:
    """PyTorchVideo runs on the uniform and random samplers at 720p and below by default."""
    # (the classic-shaped datasets are all below 720p)
    return spec.height <= 720 and sampler in ("uniform", "random")


def ptv_workers(
    args: argparse.Namespace,
    spec: DatasetSpec,
    position: int,
    best_ptv: int | None,
    cores: int,
    notes: list[str],
    log: Callable[[str], None],
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
            log(f"[bench] {note}")
            notes.append(note)
        ptv = sorted({min(n, cap) for n in ptv})
    return ptv


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
