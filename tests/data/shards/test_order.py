"""Shard-level shuffling split across ranks: a pure function of (shards, seed, epoch, rank)."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastvid.data.shards import ShardSampler, shard_video_order


def _shard_of(members: list[int]) -> dict[int, int]:
    out, start = {}, 0
    for s, m in enumerate(members):
        out.update({start + i: s for i in range(m)})
        start += m
    return out


def _all(members: list[int], world: int, epoch: int = 0, seed: int = 0) -> list[list[int]]:
    return [
        shard_video_order(members, seed=seed, epoch=epoch, rank=r, world_size=world)
        for r in range(world)
    ]


@settings(max_examples=150, deadline=None)
@given(
    members=st.lists(st.integers(0, 9), min_size=1, max_size=12).filter(lambda m: sum(m) > 0),
    world=st.integers(1, 5),
    epoch=st.integers(0, 3),
)
def test_ranks_cover_every_video_with_equal_counts(
    members: list[int], world: int, epoch: int
) -> None:
    shares = _all(members, world, epoch)
    assert len({len(s) for s in shares}) == 1  # equal counts: no rank waits at epoch end
    assert set().union(*map(set, shares)) == set(range(sum(members)))
    firsts = [list(dict.fromkeys(s)) for s in shares]  # each share without its padding
    for r, share in enumerate(shares):
        pad = [firsts[r][i % len(firsts[r])] for i in range(len(share))] if firsts[r] else share
        assert share == pad  # a short share repeats its own videos from its start
    if sum(members) >= world:  # disjoint unless there are fewer videos than ranks
        seen = Counter(v for f in firsts for v in f)
        assert max(seen.values()) == 1
    if sum(m > 0 for m in members) >= world:  # whole shards: loads within the largest shard
        loads = [len(f) for f in firsts]
        assert max(loads) - min(loads) <= max(members)


def test_ranks_read_whole_shards_and_loads_differ_by_less_than_a_shard() -> None:
    members = [5, 3, 8, 2, 7, 4, 6, 1]
    shard = _shard_of(members)
    shares = _all(members, 3)
    owners = [{shard[v] for v in dict.fromkeys(s)} for s in shares]
    assert not (owners[0] & owners[1] or owners[0] & owners[2] or owners[1] & owners[2])
    loads = [sum(members[s] for s in o) for o in owners]
    assert sum(loads) == sum(members) and max(loads) - min(loads) <= max(members)
    for s in shares:  # a shard's videos are read together (one after the other)
        runs = [shard[v] for v in dict.fromkeys(s)]
        assert runs == sorted(runs, key=runs.index)


def test_every_epoch_reshuffles_and_every_rank_agrees() -> None:
    members = [4] * 6
    e0, e1 = _all(members, 2, epoch=0), _all(members, 2, epoch=1)
    assert e0 != e1 and e0 == _all(members, 2, epoch=0)
    assert _all(members, 2, seed=1) != e0
    # no shuffle: shards in list order, dealt out in turn, members in tar order
    plain = [
        shard_video_order(members, seed=0, epoch=0, rank=r, world_size=2, shuffle=False)
        for r in range(2)
    ]
    assert plain == [
        [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19],
        [4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23],
    ]


def test_fewer_shards_than_ranks_deals_out_videos() -> None:
    shares = _all([3, 2], 4)
    assert sorted(v for s in shares for v in dict.fromkeys(s)) == [0, 1, 2, 3, 4]
    assert {len(s) for s in shares} == {2}


def test_sampler_gives_the_function_and_follows_set_epoch() -> None:
    sampler = ShardSampler([3, 4, 5], seed=9, rank=1, world_size=2)
    sampler.set_epoch(4)
    expected = shard_video_order([3, 4, 5], seed=9, epoch=4, rank=1, world_size=2)
    assert list(sampler) == expected and len(sampler) == len(expected)
    assert sampler.order_for(seed=9, epoch=4, rank=1, world_size=2) == expected


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="rank"):
        shard_video_order([1], seed=0, epoch=0, rank=2, world_size=2)
    with pytest.raises(ValueError, match="every shard is empty"):
        shard_video_order([0, 0], seed=0, epoch=0, rank=0, world_size=1)
    with pytest.raises(ValueError, match=">= 0"):
        ShardSampler([2, -1])
