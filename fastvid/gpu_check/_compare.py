"""Clip by clip: ``ClipLoader(device="gpu")`` against the same loader on the CPU with PyAV.

Both loaders get the same videos, clip sampler, transform, batch size, video order and seed, so
the epoch plan and every clip's augmentation parameters are the same (they are drawn in the
loader's process from ``(seed, epoch, video, clip, aug)``, never by a worker or a device). What
may differ is the decoder (NVDEC and DALI's YUV->RGB kernel, against FFmpeg and swscale) and the
device the ops run on. The comparison:

* the same clips in the same order (``video_name``, ``video_index``, ``clip_index``,
  ``aug_index``, ``label``), none skipped;
* where the frames keep their stamps (runs without resizing: a centre crop *larger* than every
  frame pads instead of cutting, so the stamp band survives), every frame's index is read back
  on both sides and must equal the plan's ``frame_indices``; a flipped clip is read after
  flipping it back, so both ``RandomHorizontalFlip`` branches are checked, and each clip must be
  flipped on both devices or on neither;
* pixels: mean ``|gpu - cpu|`` of every frame on the 0..255 scale within :data:`TOLERANCE` (the
  worst frame of a clip, not the clip's mean, so one wrong frame among eight shows).

Why 3.0 for NVDEC. NVDEC hands DALI NV12 and DALI converts it to RGB in its own CUDA kernel
(BT.601, its own rounding and chroma upsampling); the CPU path converts with swscale. The two
differ by about 1 grey level on average and by up to ~50 at sharp colour edges (DALI's CPU
decoder against PyAV measured 0.3-1.7 mean on this kind of content). 3.0 leaves margin over
that. A wrong frame costs 3-10 on that frame (neighbouring frames of these noisy pans, measured
here), a wrong crop window or flip 27-52 per clip (clips of another seed); the stamps runs catch
a wrong frame exactly. Files both devices decode with PyAV (MJPEG) differ
only in where the ops run: 0.5 (measured 0.00-0.01 between two CPU graphs).
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from fastvid.gpu_check._fixtures import FixtureSpec, Group

__all__ = [
    "TOLERANCE",
    "ClipRecord",
    "CompareRun",
    "Comparison",
    "collect",
    "compare",
    "compare_runs",
    "make_loader",
    "read_stamps",
    "reference_problems",
]

TOLERANCE: dict[str, float] = {"nvdec": 3.0, "pyav": 0.5, "dali_cpu": 3.0}
SEED = 11
TASK_TIMEOUT_S = 120.0  # a stuck worker fails its clips (and is replaced) instead of hanging
FRAMES_PER_CLIP = 8


@dataclass(frozen=True)
class CompareRun:
    """One loader configuration run on both devices.

    Attributes:
        name: Short name (report key).
        description: What it exercises.
        group: The fixtures it loads.
        clip_duration: Uniform clips of this many seconds.
        batch_size: Clips per batch.
        transform: Builds the sample transform (a fresh one per loader).
        stamps: Frames keep their stamps (no resize), so indices are read back.
        canvas: ``(H, W)`` of the padding centre crop (``None``: frames are not cropped).
        to_255: Multiplies a difference of output values into 0..255 grey levels.
        scale_in_decoder: ``ClipLoader(scale_in_decoder=...)`` on both devices.
        names: The fixtures, in this order (default: every fixture of ``group``).
    """

    name: str
    description: str
    group: Group
    clip_duration: float
    batch_size: int
    transform: Callable[[], Any]
    stamps: bool = False
    canvas: tuple[int, int] | None = None
    to_255: float = 1.0
    scale_in_decoder: bool = True
    names: tuple[str, ...] = ()


def _stamps_transform(canvas: tuple[int, int]) -> Callable[[], Any]:
    def make() -> Any:
        from pytorchvideo.transforms import ApplyTransformToKey, UniformTemporalSubsample
        from torchvision.transforms import CenterCrop, Compose, RandomHorizontalFlip

        return ApplyTransformToKey(
            "video",
            Compose(
                [
                    UniformTemporalSubsample(FRAMES_PER_CLIP),
                    CenterCrop(canvas),  # larger than every frame: pads, keeps the stamp band
                    RandomHorizontalFlip(p=0.5),
                ]
            ),
        )

    return make


def _subsample_transform() -> Any:
    from pytorchvideo.transforms import ApplyTransformToKey, UniformTemporalSubsample

    return ApplyTransformToKey("video", UniformTemporalSubsample(FRAMES_PER_CLIP))


def seed_transform() -> Any:
    """The seed configuration: 8 frames, short side 256-320, crop 244, flip."""
    from pytorchvideo.transforms import (
        ApplyTransformToKey,
        RandomShortSideScale,
        UniformTemporalSubsample,
    )
    from torchvision.transforms import Compose, RandomCrop, RandomHorizontalFlip

    return ApplyTransformToKey(
        "video",
        Compose(
            [
                UniformTemporalSubsample(FRAMES_PER_CLIP),
                RandomShortSideScale(min_size=256, max_size=320),
                RandomCrop(244),
                RandomHorizontalFlip(p=0.5),
            ]
        ),
    )


NORMALIZE_STD = 0.225


def _resized_crop_transform() -> Any:
    from pytorchvideo.transforms import (
        ApplyTransformToKey,
        Div255,
        Normalize,
        UniformTemporalSubsample,
    )
    from torchvision.transforms import Compose, RandomResizedCrop

    return ApplyTransformToKey(
        "video",
        Compose(
            [
                UniformTemporalSubsample(FRAMES_PER_CLIP),
                RandomResizedCrop(224, scale=(0.25, 1.0), antialias=True),
                Div255(),
                Normalize((0.45, 0.45, 0.45), (NORMALIZE_STD,) * 3),
            ]
        ),
    )


def compare_runs(specs: Sequence[FixtureSpec]) -> list[CompareRun]:
    """The comparison runs for these fixtures."""
    small = [s for s in specs if s.group == "compare"]
    canvas = (max(s.size[1] for s in small), max(s.size[0] for s in small))
    return [
        CompareRun(
            "stamps",
            f"UniformTemporalSubsample(8), CenterCrop({canvas[0]}x{canvas[1]}, pads), "
            "RandomHorizontalFlip(0.5); every codec and container, mixed sizes and routes "
            "in each batch",
            "compare",
            1.0,
            4,
            _stamps_transform(canvas),
            stamps=True,
            canvas=canvas,
        ),
        CompareRun(
            "damaged",
            "the stamps transform on intact files interleaved with damaged copies: batches "
            "that hold an undecodable clip still deliver their other clips, and the bad clip "
            "is skipped with a reason (never replaced)",
            "damaged",
            1.0,
            4,
            _stamps_transform(canvas),
            stamps=True,
            canvas=canvas,
            names=_interleave(
                [s.name for s in small if s.name.startswith(("h264_cfr", "vp9_cfr", "mpeg4_c"))],
                [s.name for s in specs if s.group == "damaged"],
            ),
        ),
        CompareRun(
            "long_gop",
            "UniformTemporalSubsample(8) on 10 s keyint-250 H.264, uniform 2 s clips (the last "
            "ones cut from the second GOP)",
            "long_gop",
            2.0,
            4,
            _subsample_transform,
            stamps=True,
        ),
        CompareRun(
            "seed",
            "the seed transform: UniformTemporalSubsample(8), RandomShortSideScale(256, 320), "
            "RandomCrop(244), RandomHorizontalFlip(0.5); scale_in_decoder=False on both "
            "devices, so both resize in DALI and only the decoders differ",
            "compare",
            1.0,
            4,
            seed_transform,
            scale_in_decoder=False,
        ),
        CompareRun(
            "resized_crop",
            "UniformTemporalSubsample(8), torchvision RandomResizedCrop(224, scale=(0.25, 1), "
            "antialias=True), Div255, Normalize(0.45, 0.225)",
            "compare",
            1.0,
            4,
            _resized_crop_transform,
            to_255=NORMALIZE_STD * 255.0,
        ),
    ]


def _interleave(first: Sequence[str], second: Sequence[str]) -> tuple[str, ...]:
    out: list[str] = []
    for i in range(max(len(first), len(second))):
        out += [*first[i : i + 1], *second[i : i + 1]]
    return tuple(out)


@dataclass
class ClipRecord:
    """One delivered clip.

    Attributes:
        identity: ``(video_name, video_index, clip_index, aug_index, label)``.
        path: The file.
        shape: ``(C, T, H, W)``.
        device: Where the batch tensor was.
        stamps: The frame indices read back (``None``: not a stamps run, or unreadable).
        flipped: Whether the clip came back mirrored (stamps runs).
        video: The clip as float16 on the CPU (reference side only).
    """

    identity: tuple[Any, ...]
    path: str
    shape: tuple[int, ...]
    device: str
    stamps: list[int] | None = None
    flipped: bool | None = None
    video: torch.Tensor | None = None


@dataclass
class Comparison:
    """The outcome of one run on both devices."""

    name: str
    problems: list[str] = field(default_factory=list)
    clips: int = 0
    by_route: dict[str, dict[str, float]] = field(default_factory=dict)
    flips: dict[str, int] = field(default_factory=dict)
    per_clip: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        routes = "; ".join(
            f"{route}: {int(s['clips'])} clips, worst frame's mean |gpu-cpu| "
            f"{s['max_mean_abs']:.2f} "
            f"(tolerance {TOLERANCE.get(route, 3.0)}), max pixel {s['max_abs']:.0f}"
            for route, s in sorted(self.by_route.items())
        )
        flips = f"; flips {self.flips}" if self.flips else ""
        problems = (
            f"; {len(self.problems)} problem(s): {self.problems[:3]}" if self.problems else ""
        )
        return f"{self.clips} clips; {routes}{flips}{problems}"


def make_loader(
    paths: Sequence[Path],
    run: CompareRun,
    *,
    device: str,
    index: Any,
    num_workers: int | None = None,
    seed: int = SEED,
) -> Any:
    """The loader both devices use (the CPU one with ``cpu_decoder="pyav"``)."""
    from torch.utils.data import SequentialSampler

    from fastvid.data.samplers import make_clip_sampler
    from fastvid.reader import ClipLoader

    return ClipLoader(
        [(os.fspath(p), i) for i, p in enumerate(paths)],
        clip_sampler=make_clip_sampler("uniform", run.clip_duration),
        transform=run.transform(),
        batch_size=run.batch_size,
        video_sampler=SequentialSampler,
        device=device,
        cpu_decoder="pyav",
        scale_in_decoder=run.scale_in_decoder,
        num_workers=num_workers,
        seed=seed,
        index=index,
        progress=False,
        task_timeout=TASK_TIMEOUT_S,
    )


def read_stamps(
    clip: torch.Tensor, size: tuple[int, int], canvas: tuple[int, int] | None
) -> tuple[list[int] | None, bool | None]:
    """Frame indices of a ``(C, T, H, W)`` clip of a ``size`` = ``(w, h)`` video, and whether
    it came back mirrored; ``(None, None)`` if neither orientation reads."""
    from fastvid.testing import read_frame_index

    width, height = size
    out_h, out_w = clip.shape[-2:]
    top = (out_h - height) // 2 if canvas is not None and out_h > height else 0
    left = (out_w - width) // 2 if canvas is not None and out_w > width else 0
    h, w = min(height, out_h), min(width, out_w)
    frames = clip.detach().to("cpu", torch.float32)
    for flipped in (False, True):
        view = frames.flip(-1) if flipped else frames
        try:
            stamps = [
                read_frame_index(view[:, t, top : top + h, left : left + w], layout="CHW")
                for t in range(view.shape[1])
            ]
        except ValueError:
            continue
        return stamps, flipped
    return None, None


def _clips_of(batch: dict[str, Any]) -> list[torch.Tensor]:
    video = batch["video"]
    return list(video.unbind(0)) if torch.is_tensor(video) else list(video)


def collect(
    loader: Any,
    paths: Sequence[Path],
    run: CompareRun,
    sizes: dict[str, tuple[int, int]],
    *,
    keep_video: bool,
    on_clip: Callable[[ClipRecord, torch.Tensor], None] | None = None,
) -> tuple[list[ClipRecord], float, float]:
    """Iterate epoch 0; returns the clips, the first batch's and the whole epoch's seconds.

    Args:
        keep_video: Keep each clip as float16 on the CPU (the reference side).
        on_clip: Called with each record and its clip as delivered (the compared side).
    """
    records: list[ClipRecord] = []
    loader.set_epoch(0)
    started = time.perf_counter()
    first_batch = 0.0
    for batch in loader:
        if not first_batch:
            first_batch = time.perf_counter() - started
        if not batch:
            continue
        for j, clip in enumerate(_clips_of(batch)):
            video_index = int(batch["video_index"][j])
            path = os.fspath(paths[video_index])
            identity = (
                batch["video_name"][j],
                video_index,
                int(batch["clip_index"][j]),
                int(batch["aug_index"][j]),
                int(batch["label"][j]),
            )
            record = ClipRecord(identity, path, tuple(clip.shape), clip.device.type)
            if run.stamps:
                record.stamps, record.flipped = read_stamps(clip, sizes[path], run.canvas)
            if keep_video:
                record.video = clip.detach().to("cpu", torch.float16)
            if on_clip is not None:
                on_clip(record, clip)
            records.append(record)
    return records, first_batch, time.perf_counter() - started


def reference_problems(
    run: CompareRun, plan: Sequence[Any], records: Sequence[ClipRecord], skipped: Iterable[Any]
) -> list[str]:
    """What is wrong with one loader's epoch on its own: clips against the plan, stamps."""
    problems = [f"skipped {s.path}: {s.reason}" for s in skipped]
    expected = [
        (Path(r.path).name, r.video_index, r.clip_index, r.aug_index, r.label) for r in plan
    ]
    got = [r.identity for r in records]
    if got != expected:
        first = next(
            (i for i, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b),
            min(len(got), len(expected)),
        )
        problems.append(
            f"clips differ from the plan at #{first}: {len(got)} delivered, {len(expected)} "
            f"planned; got {got[first : first + 2]}, planned {expected[first : first + 2]}"
        )
    if run.stamps:
        for record, request in zip(records, plan, strict=False):
            want = [int(i) for i in request.frame_indices]
            if record.stamps != want:
                problems.append(
                    f"{record.identity[0]} clip {record.identity[2]}: frames {record.stamps}, "
                    f"planned {want}"
                )
        if run.canvas is not None:
            flips = {bool(r.flipped) for r in records if r.flipped is not None}
            if len(records) >= 8 and flips != {False, True}:
                problems.append(f"only one flip branch occurred ({flips}) in {len(records)} clips")
    return problems


def compare(
    run: CompareRun,
    reference: Sequence[ClipRecord],
    loader: Any,
    paths: Sequence[Path],
    sizes: dict[str, tuple[int, int]],
    *,
    optional: frozenset[tuple[Any, ...]] = frozenset(),
) -> tuple[Comparison, list[ClipRecord], float, float]:
    """Run ``loader`` (the GPU one) and compare each clip with ``reference`` as it arrives.

    Args:
        optional: Identities of clips either side may skip (damaged ones): compared only where
            both delivered them.
    """
    result = Comparison(run.name)
    routing = loader.routing
    by_identity = {r.identity: r for r in reference}
    sums: dict[str, list[float]] = {}

    def check(record: ClipRecord, clip: torch.Tensor) -> None:
        route = str(routing.decoders.get(record.path, "?"))
        other = by_identity.get(record.identity)
        row: dict[str, Any] = {"clip": list(record.identity[:3]), "route": route}
        if (other is None or other.video is None) and record.identity in optional:
            result.per_clip.append(row)  # a damaged clip only one side could decode
            return
        if other is None or other.video is None:
            result.problems.append(f"{record.identity} has no CPU counterpart")
            result.per_clip.append(row)
            return
        if tuple(clip.shape) != other.shape:
            result.problems.append(f"{record.identity}: shape {tuple(clip.shape)} != {other.shape}")
            result.per_clip.append(row)
            return
        diff = (clip.detach().float() - other.video.to(clip.device, torch.float32)).abs()
        frame_means = diff.mean(dim=(0, 2, 3)) * run.to_255  # (C, T, H, W): one per frame
        mean_abs = float(frame_means.max())
        max_abs = float(diff.max()) * run.to_255
        row.update(
            mean_abs=round(mean_abs, 3),
            clip_mean_abs=round(float(diff.mean()) * run.to_255, 3),
            max_abs=round(max_abs, 1),
        )
        tolerance = TOLERANCE.get(route, 3.0)
        if mean_abs > tolerance:
            result.problems.append(
                f"{record.identity[0]} clip {record.identity[2]} ({route}): mean |gpu - cpu| "
                f"of its worst frame {mean_abs:.2f} > {tolerance}"
            )
        if run.stamps:
            row.update(stamps=record.stamps, flipped=record.flipped)
            if record.stamps != other.stamps or record.flipped != other.flipped:
                result.problems.append(
                    f"{record.identity[0]} clip {record.identity[2]} ({route}): gpu frames "
                    f"{record.stamps} flipped={record.flipped}, cpu {other.stamps} "
                    f"flipped={other.flipped}"
                )
        sums.setdefault(route, []).extend([mean_abs, max_abs])
        result.per_clip.append(row)

    records, first_batch, seconds = collect(
        loader, paths, run, sizes, keep_video=False, on_clip=check
    )
    result.clips = len(records)
    got = [r.identity for r in records if r.identity not in optional]
    want = [r.identity for r in reference if r.identity not in optional]
    if got != want:
        result.problems.append(
            f"gpu delivered {len(got)} clips, cpu {len(want)}; first difference at #"
            f"{next((i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), 0)}"
        )
    not_cuda = {r.device for r in records} - {"cuda"}
    if not_cuda:
        result.problems.append(f"batches on {sorted(not_cuda)}, expected cuda")
    for route, values in sums.items():
        means, maxima = values[0::2], values[1::2]
        result.by_route[route] = {
            "clips": float(len(means)),
            "max_mean_abs": max(means),
            "avg_mean_abs": sum(means) / len(means),
            "max_abs": max(maxima),
        }
    if run.stamps and run.canvas is not None:
        result.flips = {
            "flipped": sum(1 for r in records if r.flipped),
            "not flipped": sum(1 for r in records if r.flipped is False),
        }
    gc.collect()
    return result, records, first_batch, seconds


def damaged_clips(plan: Sequence[Any], first_bad: dict[str, int]) -> frozenset[tuple[Any, ...]]:
    """Identities of the planned clips that need a damaged frame (``first_bad``: per path)."""
    return frozenset(
        (Path(r.path).name, r.video_index, r.clip_index, r.aug_index, r.label)
        for r in plan
        if r.path in first_bad and max(int(i) for i in r.frame_indices) >= first_bad[r.path]
    )


def damaged_problems(
    plan: Sequence[Any],
    records: Sequence[ClipRecord],
    skipped: Sequence[Any],
    first_bad: dict[str, int],
) -> tuple[list[str], dict[str, Any]]:
    """Checks of the damaged run on one device, and what happened to each damaged clip.

    Every clip that needs no damaged frame is delivered, in plan order, with the planned
    frames; a damaged clip is either skipped with a reason or delivered with exactly the
    planned frames (a decoder may conceal the damage), never with other or unreadable frames.
    """
    bad = damaged_clips(plan, first_bad)
    expected = [
        (Path(r.path).name, r.video_index, r.clip_index, r.aug_index, r.label) for r in plan
    ]
    wanted = {
        identity: [int(i) for i in r.frame_indices]
        for identity, r in zip(expected, plan, strict=True)
    }
    delivered = {r.identity: r for r in records}
    problems: list[str] = []
    good_order = [r.identity for r in records if r.identity not in bad]
    if good_order != [i for i in expected if i not in bad]:
        problems.append(
            f"intact clips delivered {len(good_order)} of "
            f"{sum(1 for i in expected if i not in bad)} (or out of order)"
        )
    skipped_by_clip = {(Path(s.path).name, s.clip_index): s.reason for s in skipped}
    outcome: dict[str, Any] = {}
    for identity in expected:
        record = delivered.get(identity)
        key = f"{identity[0]} clip {identity[2]}"
        if record is not None and record.stamps != wanted[identity]:
            problems.append(f"{key}: delivered frames {record.stamps}, planned {wanted[identity]}")
        if identity not in bad:
            continue
        if record is not None:
            outcome[key] = "delivered with the planned frames"
        elif (identity[0], identity[2]) in skipped_by_clip:
            outcome[key] = "skipped: " + str(skipped_by_clip[(identity[0], identity[2])])[:200]
        else:
            problems.append(f"{key}: neither delivered nor recorded in loader.skipped")
    extra = [
        f"{s.path}: {s.reason}"
        for s in skipped
        if (Path(s.path).name, s.clip_index) not in {(i[0], i[2]) for i in bad}
    ]
    problems += [f"skipped an intact clip: {e}" for e in extra[:3]]
    return problems, outcome
