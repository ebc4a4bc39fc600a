"""Frame-index stamps: round trips, robustness to noise, and refusing what is not a stamp."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from fastvid.testing import MAX_INDEX, read_frame_index, stamp_band_height, stamp_frame_index


def _noise_frame(width: int, height: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


@settings(max_examples=150, deadline=None)
@given(
    index=st.integers(0, MAX_INDEX),
    width=st.integers(64, 400),
    height=st.integers(48, 300),
    seed=st.integers(0, 2**16),
)
def test_round_trip_any_size(index: int, width: int, height: int, seed: int) -> None:
    frame = _noise_frame(width, height, seed)
    stamp_frame_index(frame, index)
    assert read_frame_index(frame) == index
    chw_float = torch.from_numpy(frame).permute(2, 0, 1).float()
    assert read_frame_index(chw_float, layout="CHW") == index
    assert read_frame_index(frame.astype(np.float64)) == index


@pytest.mark.parametrize("size", [(64, 48), (112, 112), (160, 120), (1280, 720), (1920, 1080)])
def test_round_trip_every_bit(size: tuple[int, int]) -> None:
    frame = _noise_frame(*size)
    for index in [0, 1, 2, 5, 1234, MAX_INDEX, *(1 << b for b in range(12))]:
        stamp_frame_index(frame, index)
        assert read_frame_index(frame) == index
        assert read_frame_index(torch.from_numpy(frame)) == index


def test_stamp_only_touches_the_top_band() -> None:
    frame = _noise_frame(320, 240)
    original = frame.copy()
    stamp_frame_index(frame, 77)
    band = stamp_band_height(320, 240)
    np.testing.assert_array_equal(frame[band:], original[band:])
    assert not np.array_equal(frame[:band], original[:band])
    assert set(np.unique(frame[:band])) <= {0, 255}


@pytest.mark.parametrize(
    "size", [(128, 64), (160, 120), (320, 240), (640, 360), (1280, 720), (1920, 1080), (1920, 800)]
)
def test_band_is_small_and_cells_are_at_least_8_px(size: tuple[int, int]) -> None:
    width, height = size
    band = stamp_band_height(width, height)
    assert 8 <= band <= height / 8
    frame = np.full((height, width, 3), 128, dtype=np.uint8)
    stamp_frame_index(frame, 0b101010101010)
    # Runs of equal colour along the first stamp row are at least 8 px wide.
    row = frame[0, :, 0].astype(int)
    edges = np.flatnonzero(np.diff(row)) + 1
    runs = np.diff(np.concatenate([[0], edges, [width]]))
    assert runs.min() >= 8


def test_small_frames_wrap_the_stamp_onto_two_rows() -> None:
    assert stamp_band_height(64, 48) == 16
    assert stamp_band_height(112, 112) == 16
    assert stamp_band_height(160, 120) == 10


def test_survives_noise_blur_and_level_shift() -> None:
    rng = np.random.default_rng(1)
    for index in (0, 1000, MAX_INDEX):
        frame = _noise_frame(160, 120)
        stamp_frame_index(frame, index)
        damaged = frame.astype(np.float64)
        damaged = (damaged + np.roll(damaged, 1, axis=1) + np.roll(damaged, 1, axis=0)) / 3
        damaged = 16 + damaged * (219 / 255) + rng.normal(0, 20, damaged.shape)
        assert read_frame_index(np.clip(damaged, 0, 255)) == index


def test_grayscale_frames() -> None:
    frame = _noise_frame(160, 120)
    stamp_frame_index(frame, 42)
    assert read_frame_index(frame[..., :1]) == 42
    assert read_frame_index(torch.from_numpy(frame[..., 0].copy())[None], layout="CHW") == 42


@pytest.mark.parametrize("index", [0, 1, 2047, 2048, MAX_INDEX])
def test_flipped_frame_is_refused(index: int) -> None:
    frame = _noise_frame(160, 120)
    stamp_frame_index(frame, index)
    with pytest.raises(ValueError, match="calibration cells not found"):
        read_frame_index(frame[:, ::-1])


@pytest.mark.parametrize(
    "frame",
    [
        np.full((120, 160, 3), 128, np.uint8),
        np.zeros((120, 160, 3), np.uint8),
        np.full((120, 160, 3), 255, np.uint8),
        _noise_frame(160, 120, seed=3),
    ],
    ids=["gray", "black", "white", "noise"],
)
def test_unstamped_frame_is_refused(frame: np.ndarray) -> None:
    with pytest.raises(ValueError, match="not stamped"):
        read_frame_index(frame)


def test_damaged_cell_is_refused() -> None:
    frame = _noise_frame(160, 120)
    stamp_frame_index(frame, 5)
    frame[:10, 60:70] = 128  # one payload cell half-way between black and white
    with pytest.raises(ValueError, match="neither black nor white"):
        read_frame_index(frame)


def test_wrong_layout_is_refused() -> None:
    frame = _noise_frame(160, 120)
    stamp_frame_index(frame, 5)
    with pytest.raises(ValueError, match="does not look like CHW"):
        read_frame_index(frame, layout="CHW")
    with pytest.raises(ValueError, match="layout"):
        read_frame_index(frame, layout="NHWC")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("frame", "index", "error", "match"),
    [
        (np.zeros((120, 160, 3), np.uint8), -1, ValueError, r"index \(-1\) must be in \[0, 4095\]"),
        (np.zeros((120, 160, 3), np.uint8), MAX_INDEX + 1, ValueError, r"must be in \[0, 4095\]"),
        (np.zeros((120, 160, 3), np.uint8), 1.0, TypeError, "index must be an int"),
        (np.zeros((120, 160, 3), np.uint8), True, TypeError, "index must be an int"),
        (np.zeros((120, 160, 3), np.float32), 0, TypeError, "uint8 numpy array"),
        (np.zeros((3, 120, 160), np.uint8), 0, ValueError, r"shape \(H, W, 3\)"),
        (np.zeros((120, 24, 3), np.uint8), 0, ValueError, r"frame width \(24\) is too small"),
        (np.zeros((12, 160, 3), np.uint8), 0, ValueError, r"frame height \(12\) is too small"),
    ],
)
def test_bad_stamp_arguments(
    frame: np.ndarray, index: object, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        stamp_frame_index(frame, index)  # type: ignore[arg-type]


def test_bad_read_arguments() -> None:
    with pytest.raises(ValueError, match="3 dimensions"):
        read_frame_index(np.zeros((120, 160), np.uint8))
    with pytest.raises(TypeError, match="numpy array or torch tensor"):
        read_frame_index([[[0] * 3] * 160] * 120)  # type: ignore[arg-type]
