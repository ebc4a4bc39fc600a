"""The video order of an epoch on one rank: which videos, in which order, from the video
sampler (a torch ``Sampler`` class or instance, or fastvid's ``ShardSampler``), seeded from the
loader's seed and the epoch, as :class:`~fastvid.reader.planning.epoch.EpochPlanner` visits them."""

from __future__ import annotations

import contextlib
import copy
import random
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch.utils.data import DistributedSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["for_rank", "mix_seed", "seeded_global_rngs", "video_order"]


def mix_seed(*parts: int) -> int:
    """A 63-bit seed derived from integers (stable across processes and runs)."""
    return int(np.random.SeedSequence([p & 0xFFFFFFFF for p in parts]).generate_state(2)[0])


@contextlib.contextmanager
def seeded_global_rngs(seed: int) -> Iterator[None]:
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


def video_order(
    video_sampler: type[Sampler[int]] | Sampler[int] | None,
    num_videos: int,
    *,
    seed: int,
    epoch: int,
    rank: int,
    world_size: int,
) -> tuple[np.ndarray, bool]:
    """Video positions in visiting order, and whether the sampler already sharded them."""
    order_for = getattr(video_sampler, "order_for", None)
    if callable(order_for):  # shares out the videos itself, for any rank (ShardSampler)
        order = order_for(seed=seed, epoch=epoch, rank=rank, world_size=world_size)
        return _positions(order), True
    if isinstance(video_sampler, Sampler):
        if hasattr(video_sampler, "set_epoch"):
            video_sampler.set_epoch(epoch)
        return _positions(video_sampler), isinstance(video_sampler, DistributedSampler)
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
        return _positions(sampler), True
    if isinstance(cls, type) and issubclass(cls, RandomSampler):
        generator = torch.Generator().manual_seed(mix_seed(seed, epoch, 0x5A))
        # RandomSampler(data, generator=generator)'s order: one randperm (tests check it)
        return torch.randperm(num_videos, generator=generator).numpy(), False
    if isinstance(cls, type) and issubclass(cls, SequentialSampler):
        return np.arange(num_videos, dtype=np.int64), False
    if callable(cls):
        with seeded_global_rngs(mix_seed(seed, epoch, 0x5B)):
            return _positions(cls(data)), False  # type: ignore[call-arg]
    raise TypeError(
        f"video_sampler must be a torch Sampler class or instance, got {video_sampler!r}"
    )


def _positions(order: Any) -> np.ndarray:
    """A sampler's (or any iterable's) positions as an int64 array."""
    if isinstance(order, np.ndarray | torch.Tensor):
        return np.asarray(order, dtype=np.int64).reshape(-1)
    items = list(order)  # once: a sampler may shuffle anew on each iteration
    try:
        return np.fromiter(items, np.int64, len(items))
    except (TypeError, ValueError):  # tensors and other int-likes
        return np.fromiter((int(i) for i in items), np.int64, len(items))


def for_rank(
    video_sampler: type[Sampler[int]] | Sampler[int] | None, rank: int
) -> type[Sampler[int]] | Sampler[int] | None:
    """A ``DistributedSampler`` instance as another rank's (a copy); anything else as is."""
    if isinstance(video_sampler, DistributedSampler) and video_sampler.rank != rank:
        other = copy.copy(video_sampler)
        other.rank = rank
        return other
    return video_sampler
