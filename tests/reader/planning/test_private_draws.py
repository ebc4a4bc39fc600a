"""Which random clip samplers are planned from a private generator, and that it leaves the
global RNGs alone while giving the global path's clips."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
import torch
from pytorchvideo.data.clip_sampling import RandomClipSampler as PtvRandom
from pytorchvideo.data.clip_sampling import RandomMultiClipSampler as PtvRandomMulti

from fastvid.data.samplers import (
    RandomClipSampler,
    as_clip_sampler,
    make_clip_sampler,
)
from fastvid.reader.planning._private_draws import private_draws
from fastvid.reader.planning._vector_plan import walk_sampler
from fastvid.reader.planning._video_order import mix_seed, seeded_global_rngs


class OwnRandom(RandomClipSampler):
    """A subclass may draw differently: it keeps the global path."""


@pytest.mark.parametrize(
    "sampler",
    [
        make_clip_sampler("random", 1.5),
        make_clip_sampler("random_multi", 0.5, 3),
        as_clip_sampler(PtvRandom(1.5)),
        as_clip_sampler(PtvRandomMulti(0.5, 3)),
        PtvRandom(Fraction(3, 4)),
    ],
    ids=["random", "random_multi", "ptv_random", "ptv_random_multi", "ptv_unwrapped"],
)
def test_the_known_random_samplers_draw_the_global_path_s_clips_from_their_own_generator(
    sampler: object,
) -> None:
    draws = private_draws(sampler, seed=9)
    assert draws is not None
    random.seed(123)
    torch.manual_seed(321)
    before = (random.getstate(), torch.get_rng_state())
    for video in range(20):
        for duration in (Fraction(1, 3), Fraction(7, 2), 4.25, Fraction(12)):
            mine = draws.clips(video, 2, duration)
            with seeded_global_rngs(mix_seed(9, 2, video)):
                theirs = walk_sampler(sampler, duration, {"label": 0})
            assert mine == theirs
    assert draws.clips(0, 2, None) == []
    # the private path read and wrote no global state (the walk above restores its own)
    random.seed(123)
    torch.manual_seed(321)
    for video in range(20):
        draws.clips(video, 2, Fraction(5))
    assert random.getstate() == before[0] and torch.equal(torch.get_rng_state(), before[1])


@pytest.mark.parametrize(
    "sampler",
    [
        RandomClipSampler(1.0, generator=random.Random(4)),  # the user's own generator
        OwnRandom(1.0),
        make_clip_sampler("uniform", 1.0),
    ],
    ids=["own_generator", "subclass", "uniform"],
)
def test_other_samplers_keep_their_own_path(sampler: object) -> None:
    assert private_draws(sampler, seed=0) is None


def test_a_float_and_an_equal_fraction_duration_are_drawn_each_with_its_own_arithmetic() -> None:
    sampler = make_clip_sampler("random", 0.7)  # 0.7 s is not a binary fraction
    draws = private_draws(sampler, seed=1)
    assert draws is not None
    durations = [Fraction(5), 5.0, Fraction(5), 5.0]
    got = draws.many([0, 1, 2, 3], 4, durations)
    for video, duration in enumerate(durations):
        with seeded_global_rngs(mix_seed(1, 4, video)):
            assert got[video] == walk_sampler(sampler, duration, None)
