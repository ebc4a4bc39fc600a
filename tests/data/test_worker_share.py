"""``MultiProcessSampler``: each DataLoader worker's block of the video order, as PyTorchVideo
splits it (its own ``MultiProcessSampler`` is the oracle)."""

from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

import pytest
import torch
from pytorchvideo.data.utils import MultiProcessSampler as PtvMultiProcessSampler
from torch.utils.data import RandomSampler, SequentialSampler

from fastvid.data import MultiProcessSampler


def _share(sampler_cls: type, base: object, worker: int | None, workers: int) -> list[int]:
    info = None if worker is None else SimpleNamespace(id=worker, num_workers=workers)
    with mock.patch("torch.utils.data.get_worker_info", return_value=info):
        return list(sampler_cls(base))


def _order(videos: int) -> RandomSampler:
    """The same shuffled order every time (PyTorchVideo seeds every worker alike)."""
    return RandomSampler(range(videos), generator=torch.Generator().manual_seed(3))


@pytest.mark.parametrize(("videos", "workers"), [(10, 3), (4, 4), (2, 5), (7, 1)])
def test_blocks_equal_pytorchvideo(videos: int, workers: int) -> None:
    shares = []
    for worker in range(workers):
        ours = _share(MultiProcessSampler, _order(videos), worker, workers)
        theirs = _share(PtvMultiProcessSampler, _order(videos), worker, workers)
        assert ours == theirs
        shares.extend(ours)
    assert sorted(shares) == list(range(videos))  # every video exactly once


def test_outside_a_worker_yields_everything() -> None:
    assert _share(MultiProcessSampler, SequentialSampler(range(5)), None, 0) == [0, 1, 2, 3, 4]
