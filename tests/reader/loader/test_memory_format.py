"""``ClipLoader(memory_format=torch.channels_last_3d)``: the same batches, laid out pixel by pixel.

One loader of each layout over files of both CPU routes (PyAV's frames finished in torch, and
DALI's CPU decoder running its graph), with a ``Normalize`` so the per-channel affine is in play:
the batches must hold the same values, and the channels-last ones must be channels-last in
memory, whichever route made them.
"""

from __future__ import annotations

import gc
from typing import Any

import pytest
import torch
import torchvision.transforms as tv
from pytorchvideo.transforms import (
    ApplyTransformToKey,
    Normalize,
    RandomShortSideScale,
    UniformTemporalSubsample,
)
from torch.utils.data import SequentialSampler

from fastvid.data.samplers import make_clip_sampler
from fastvid.reader.loader.clip_loader import ClipLoader

NAMES = ("h264", "vp9", "mjpeg", "mpeg4")


def transform() -> Any:
    return ApplyTransformToKey(
        "video",
        tv.Compose(
            [
                UniformTemporalSubsample(4),
                tv.Lambda(lambda x: x / 255.0),
                Normalize((0.45, 0.45, 0.45), (0.225, 0.225, 0.225)),
                RandomShortSideScale(min_size=64, max_size=80),
                tv.RandomCrop(56),
                tv.RandomHorizontalFlip(p=0.5),
            ]
        ),
    )


def batches(videos: Any, memory_format: Any) -> list[torch.Tensor]:
    loader = ClipLoader(
        [(str(videos.path(n)), i) for i, n in enumerate(NAMES)],
        clip_sampler=make_clip_sampler("uniform", 1.0),
        transform=transform(),
        video_sampler=SequentialSampler,
        batch_size=3,
        device="cpu",
        cpu_decoder="dali",  # VP9 and MJPEG through DALI's graph, the rest finished in torch
        num_workers=1,
        seed=3,
        progress=False,
        on_error="raise",
        memory_format=memory_format,
    )
    try:
        return [batch["video"] for batch in loader]
    finally:
        loader.close()
        gc.collect()


def test_channels_last_batches_hold_the_same_values_laid_out_pixel_by_pixel(videos: Any) -> None:
    plain = batches(videos, torch.contiguous_format)
    pixels = batches(videos, "channels_last_3d")
    assert len(plain) == len(pixels) >= 2
    for want, got in zip(plain, pixels, strict=True):
        assert want.is_contiguous()
        assert got.shape == want.shape and got.dtype == torch.float32
        assert got.is_contiguous(memory_format=torch.channels_last_3d)
        assert not got.is_contiguous()
        assert torch.equal(got, want)


@pytest.mark.parametrize("bad", [torch.channels_last, "channels_last", torch.preserve_format])
def test_a_memory_format_other_than_the_two_is_refused_by_name(videos: Any, bad: Any) -> None:
    with pytest.raises(ValueError, match=r"memory_format .* must be torch.contiguous_format or"):
        ClipLoader(
            [(str(videos.path("vp9")), 0)],
            clip_sampler=make_clip_sampler("uniform", 1.0),
            device="cpu",
            memory_format=bad,
        )
