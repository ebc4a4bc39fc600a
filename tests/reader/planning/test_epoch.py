"""The epoch planner: which clips, in which order, on which rank (no decoding except the oracle).

* Against PyTorchVideo's ``LabeledVideoDataset`` (the oracle) on real fixture videos: the same
  clips in the same order, the same frames, and the same dropping of a video at its first clip
  that has no frames.
* Sharding: disjoint videos per rank that together cover the dataset, the same number of clips
  on every rank (short shares repeat their own clips), and each sampler class honoured.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import torch
from pytorchvideo.data import LabeledVideoDataset
from pytorchvideo.data import make_clip_sampler as pv_make_clip_sampler
from pytorchvideo.transforms import ApplyTransformToKey, UniformTemporalSubsample
from torch.utils.data import DistributedSampler, RandomSampler, Sampler, SequentialSampler

from fastvid.data.samplers import make_clip_sampler
from fastvid.reader.planning.epoch import EpochPlanner, PlannedVideo, shard_count
from fastvid.reader.planning.frames import ClipRequest

ORACLE_VIDEOS = ("h264", "vp9_vfr", "mjpeg", "hevc_vfr")
SUBSAMPLE = 4


def clip_key(clip: ClipRequest) -> tuple[Any, ...]:
    """Everything a planned clip says, comparable with ``==``."""
    return (
        clip.video_index,
        clip.path,
        clip.label,
        clip.clip_index,
        clip.aug_index,
        clip.clip_start_sec,
        clip.clip_end_sec,
        tuple(clip.frame_indices.tolist()),
    )


# ---------------------------------------------------------------------------------------------
# PyTorchVideo's LabeledVideoDataset as the oracle


@pytest.mark.parametrize(
    "sampler_args",
    [
        ("uniform", Fraction(1, 60)),  # clip 1 falls between two frames: the video is dropped
        ("uniform", Fraction(3, 4), Fraction(1, 2)),  # overlapping clips (stride)
        ("uniform", Fraction(3, 4), None, True),  # back-padded last clip
        ("constant_clips_per_video", 1.0, 3, 2),  # several augmentations of one clip
    ],
    ids=["empty-clip", "stride", "backpad", "constant-augs"],
)
def test_plan_matches_labeled_video_dataset(
    sampler_args: tuple[Any, ...], videos, stamps: Callable
) -> None:
    paths = [str(videos.path(name)) for name in ORACLE_VIDEOS]
    dataset = LabeledVideoDataset(
        labeled_video_paths=[(p, {"label": 10 + i}) for i, p in enumerate(paths)],
        clip_sampler=pv_make_clip_sampler(*sampler_args),
        video_sampler=SequentialSampler,
        transform=ApplyTransformToKey("video", UniformTemporalSubsample(SUBSAMPLE)),
        decode_audio=False,
        decoder="pyav",
    )
    oracle = [
        (s["video_index"], s["clip_index"], s["aug_index"], s["label"], stamps(s["video"]))
        for s in dataset
    ]
    metas = [videos.meta(name) for name in ORACLE_VIDEOS]
    planner = EpochPlanner(
        [
            PlannedVideo(p, 10 + i, m.duration, m)
            for i, (p, m) in enumerate(zip(paths, metas, strict=True))
        ],
        lambda: make_clip_sampler(*sampler_args),
        temporal_subsample=(SUBSAMPLE,),
        video_sampler=SequentialSampler,
    )
    mine = [
        (c.video_index, c.clip_index, c.aug_index, c.label, c.frame_indices.tolist())
        for c in planner.plan(0)
    ]
    assert mine == oracle
    if sampler_args[1] == Fraction(1, 60):
        # Each ~2 s video would give ~120 clips; an empty clip within the first few cut it.
        assert {v for v, *_ in oracle} == set(range(len(paths)))
        assert len(oracle) <= 3 * len(paths)


# ---------------------------------------------------------------------------------------------
# Planning without files: fake timings


@dataclass(frozen=True)
class FakeTiming:
    """A constant-rate video's timestamps (what the frame plan reads from ``VideoMeta``)."""

    pts: np.ndarray
    time_base: Fraction = Fraction(1, 30)
    start_pts: int = 0


def fake_video(
    index: int, seconds: Fraction, *, frames_until: Fraction | None = None
) -> PlannedVideo:
    """A 30 fps video of ``seconds``; with ``frames_until``, frames stop early (a gap)."""
    last = seconds if frames_until is None else frames_until
    pts = np.arange(int(last * 30), dtype=np.int64)
    return PlannedVideo(f"/data/v{index}.mp4", index % 3, seconds, FakeTiming(pts))


DURATIONS = [Fraction(s) for s in ("1", "2", "3.5", "5", "2.5", "1.2", "4", "3", "6")]


def fake_videos() -> list[PlannedVideo]:
    return [fake_video(i, d) for i, d in enumerate(DURATIONS)]


def planner_for(
    videos: list[PlannedVideo],
    video_sampler: type[Sampler[int]] | Sampler[int] | None,
    *,
    rank: int = 0,
    world_size: int = 1,
    seed: int = 3,
    sampler_args: tuple[Any, ...] = ("uniform", 1.0),
) -> EpochPlanner:
    return EpochPlanner(
        videos,
        lambda: make_clip_sampler(*sampler_args),
        temporal_subsample=(8,),
        video_sampler=video_sampler,
        seed=seed,
        rank=rank,
        world_size=world_size,
    )


def video_order(plan: list[ClipRequest]) -> list[int]:
    """Videos in the order a plan first visits them."""
    return list(dict.fromkeys(c.video_index for c in plan))


@pytest.mark.parametrize("sampler", [SequentialSampler, RandomSampler], ids=lambda s: s.__name__)
@pytest.mark.parametrize("world_size", [2, 3])
def test_ranks_get_disjoint_videos_covering_the_dataset(
    sampler: type[Sampler[int]], world_size: int
) -> None:
    videos = fake_videos()
    single = planner_for(videos, sampler).plan(0)
    plans = [
        planner_for(videos, sampler, rank=r, world_size=world_size).plan(0)
        for r in range(world_size)
    ]

    video_sets = [set(video_order(p)) for p in plans]
    for a in range(world_size):
        for b in range(a + 1, world_size):
            assert not video_sets[a] & video_sets[b], "two ranks share a video"
    assert set().union(*video_sets) == set(range(len(videos)))

    # The same number of clips on every rank; a short share repeats its own clips in order.
    assert len({len(p) for p in plans}) == 1
    by_video = {i: [clip_key(c) for c in single if c.video_index == i] for i in range(len(videos))}
    for plan in plans:
        own = [
            clip_key(c)
            for i in video_order(plan)
            for c in planner_for(videos, sampler).clips_for_video(i, epoch=0)
        ]
        assert [clip_key(c) for c in plan] == [own[i % len(own)] for i in range(len(plan))]
        for i in video_order(plan):
            assert [k for k in own if k[0] == i] == by_video[i]
    assert len(plans[0]) == max(sum(len(by_video[i]) for i in video_order(p)) for p in plans)


def test_sequential_sampler_keeps_dataset_order_on_every_rank() -> None:
    videos = fake_videos()
    assert video_order(planner_for(videos, SequentialSampler).plan(0)) == list(range(len(videos)))
    for rank in range(2):
        plan = planner_for(videos, SequentialSampler, rank=rank, world_size=2).plan(0)
        order = video_order(plan)
        assert order == sorted(order)


def test_random_sampler_shuffles_by_seed_and_epoch() -> None:
    videos = fake_videos()
    orders = {
        (seed, epoch): video_order(planner_for(videos, RandomSampler, seed=seed).plan(epoch))
        for seed in (3, 4)
        for epoch in (0, 1)
    }
    assert all(sorted(o) == list(range(len(videos))) for o in orders.values())
    assert orders[(3, 0)] != orders[(4, 0)]
    assert orders[(3, 0)] != orders[(3, 1)]
    # A pure function of (seed, epoch): a fresh planner gives the same order again.
    assert video_order(planner_for(videos, RandomSampler, seed=3).plan(1)) == orders[(3, 1)]
    # The default video sampler is RandomSampler, as in PyTorchVideo.
    assert video_order(planner_for(videos, None, seed=3).plan(0)) == orders[(3, 0)]


def _torch_distributed_order(
    n: int, *, rank: int, world_size: int, seed: int, epoch: int
) -> list[int]:
    data: Any = range(n)
    sampler = DistributedSampler(data, num_replicas=world_size, rank=rank, shuffle=True, seed=seed)
    sampler.set_epoch(epoch)
    return list(sampler)


@pytest.mark.parametrize("epoch", [0, 1])
def test_distributed_sampler_class_is_honoured(epoch: int) -> None:
    videos = fake_videos()
    plans = [
        planner_for(videos, DistributedSampler, rank=r, world_size=2).plan(epoch) for r in range(2)
    ]
    for rank, plan in enumerate(plans):
        expected = _torch_distributed_order(
            len(videos), rank=rank, world_size=2, seed=3, epoch=epoch
        )
        # DistributedSampler pads the *video* list by repetition; the plan visits its order.
        distinct = list(dict.fromkeys(expected))
        assert video_order(plan) == distinct
    assert len(plans[0]) == len(plans[1]), "ranks must run the same number of clips"


def test_sampler_instance_is_honoured_with_its_epoch() -> None:
    videos = fake_videos()
    data: Any = range(len(videos))
    instance = DistributedSampler(data, num_replicas=1, rank=0, shuffle=True, seed=11)
    planner = planner_for(videos, instance)
    for epoch in (0, 1):
        expected = _torch_distributed_order(len(videos), rank=0, world_size=1, seed=11, epoch=epoch)
        assert video_order(planner.plan(epoch)) == expected


def test_custom_sampler_class_is_used() -> None:
    class Reversed(Sampler[int]):
        def __init__(self, data: Any) -> None:
            self.n = len(data)

        def __iter__(self) -> Any:
            return iter(range(self.n - 1, -1, -1))

        def __len__(self) -> int:
            return self.n

    videos = fake_videos()
    assert video_order(planner_for(videos, Reversed).plan(0)) == list(range(len(videos)))[::-1]


def test_videos_with_an_empty_clip_are_cut_there_and_empty_videos_dropped() -> None:
    videos = [
        fake_video(0, Fraction(3)),
        fake_video(1, Fraction(3), frames_until=Fraction(3, 2)),  # clip [2, 3) has no frames
        fake_video(2, Fraction(3), frames_until=Fraction(0)),  # no frames at all
        PlannedVideo("/data/unreadable.mp4", 0, None, FakeTiming(np.zeros(0, np.int64))),
        fake_video(4, Fraction(2)),
    ]
    plan = planner_for(videos, SequentialSampler).plan(0)
    clips = [(c.video_index, c.clip_index) for c in plan]
    assert clips == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (4, 0), (4, 1)]
    # Clip 1 of video 1 is [1, 2) with frames only up to 1.5 s: kept, with what it has.
    assert plan[4].frame_indices.max() == 44
    plans = [planner_for(videos, SequentialSampler, rank=r, world_size=2).plan(0) for r in range(2)]
    assert set(video_order(plans[0])) | set(video_order(plans[1])) == {0, 1, 4}
    assert len(plans[0]) == len(plans[1])


def test_every_planned_frame_lies_in_its_clip_and_video() -> None:
    videos = fake_videos()
    for args in [("random", 1.5), ("random_multi", 1.0, 2), ("uniform", 2.0)]:
        for clip in planner_for(videos, RandomSampler, sampler_args=args).plan(0):
            timing = videos[clip.video_index].timing
            seconds = timing.pts[clip.frame_indices] * timing.time_base
            assert len(clip.frame_indices) == 8
            assert (seconds >= clip.clip_start_sec).all() and (seconds < clip.clip_end_sec).all()
            assert clip.frame_indices.min() >= 0 and clip.frame_indices.max() < len(timing.pts)


def test_a_rank_without_videos_borrows_clips_to_keep_in_step() -> None:
    videos = [fake_video(0, Fraction(3)), fake_video(1, Fraction(1))]
    plans = [planner_for(videos, SequentialSampler, rank=r, world_size=3).plan(0) for r in range(3)]
    assert [len(p) for p in plans] == [3, 3, 3]
    assert [(c.video_index, c.clip_index) for c in plans[2]] == [(0, 0), (0, 1), (0, 2)]


def test_rank_validation() -> None:
    with pytest.raises(ValueError, match=r"rank \(2\) must be in \[0, world_size \(2\)\)"):
        planner_for(fake_videos(), None, rank=2, world_size=2)


@pytest.mark.parametrize(
    ("n", "batch", "drop_last", "expected"), [(10, 4, False, 3), (10, 4, True, 2), (8, 4, True, 2)]
)
def test_shard_count(n: int, batch: int, drop_last: bool, expected: int) -> None:
    plan = planner_for([fake_video(0, Fraction(n))], SequentialSampler).plan(0)
    assert len(plan) == n
    assert shard_count(plan, batch, drop_last=drop_last) == expected
    assert shard_count(plan, batch, drop_last=drop_last) == len(
        list(torch.utils.data.DataLoader(range(n), batch_size=batch, drop_last=drop_last))
    )


def test_a_shard_sampler_gives_each_rank_its_shards_with_equal_clip_counts() -> None:
    from fastvid.data.shards import ShardSampler, shard_video_order

    videos = fake_videos()  # 9 videos of 1..6 s: 1..6 clips each
    members = [4, 2, 3]
    sampler = ShardSampler(members)
    for epoch in (0, 1):
        plans = [planner_for(videos, sampler, rank=r, world_size=2).plan(epoch) for r in range(2)]
        assert len(plans[0]) == len(plans[1])  # clip counts differ per video: padded
        for r, plan in enumerate(plans):
            order = shard_video_order(members, seed=3, epoch=epoch, rank=r, world_size=2)
            assert video_order(plan) == list(dict.fromkeys(order))
        assert not set(video_order(plans[0])) & set(video_order(plans[1]))
    assert video_order(planner_for(videos, sampler).plan(0)) == shard_video_order(
        members, seed=3, epoch=0, rank=0, world_size=1
    )


def test_a_distributed_sampler_instance_keeps_clip_counts_equal() -> None:
    # each rank's planner must see the other ranks' shares, not its own one again
    videos = fake_videos()[:8]  # an even count: DistributedSampler pads no video twice
    plans = [
        planner_for(
            videos,
            DistributedSampler(range(len(videos)), num_replicas=2, rank=r, shuffle=True, seed=3),
            rank=r,
            world_size=2,
        ).plan(0)
        for r in range(2)
    ]
    assert len(plans[0]) == len(plans[1])
    assert not set(video_order(plans[0])) & set(video_order(plans[1]))
