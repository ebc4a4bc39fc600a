"""``mix_seeds`` is ``mix_seed`` (NumPy's ``SeedSequence``) word for word, on whole columns."""

from __future__ import annotations

import numpy as np
import pytest

from fastvid.reader.planning._seeds import mix_seeds
from fastvid.reader.planning._video_order import mix_seed


@pytest.mark.parametrize(
    ("seed", "epoch"), [(0, 0), (3, 1), (2**40 + 7, 5), (0xFFFFFFFF, 2**33 + 1), (123456789, 0)]
)
def test_mix_seeds_is_seed_sequence_for_every_video(seed: int, epoch: int) -> None:
    rng = np.random.default_rng(seed % 1000)
    videos = np.concatenate([np.arange(300), rng.integers(0, 2**40, 300), [2**32 - 1, 2**32]])
    got = mix_seeds(seed, epoch, videos)
    assert got.dtype == np.uint32
    assert got.tolist() == [mix_seed(seed, epoch, int(v)) for v in videos]


def test_no_videos_no_seeds() -> None:
    assert mix_seeds(1, 2, np.zeros(0, np.int64)).tolist() == []
