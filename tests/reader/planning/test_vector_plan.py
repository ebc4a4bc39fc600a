"""The vectorised epoch plan gives exactly the clips of the one-video-at-a-time walk.

``EpochPlanner.clips_for_video`` is PyTorchVideo's loop for one video (checked against
``LabeledVideoDataset`` in ``test_epoch.py``); here every plan, whichever path made it
(a clip sampler run once per distinct duration, or per video), must equal that loop video by
video: constant-rate and variable-rate videos, odd time bases and starts, single-frame and
frameless videos, videos whose late clips are empty, float durations, temporal subsampling.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import torch
from torch.utils.data import DistributedSampler, RandomSampler, SequentialSampler

from fastvid.data.samplers import as_clip_sampler, make_clip_sampler
from fastvid.reader.planning._table import EpochPlan
from fastvid.reader.planning._vector_plan import duration_only
from fastvid.reader.planning._video_order import video_order
from fastvid.reader.planning.epoch import EpochPlanner, PlannedVideo


@dataclass(frozen=True)
class Timed:
    pts: np.ndarray
    time_base: Fraction
    start_pts: int = 0


def _videos() -> list[PlannedVideo]:
    rng = np.random.default_rng(7)
    videos: list[PlannedVideo] = []

    def add(timed: Timed, duration: Any) -> None:
        videos.append(PlannedVideo(f"/d/v{len(videos)}.mp4", len(videos) % 3, duration, timed))

    for _ in range(3):  # the same timing and duration: one shared plan
        add(Timed(np.arange(60) * 512, Fraction(1, 15360)), Fraction(60 * 512, 15360))
    add(Timed(np.arange(45) * 1001 + 3003, Fraction(1, 30000), 3003), Fraction(45 * 1001, 30000))
    add(Timed(np.arange(30) * 40 + 7, Fraction(1, 1000), 7), Fraction(1237, 1000))
    vfr = np.cumsum(rng.integers(20, 60, size=50))
    add(Timed(vfr, Fraction(1, 1000)), Fraction(int(vfr[-1]), 1000))
    dup = np.repeat(np.arange(20) * 100, 2)  # duplicate timestamps: the last of each wins
    add(Timed(dup, Fraction(1, 1000)), Fraction(2))
    add(Timed(np.array([0]), Fraction(1, 25)), Fraction(1, 25))  # one frame
    add(Timed(np.zeros(0, np.int64), Fraction(1, 25)), Fraction(1))  # no frames: no clips
    add(Timed(np.arange(10) * 100, Fraction(1, 1000)), Fraction(3))  # late clips are empty
    add(Timed(np.arange(48) * 512, Fraction(1, 15360)), 1.6)  # a float duration
    add(Timed(np.arange(48) * 512, Fraction(1, 15360)), Fraction(8, 5))  # the same, exact
    add(Timed(np.arange(20), Fraction(1, 10)), None)  # not indexed: never planned
    return videos


SAMPLERS = {
    "uniform": lambda: make_clip_sampler("uniform", Fraction(1, 2)),
    "uniform_float_stride": lambda: make_clip_sampler("uniform", 0.5, 0.3),
    "uniform_backpad": lambda: make_clip_sampler("uniform", 0.7, backpad_last=True),
    "constant": lambda: make_clip_sampler("constant_clips_per_video", 0.5, 3, augs_per_clip=2),
    "random": lambda: make_clip_sampler("random", 0.5),
    "random_multi": lambda: make_clip_sampler("random_multi", 0.5, 3),
}


def _ptv_uniform() -> Any:
    from pytorchvideo.data.clip_sampling import UniformClipSampler

    return as_clip_sampler(UniformClipSampler(Fraction(2, 5)))


def _ptv_random() -> Any:
    from pytorchvideo.data.clip_sampling import RandomClipSampler

    return as_clip_sampler(RandomClipSampler(0.7))


def _ptv_random_multi() -> Any:
    from pytorchvideo.data.clip_sampling import RandomMultiClipSampler

    return as_clip_sampler(RandomMultiClipSampler(0.4, 2))


PYTORCHVIDEO = {
    "pytorchvideo_uniform": _ptv_uniform,
    "pytorchvideo_random": _ptv_random,
    "pytorchvideo_random_multi": _ptv_random_multi,
}
RANDOM = ("random", "random_multi", "pytorchvideo_random", "pytorchvideo_random_multi")


class GlobalDraws:
    """A custom clip sampler drawing from the global ``random`` (PyTorchVideo's protocol)."""

    def __call__(self, last_end: Any, duration: Any, annotation: Any) -> tuple[Any, ...]:
        start = Fraction(random.uniform(0, max(duration - Fraction(1, 2), 0)))
        return start, start + Fraction(1, 2), 0, 0, True

    def reset(self) -> None:
        pass


def _key(clip: Any) -> tuple[Any, ...]:
    return (
        clip.video_index,
        clip.path,
        clip.label,
        clip.clip_index,
        clip.aug_index,
        clip.clip_start_sec,
        clip.clip_end_sec,
        tuple(np.asarray(clip.frame_indices).tolist()),
    )


@pytest.mark.parametrize("temporal", [(), (5, 3)])
@pytest.mark.parametrize("name", [*SAMPLERS, *PYTORCHVIDEO])
def test_the_plan_is_the_one_video_at_a_time_walk(name: str, temporal: tuple[int, ...]) -> None:
    """Random samplers too: the plan draws from each video's private generator, the walk
    (``clips_for_video``) from the seeded global ``random``; the clips must be the same."""
    sampler = {**SAMPLERS, **PYTORCHVIDEO}[name]()
    assert duration_only(sampler) == (name not in RANDOM)
    videos = _videos()
    planner = EpochPlanner(
        videos,
        lambda: copy.deepcopy(sampler),
        temporal_subsample=temporal,
        video_sampler=SequentialSampler,
        seed=5,
    )
    for epoch in (0, 1):
        plan = planner.plan(epoch)
        expected = [
            _key(c) for i in range(len(videos)) for c in planner.clips_for_video(i, epoch=epoch)
        ]
        assert [_key(c) for c in plan] == expected
    planned = {c.video_index for c in planner.plan(0)}
    assert 8 not in planned and len(videos) - 1 not in planned  # no frames; no duration
    assert {0, 3, 5, 6} <= planned


def test_a_plan_slices_takes_and_digests_as_its_clips() -> None:
    planner = EpochPlanner(
        _videos(), SAMPLERS["uniform"], temporal_subsample=(4,), video_sampler=RandomSampler
    )
    plan = planner.plan(0)
    clips = list(plan)
    assert [_key(c) for c in plan[3:9]] == [_key(c) for c in clips[3:9]]
    assert [_key(c) for c in plan.take(np.array([5, 0, 5]))] == [_key(clips[i]) for i in (5, 0, 5)]
    paths = [v.path for v in _videos()]
    labels = [v.label for v in _videos()]
    same = EpochPlan.from_requests(clips, paths=paths, labels=labels)
    assert [_key(c) for c in same] == [_key(c) for c in clips]
    assert plan.digest() == planner.plan(0).digest()
    assert plan.digest() != plan[1:].digest()


def test_the_random_order_is_random_samplers() -> None:
    generator = torch.Generator().manual_seed(11)
    expected = list(RandomSampler(range(37), generator=generator))
    order, sharded = video_order(None, 37, seed=0, epoch=0, rank=0, world_size=1)
    generator = torch.Generator()
    # the planner seeds its generator from (seed, epoch); the same seed gives RandomSampler's
    from fastvid.reader.planning.epoch import mix_seed

    generator.manual_seed(mix_seed(0, 0, 0x5A))
    assert order.tolist() == list(RandomSampler(range(37), generator=generator))
    assert not sharded and sorted(expected) == list(range(37))


@pytest.mark.parametrize("name", ["uniform", "random", "pytorchvideo_random", "global_draws"])
def test_planning_ahead_in_the_background_gives_the_same_plan(name: str) -> None:
    make = {**SAMPLERS, **PYTORCHVIDEO, "global_draws": GlobalDraws}[name]

    def planner() -> EpochPlanner:
        return EpochPlanner(
            _videos(), make, temporal_subsample=(4,), video_sampler=RandomSampler, seed=2
        )

    ahead = planner()
    ahead.plan_ahead(3)
    # a custom sampler draws from the global RNGs: planned on first use, in the caller's thread
    assert (3 in ahead._ahead) == (name != "global_draws")
    assert [_key(c) for c in ahead.plan(3)] == [_key(c) for c in planner().plan(3)]
    assert not ahead._ahead


@pytest.mark.parametrize(
    "name", ["uniform", "uniform_backpad", "constant", "random_multi", "pytorchvideo_random"]
)
@pytest.mark.parametrize(
    ("video_sampler", "world_size"),
    [(RandomSampler, 1), (SequentialSampler, 3), (DistributedSampler, 2)],
)
def test_the_head_of_an_epoch_is_its_plan_s_first_clips(
    name: str, video_sampler: type, world_size: int
) -> None:
    """``head`` plans a few videos of the share alone (their own timing columns); the whole
    plan, made in the background, starts with exactly those clips, on every rank."""
    for rank in range(world_size):

        def planner(rank: int = rank) -> EpochPlanner:
            return EpochPlanner(
                _videos() * 3,
                {**SAMPLERS, **PYTORCHVIDEO}[name],
                temporal_subsample=(4,),
                video_sampler=video_sampler,
                seed=4,
                rank=rank,
                world_size=world_size,
            )

        eager = [_key(c) for c in planner().plan(1)]
        for clips, whole in ((1, 1), (5, 2), (13, 3), (10_000, 4)):
            lazy = planner()
            head = lazy.head(1, clips, whole=whole)
            assert head is not None
            expected = min(clips, len(eager)) // whole * whole
            # a short share repeats its clips to keep in step: the repeats are not in its head
            assert len(head) == expected or (clips > len(eager) and 0 < len(head) <= expected)
            assert [_key(c) for c in head] == eager[: len(head)]
            assert [_key(c) for c in lazy.plan(1)] == eager  # the background plan
            assert lazy.ready(1) and lazy.head(1, clips) is None  # planned: no head needed
            assert [_key(c) for c in lazy.rest(1, len(head))(False) or []] == eager[len(head) :]


def test_no_head_where_planning_uses_the_global_random_state() -> None:
    planner = EpochPlanner(_videos(), GlobalDraws, video_sampler=RandomSampler)
    assert planner.head(0, 4) is None and not planner._ahead
