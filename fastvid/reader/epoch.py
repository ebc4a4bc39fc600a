"""Epoch plan: which clips of which videos, in which order, for one epoch on one rank.

PyTorchVideo's ``LabeledVideoDataset`` walks its ``video_sampler`` and, for each video, calls
the clip sampler until it says ``is_last_clip``. fastvid does the same walk *ahead of time*
from the metadata index (no decoding), so each clip's frames are known before the DALI graph
asks for them. The plan is a pure function of ``(seed, epoch, rank)``: every DALI worker
process rebuilds the same plan on its own, and two runs with one seed see the same clips.
"""

from __future__ import annotations

import contextlib
import copy
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import torch
from torch.utils.data import DistributedSampler, RandomSampler, Sampler, SequentialSampler

from fastvid.reader.plan import ClipRequest, TimedVideo, clip_frame_indices, temporal_subsample

__all__ = ["EpochPlanner", "PlannedVideo", "shard_count"]


@dataclass(frozen=True)
class PlannedVideo:
    """A video as the planner needs it: where it is, its label and its timing."""

    path: str
    label: int
    duration: Fraction | float | None
    timing: TimedVideo
    extra: tuple[tuple[str, Any], ...] = ()


ClipSamplerFn = Callable[..., Any]


def mix_seed(*parts: int) -> int:
    """A 63-bit seed derived from integers (stable across processes and runs)."""
    return int(np.random.SeedSequence([p & 0xFFFFFFFF for p in parts]).generate_state(2)[0])


@contextlib.contextmanager
def _seeded_global_rngs(seed: int) -> Iterator[None]:
    """Seed Python's and torch's global RNGs for a block, then restore them.

    PyTorchVideo's random clip samplers draw from the global ``random`` module; seeding it per
    video makes a video's clips independent of the order videos are planned in.
    """
    state = random.getstate()
    with torch.random.fork_rng(devices=[]):
        random.seed(seed)
        torch.random.default_generator.manual_seed(seed)  # CPU only: CUDA stays untouched
        try:
            yield
        finally:
            random.setstate(state)


def _video_order(
    video_sampler: type[Sampler[int]] | Sampler[int] | None,
    num_videos: int,
    *,
    seed: int,
    epoch: int,
    rank: int,
    world_size: int,
) -> tuple[list[int], bool]:
    """Video positions in visiting order, and whether the sampler already sharded them."""
    order_for = getattr(video_sampler, "order_for", None)
    if callable(order_for):  # shares out the videos itself, for any rank (ShardSampler)
        order = order_for(seed=seed, epoch=epoch, rank=rank, world_size=world_size)
        return [int(i) for i in order], True
    if isinstance(video_sampler, Sampler):
        if hasattr(video_sampler, "set_epoch"):
            video_sampler.set_epoch(epoch)
        return [int(i) for i in video_sampler], isinstance(video_sampler, DistributedSampler)
    cls = video_sampler or RandomSampler
    data = range(num_videos)
    if isinstance(cls, type) and issubclass(cls, DistributedSampler):
        sampler: Sampler[int] = cls(
            data,  # type: ignore[arg-type]
            num_replicas=world_size,
            rank=rank,
            shuffle=True,
            seed=seed,
        )
        sampler.set_epoch(epoch)  # type: ignore[attr-defined]
        return [int(i) for i in sampler], True
    if isinstance(cls, type) and issubclass(cls, RandomSampler):
        generator = torch.Generator().manual_seed(mix_seed(seed, epoch, 0x5A))
        return [int(i) for i in RandomSampler(data, generator=generator)], False
    if isinstance(cls, type) and issubclass(cls, SequentialSampler):
        return list(data), False
    if callable(cls):
        with _seeded_global_rngs(mix_seed(seed, epoch, 0x5B)):
            return [int(i) for i in cls(data)], False  # type: ignore[call-arg]
    raise TypeError(
        f"video_sampler must be a torch Sampler class or instance, got {video_sampler!r}"
    )


def _for_rank(
    video_sampler: type[Sampler[int]] | Sampler[int] | None, rank: int
) -> type[Sampler[int]] | Sampler[int] | None:
    """A ``DistributedSampler`` instance as another rank's (a copy); anything else as is."""
    if isinstance(video_sampler, DistributedSampler) and video_sampler.rank != rank:
        other = copy.copy(video_sampler)
        other.rank = rank
        return other
    return video_sampler


class EpochPlanner:
    """Builds the list of :class:`ClipRequest` for an epoch.

    Args:
        videos: The dataset's videos, in dataset order (``video_index`` is the position).
        clip_sampler_factory: Returns a fresh clip sampler (PyTorchVideo protocol:
            ``sampler(last_clip_end_time, video_duration, annotation)`` and ``reset()``).
        temporal_subsample: ``UniformTemporalSubsample`` sizes applied to each clip's frames.
        video_sampler: torch ``Sampler`` class or instance giving the video order, or an
            object whose ``order_for(seed=, epoch=, rank=, world_size=)`` gives each rank's
            share itself (:class:`fastvid.data.shards.ShardSampler`). Default:
            ``RandomSampler`` (PyTorchVideo's default).
        seed: Seed for the video order and random clip samplers.
        rank: This process's rank. Default: 0.
        world_size: Number of ranks; each gets a disjoint share of the videos and the same
            number of clips (the shorter shares repeat clips, like ``DistributedSampler``).
            Default: 1.
    """

    def __init__(
        self,
        videos: Sequence[PlannedVideo],
        clip_sampler_factory: Callable[[], ClipSamplerFn],
        *,
        temporal_subsample: Sequence[int] = (),
        video_sampler: type[Sampler[int]] | Sampler[int] | None = None,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if world_size < 1 or not 0 <= rank < world_size:
            raise ValueError(f"rank ({rank}) must be in [0, world_size ({world_size}))")
        self.videos = tuple(videos)
        self._clip_sampler_factory = clip_sampler_factory
        self._temporal = tuple(temporal_subsample)
        self._video_sampler = video_sampler
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self._cache: dict[int, list[ClipRequest]] = {}

    def for_rank(self, rank: int, world_size: int) -> EpochPlanner:
        """The same planner for another rank / world size."""
        return EpochPlanner(
            self.videos,
            self._clip_sampler_factory,
            temporal_subsample=self._temporal,
            video_sampler=self._video_sampler,
            seed=self.seed,
            rank=rank,
            world_size=world_size,
        )

    def clips_for_video(self, video_index: int, *, epoch: int) -> list[ClipRequest]:
        """The clips PyTorchVideo would draw from one video (empty clips dropped, as it does)."""
        video = self.videos[video_index]
        if video.duration is None:
            return []
        annotation = {"label": video.label, **dict(video.extra)}
        requests: list[ClipRequest] = []
        last_end: Fraction | float = 0.0
        with _seeded_global_rngs(mix_seed(self.seed, epoch, video_index)):
            sampler = self._clip_sampler_factory()
            for _ in range(1_000_000):
                start, end, clip_index, aug_index, is_last = sampler(
                    last_end, video.duration, annotation
                )
                starts = start if isinstance(start, list) else [start]
                ends = end if isinstance(end, list) else [end]
                clip_ids = clip_index if isinstance(clip_index, list) else [clip_index]
                aug_ids = aug_index if isinstance(aug_index, list) else [aug_index]
                last = is_last[-1] if isinstance(is_last, list) else is_last
                frames = [
                    clip_frame_indices(video.timing, s, e)
                    for s, e in zip(starts, ends, strict=True)
                ]
                if any(f.size == 0 for f in frames):
                    break  # PyTorchVideo drops the rest of a video whose clip is empty
                for s, e, c, a, f in zip(starts, ends, clip_ids, aug_ids, frames, strict=True):
                    for size in self._temporal:
                        f = temporal_subsample(f, size)
                    requests.append(
                        ClipRequest(video_index, video.path, video.label, c, a, s, e, f)
                    )
                last_end = ends[-1]
                if last:
                    break
            else:  # pragma: no cover - a sampler that never ends
                raise RuntimeError(f"clip sampler never ended for video {video.path}")
        if hasattr(sampler, "reset"):
            sampler.reset()
        return requests

    def plan(self, epoch: int) -> list[ClipRequest]:
        """This rank's clips for ``epoch``, in order (cached per epoch)."""
        if epoch not in self._cache:
            if len(self._cache) >= 2:  # this epoch and the next (the loader starts it early)
                del self._cache[min(self._cache)]
            self._cache[epoch] = self._build(epoch)
        return self._cache[epoch]

    def _build(self, epoch: int) -> list[ClipRequest]:
        order, sharded = _video_order(
            self._video_sampler,
            len(self.videos),
            seed=self.seed,
            epoch=epoch,
            rank=self.rank,
            world_size=self.world_size,
        )
        if self.world_size == 1:
            return [c for i in order for c in self.clips_for_video(i, epoch=epoch)]
        if sharded:  # the sampler shares out the videos: plan the other ranks' shares too
            orders = [
                _video_order(
                    _for_rank(self._video_sampler, r),
                    len(self.videos),
                    seed=self.seed,
                    epoch=epoch,
                    rank=r,
                    world_size=self.world_size,
                )[0]
                if r != self.rank
                else order
                for r in range(self.world_size)
            ]
        else:
            orders = [order[r :: self.world_size] for r in range(self.world_size)]
        shares = [[c for i in o for c in self.clips_for_video(i, epoch=epoch)] for o in orders]
        longest = max(len(s) for s in shares)
        # Every rank runs `longest` clips (DDP needs equal steps): a short share repeats its own
        # clips; an empty one borrows everyone's, as DistributedSampler pads from the dataset.
        mine = shares[self.rank] or [c for share in shares for c in share]
        if not mine:
            return []
        return [mine[i % len(mine)] for i in range(longest)]


def shard_count(plan: Sequence[ClipRequest], batch_size: int, *, drop_last: bool) -> int:
    """Number of batches a plan yields."""
    if drop_last:
        return len(plan) // batch_size
    return -(-len(plan) // batch_size)
