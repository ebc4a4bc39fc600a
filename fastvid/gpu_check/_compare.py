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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from fastvid.gpu_check._collect import (
    SEED,
    TASK_TIMEOUT_S,
    ClipRecord,
    collect,
    make_loader,
    read_stamps,
)
from fastvid.gpu_check._damaged import damaged_clips, damaged_problems
from fastvid.gpu_check._runs import (
    FRAMES_PER_CLIP,
    NORMALIZE_STD,
    CompareRun,
    compare_runs,
    seed_transform,
)

__all__ = [
    "FRAMES_PER_CLIP",
    "NORMALIZE_STD",
    "SEED",
    "TASK_TIMEOUT_S",
    "TOLERANCE",
    "ClipRecord",
    "CompareRun",
    "Comparison",
    "collect",
    "compare",
    "compare_runs",
    "damaged_clips",
    "damaged_problems",
    "make_loader",
    "read_stamps",
    "reference_problems",
    "seed_transform",
]

TOLERANCE: dict[str, float] = {"nvdec": 3.0, "pyav": 0.5, "dali_cpu": 3.0}


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
