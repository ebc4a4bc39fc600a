"""FirstClipSampler: Flash's predict clip, one per video, from the sampler the user chose."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
from pytorchvideo.data import clip_sampling as pv

from fastvid.data.samplers import (
    ClipInfo,
    ClipInfoList,
    FirstClipSampler,
    clips_for_video,
    make_clip_sampler,
)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("uniform", (2.0,)),
        ("uniform", (Fraction(3, 2),)),
        ("constant_clips_per_video", (1.0, 3)),
        ("random", (2.0,)),
        ("random_multi", (1.0, 2)),
    ],
)
@pytest.mark.parametrize("duration", [Fraction(53, 10), Fraction(5, 2)])
def test_the_one_clip_is_what_flashs_predict_input_takes(
    name: str, args: tuple, duration: Fraction
) -> None:
    # Flash 0.8: `clip_sampler(0.0, video.duration, None)` once per video, on PyTorchVideo's
    # sampler; the random ones draw from the global `random`, so seed both the same.
    random.seed(7)
    theirs = pv.make_clip_sampler(name, *args)(0.0, duration, None)
    random.seed(7)
    ours = clips_for_video(FirstClipSampler(make_clip_sampler(name, *args)), duration)
    assert len(ours) == 1
    (clip,) = ours
    if isinstance(clip, ClipInfoList):
        assert clip.clip_start_sec == list(theirs.clip_start_sec)
        assert clip.clip_end_sec == list(theirs.clip_end_sec)
        assert clip.is_last_clip[-1] is True
    else:
        assert isinstance(clip, ClipInfo)
        assert (clip.clip_start_sec, clip.clip_end_sec) == (
            theirs.clip_start_sec,
            theirs.clip_end_sec,
        )
        assert (clip.clip_index, clip.aug_index, clip.is_last_clip) == (0, 0, True)


def test_reset_reaches_the_wrapped_sampler() -> None:
    inner = make_clip_sampler("uniform", 1.0)
    first = FirstClipSampler(inner)
    first(0.0, 5.0, None)
    first.reset()
    assert first(0.0, 5.0, None).clip_index == 0
    assert first.wrapped is inner and first.clip_duration == 1


def test_needs_a_fastvid_sampler() -> None:
    with pytest.raises(TypeError, match="as_clip_sampler"):
        FirstClipSampler(pv.make_clip_sampler("uniform", 1.0))  # type: ignore[arg-type]
