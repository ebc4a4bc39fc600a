"""Which videos of which shards each rank reads in an epoch (shard-level shuffling).

All ranks compute the same thing from the same inputs, with no communication: the shards are
shuffled per ``(seed, epoch)``, then dealt to the ranks one by one, each shard to the rank
with the fewest videos so far (ties: the lowest rank), so a rank reads whole shards (few, long
sequential reads) and the ranks' loads differ by at most the largest shard. A shard's own
videos are shuffled too (per ``(seed, epoch, shard)``): a video in an uncompressed tar is one
byte range, so reading them out of order costs nothing more. With fewer non-empty shards than
ranks, the videos themselves are dealt out (rank *r* takes positions *r*, *r + W*, ... of the
shuffled list). Every rank gets the same number of videos: a short share repeats its own first
videos, as ``DistributedSampler`` pads.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from torch.utils.data import Sampler

__all__ = ["ShardSampler", "shard_video_order"]

_MASK = 2**64 - 1


def _rng(*parts: int) -> np.random.Generator:
    return np.random.default_rng([p & _MASK for p in parts])


def _check(members_per_shard: Sequence[int], rank: int, world_size: int) -> None:
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f"rank ({rank}) must be in [0, world_size ({world_size}))")
    bad = [m for m in members_per_shard if m < 0]
    if bad:
        raise ValueError(f"members_per_shard must be counts >= 0, got {bad[0]}")
    if sum(members_per_shard) == 0:
        raise ValueError("no videos: every shard is empty")


def _shares(
    members_per_shard: Sequence[int], *, seed: int, epoch: int, world_size: int, shuffle: bool
) -> list[list[int]]:
    """Every rank's videos (positions in the shard-major list), before padding."""
    offsets = np.concatenate([[0], np.cumsum(members_per_shard)]).astype(np.int64)
    shards = np.arange(len(members_per_shard))
    if shuffle:
        shards = _rng(seed, epoch, 0x5D).permutation(shards)
    videos: dict[int, np.ndarray] = {}
    for s in shards.tolist():
        local = np.arange(members_per_shard[s])
        if shuffle:
            local = _rng(seed, epoch, 0x5E, s).permutation(local)
        videos[s] = offsets[s] + local
    non_empty = [s for s in shards.tolist() if members_per_shard[s] > 0]
    if len(non_empty) < world_size:  # too few shards to deal out: deal out the videos
        flat = np.concatenate([videos[s] for s in non_empty]).tolist()
        return [flat[r::world_size] for r in range(world_size)]
    shares: list[list[int]] = [[] for _ in range(world_size)]
    for s in non_empty:
        lightest = min(range(world_size), key=lambda r: (len(shares[r]), r))
        shares[lightest].extend(videos[s].tolist())
    return shares


def shard_video_order(
    members_per_shard: Sequence[int],
    *,
    seed: int,
    epoch: int,
    rank: int,
    world_size: int,
    shuffle: bool = True,
) -> list[int]:
    """This rank's videos for one epoch, in reading order.

    Args:
        members_per_shard: Videos in each shard, in shard-list order (the expanded URLs).
        seed: Shuffling seed (the same on every rank).
        epoch: Epoch number; each epoch reshuffles.
        rank: This process's rank.
        world_size: Number of ranks.
        shuffle: ``False``: shards and videos in list order (still dealt out to ranks).

    Returns:
        Positions in the shard-major list of all videos (shard 0's videos in tar order, then
        shard 1's, ...). Every rank gets the same number of positions; their union is every
        video; two ranks share one only where a short share was padded with its own videos.
    """
    _check(members_per_shard, rank, world_size)
    shares = _shares(
        members_per_shard, seed=seed, epoch=epoch, world_size=world_size, shuffle=shuffle
    )
    longest = max(len(share) for share in shares)
    mine = shares[rank] or [v for share in shares for v in share]
    return [mine[i % len(mine)] for i in range(longest)]


class ShardSampler(Sampler[int]):
    """:func:`shard_video_order` as a video sampler for :class:`~fastvid.reader.ClipLoader`.

    The loader's epoch planner calls :meth:`order_for` with its own seed, epoch, rank and
    world size (so every rank plans the others' shares too and keeps the clip counts equal);
    iterating it on its own gives ``order_for(seed, epoch, rank, world_size)`` of its
    attributes.

    Args:
        members_per_shard: Videos in each shard, in shard-list order.
        shuffle: Shuffle shards and videos per epoch. Default: ``True``.
        seed: Seed when iterated on its own. Default: 0.
        rank: Rank when iterated on its own. Default: 0.
        world_size: World size when iterated on its own. Default: 1.
    """

    def __init__(
        self,
        members_per_shard: Sequence[int],
        *,
        shuffle: bool = True,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        self.members_per_shard = tuple(int(m) for m in members_per_shard)
        _check(self.members_per_shard, rank, world_size)
        self.shuffle = shuffle
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """The epoch iterating on its own gives."""
        self.epoch = int(epoch)

    def order_for(self, *, seed: int, epoch: int, rank: int, world_size: int) -> list[int]:
        """One rank's videos for one epoch (:func:`shard_video_order`)."""
        return shard_video_order(
            self.members_per_shard,
            seed=seed,
            epoch=epoch,
            rank=rank,
            world_size=world_size,
            shuffle=self.shuffle,
        )

    def __iter__(self) -> Iterator[int]:
        return iter(
            self.order_for(
                seed=self.seed, epoch=self.epoch, rank=self.rank, world_size=self.world_size
            )
        )

    def __len__(self) -> int:
        return len(list(iter(self)))
