"""The comparison runs: each loader configuration the check runs on both devices.

A run names its fixtures, clip length, batch size and transform (built fresh per loader), and
what the comparison can check on it (frame stamps where nothing resizes, the padding canvas, the
scale of its output values). :func:`seed_transform` is also the transform of the training step
and the throughput rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastvid.gpu_check._fixtures import FixtureSpec, Group

__all__ = ["FRAMES_PER_CLIP", "NORMALIZE_STD", "CompareRun", "compare_runs", "seed_transform"]

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
