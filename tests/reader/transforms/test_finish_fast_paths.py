"""The per-clip fast paths of the CPU route give the pixels of the plain paths they replace."""

from __future__ import annotations

import threading
from pathlib import Path

import av
import numpy as np
import pytest
import torch

from fastvid.reader.decoding._pyav_convert import _to_rgb
from fastvid.reader.transforms.augment import ChannelAffine
from fastvid.reader.transforms.finish import ClipFinish, finish_batch, finish_clip
from fastvid.testing import make_video


@pytest.mark.parametrize("flip", [False, True])
def test_an_identity_order_skips_the_gather_with_the_same_pixels(flip: bool) -> None:
    frames = np.random.default_rng(0).integers(0, 256, (5, 48, 64, 3), dtype=np.uint8)
    finish = ClipFinish(size=(60, 80), window=(3, 7, 40, 40), flip=flip)
    plain = finish_clip(frames, None, finish)
    identity = finish_clip(frames, np.arange(5), finish)
    assert torch.equal(identity, plain)
    repeats = np.array([0, 0, 2, 4, 4, 4])
    gathered = finish_clip(frames, repeats, finish)
    assert gathered.shape == (3, 6, 40, 40)
    assert torch.equal(gathered, plain[:, torch.from_numpy(repeats)])
    reversed_order = np.arange(5)[::-1].copy()  # a permutation is not the identity
    assert torch.equal(finish_clip(frames, reversed_order, finish), plain.flip(1))


def three_clips(seed: int) -> tuple[list[np.ndarray], list[ClipFinish]]:
    """Three clips' frames and finishes: resized, padded past the edge, cropped only."""
    rng = np.random.default_rng(seed)
    frames = [rng.integers(0, 256, (4, 48, 64, 3), dtype=np.uint8) for _ in range(3)]
    finishes = [
        ClipFinish(size=(60, 80), window=(3, 7, 40, 40), flip=True),
        ClipFinish(size=(50, 66), window=(-2, 30, 40, 40), flip=False, fill=(9, 8, 7)),
        ClipFinish(window=(0, 0, 40, 40), flip=True),
    ]
    return frames, finishes


@pytest.mark.parametrize(
    "affine", [ChannelAffine(), ChannelAffine((0.5, 2.0, 1.0), (1.0, 0.0, -3.0))]
)
def test_the_batch_casts_and_flips_in_one_copy_with_the_same_pixels(affine: ChannelAffine) -> None:
    frames, finishes = three_clips(seed=1)
    orders = [None, np.array([0, 1, 1, 3]), np.arange(4)]
    scale = torch.tensor(affine.scale).view(3, 1, 1, 1)
    offset = torch.tensor(affine.offset).view(3, 1, 1, 1)
    expected = [
        finish_clip(f, o, c).float() * scale + offset
        for f, o, c in zip(frames, orders, finishes, strict=True)
    ]
    batch, clips = finish_batch(list(zip(frames, orders, finishes, strict=True)), affine)
    assert batch is not None and batch.shape == (3, 3, 4, 40, 40) and batch.is_contiguous()
    for got, want in zip(clips, expected, strict=True):
        assert torch.equal(got, want)
    # clips of different shapes come back one by one, finished alike
    other = ClipFinish(window=(0, 0, 30, 20), flip=True)
    batch, clips = finish_batch([(frames[0], None, finishes[0]), (frames[1], None, other)], affine)
    assert batch is None
    assert torch.equal(clips[1], finish_clip(frames[1], None, other).float() * scale + offset)


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> list[av.VideoFrame]:
    path = make_video(
        Path(tmp_path_factory.mktemp("convert")) / "v.mp4",
        codec="h264",
        size=(176, 144),
        duration=0.4,
    )
    with av.open(str(path)) as container:
        return list(container.decode(video=0))


def test_the_reused_swscale_context_gives_pyav_s_own_conversion(
    frames: list[av.VideoFrame],
) -> None:
    for frame in frames:
        np.testing.assert_array_equal(
            _to_rgb(frame, 176, 144, "BILINEAR"), frame.to_ndarray(format="rgb24")
        )
        scaled = frame.reformat(width=90, height=64, format="rgb24", interpolation="BILINEAR")
        np.testing.assert_array_equal(_to_rgb(frame, 90, 64, "BILINEAR"), scaled.to_ndarray())
        # sizes alternate: the cached context is rebuilt, never reused at the wrong size
        assert _to_rgb(frame, 176, 144, "BILINEAR").shape == (144, 176, 3)


def test_each_thread_converts_with_its_own_context(frames: list[av.VideoFrame]) -> None:
    expected = [f.to_ndarray(format="rgb24") for f in frames]
    failures: list[int] = []

    def convert() -> None:
        for _ in range(5):
            for i, frame in enumerate(frames):
                if not np.array_equal(_to_rgb(frame, 176, 144, "BILINEAR"), expected[i]):
                    failures.append(i)

    threads = [threading.Thread(target=convert) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


@pytest.mark.parametrize(
    "affine", [ChannelAffine(), ChannelAffine((0.5, 2.0, 1.0), (1.0, 0.0, -3.0))]
)
def test_a_channels_last_batch_is_written_pixel_by_pixel_with_the_same_values(
    affine: ChannelAffine,
) -> None:
    frames, finishes = three_clips(seed=2)
    clips = list(zip(frames, [None, np.array([0, 1, 1, 3]), None], finishes, strict=True))
    plain, _ = finish_batch(clips, affine)
    pixels, rows = finish_batch(clips, affine, channels_last=True)
    assert plain is not None and pixels is not None
    assert pixels.shape == plain.shape == (3, 3, 4, 40, 40)
    assert pixels.is_contiguous(memory_format=torch.channels_last_3d)
    assert torch.equal(pixels, plain)
    assert all(row.data_ptr() == pixels[i].data_ptr() for i, row in enumerate(rows))
