"""``sample_steps`` draws the parameters the original transforms draw, seed for seed.

For each op, the original torchvision / PyTorchVideo transform runs after
``torch.manual_seed(s)`` and ``sample_steps`` runs with ``torch.Generator().manual_seed(s)``; the
two must pick the same size, window and flip, and leave their RNGs in the same state (so the
next transform in a chain draws the same numbers too). Crop windows are compared by cropping a
coordinate image both ways, so padding (negative anchors, windows past the edge) is covered.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision.transforms as T
from hypothesis import given, settings
from hypothesis import strategies as st
from pytorchvideo import transforms as ptv
from pytorchvideo.transforms.functional import _get_param_spatial_crop

from fastvid.reader.transforms.augment import (
    CropOp,
    FlipOp,
    ResizedCropOp,
    ShortSideScaleOp,
    SpatialOp,
    output_size,
    sample_steps,
)
from fastvid.reader.transforms.lowering import lower_video_transform

SEEDS = range(300)


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _next_global() -> float:
    return float(torch.rand(1))


def _next(generator: torch.Generator) -> float:
    return float(torch.rand(1, generator=generator))


def _coordinates(height: int, width: int) -> torch.Tensor:
    """A ``(2, 1, H, W)`` clip holding each pixel's ``(row + 1, column + 1)``; 0 is padding."""
    rows, columns = torch.meshgrid(
        torch.arange(1, height + 1.0), torch.arange(1, width + 1.0), indexing="ij"
    )
    return torch.stack([rows, columns])[:, None]


def _crop_padded(image: torch.Tensor, window: tuple[int, ...], fill: float) -> torch.Tensor:
    """Reference for the graph's slice: window ``(y, x, h, w)``, outside the image is ``fill``."""
    y, x, h, w = window
    height, width = image.shape[-2:]
    out = torch.full((*image.shape[:-2], h, w), float(fill))
    top, left = max(y, 0), max(x, 0)
    bottom, right = min(y + h, height), min(x + w, width)
    if bottom > top and right > left:
        out[..., top - y : bottom - y, left - x : right - x] = image[..., top:bottom, left:right]
    return out


def _lowered_ops(transform: object) -> tuple[SpatialOp, ...]:
    lowered = lower_video_transform(transform)
    assert lowered.fully_lowered, lowered.residual_names
    return lowered.pipeline.spatial_ops


# --------------------------------------------------------------------------- short side scale


@pytest.mark.parametrize(("height", "width"), [(72, 96), (160, 90), (50, 50)])
def test_random_short_side_scale_size_matches(height: int, width: int) -> None:
    transform = ptv.RandomShortSideScale(20, 40)
    ops = _lowered_ops(transform)
    image = torch.zeros(1, 1, height, width)
    sizes = set()
    for seed in SEEDS[:100]:
        torch.manual_seed(seed)
        expected = tuple(transform(image).shape[-2:])
        after = _next_global()
        generator = _generator(seed)
        steps = sample_steps(ops, height, width, generator)
        assert steps.params == (expected,)
        assert steps.output_hw == expected
        assert _next(generator) == after
        sizes.add(min(expected))
    assert len(sizes) > 10  # the size really varies


def test_fixed_short_side_scale_draws_nothing() -> None:
    ops = _lowered_ops(ptv.ShortSideScale(36))
    generator = _generator(5)
    steps = sample_steps(ops, 72, 96, generator)
    assert steps.params == ((36, 48),)
    assert _next(generator) == _next(_generator(5))


# --------------------------------------------------------------------------- crops


@settings(max_examples=60, deadline=None)
@given(
    height=st.integers(8, 40),
    width=st.integers(8, 40),
    crop_h=st.integers(4, 48),
    crop_w=st.integers(4, 48),
    padding=st.one_of(
        st.none(),
        st.integers(0, 6),
        st.tuples(st.integers(0, 6), st.integers(0, 6)),
        st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 6), st.integers(0, 6)),
    ),
    pad_if_needed=st.booleans(),
    fill=st.sampled_from([0, 3, 255]),
    seed=st.integers(0, 2**31 - 1),
)
def test_random_crop_window_matches_torchvision(
    height: int,
    width: int,
    crop_h: int,
    crop_w: int,
    padding: int | tuple[int, ...] | None,
    pad_if_needed: bool,
    fill: int,
    seed: int,
) -> None:
    transform = T.RandomCrop(
        (crop_h, crop_w), padding=padding, pad_if_needed=pad_if_needed, fill=fill
    )
    ops = _lowered_ops(transform)
    image = _coordinates(height, width)
    torch.manual_seed(seed)
    try:
        expected = transform(image)
    except ValueError:
        with pytest.raises(ValueError, match="larger than input image size"):
            sample_steps(ops, height, width, _generator(seed))
        return
    after = _next_global()
    generator = _generator(seed)
    steps = sample_steps(ops, height, width, generator)
    assert torch.equal(_crop_padded(image, steps.params[0], fill), expected)
    assert steps.output_hw == (crop_h, crop_w)
    assert _next(generator) == after


@pytest.mark.parametrize(
    ("height", "width", "size"),
    [(72, 96, (48, 48)), (72, 96, (81, 99)), (160, 90, (200, 200)), (72, 96, (33, 47)),
     (73, 97, (40, 40)), (72, 96, (72, 96))],
)  # fmt: skip
def test_center_crop_window_matches_torchvision(
    height: int, width: int, size: tuple[int, int]
) -> None:
    transform = T.CenterCrop(size)
    ops = _lowered_ops(transform)
    image = _coordinates(height, width)
    generator = _generator(0)
    steps = sample_steps(ops, height, width, generator)
    assert torch.equal(_crop_padded(image, steps.params[0], 0), transform(image))
    assert _next(generator) == _next(_generator(0))  # deterministic: draws nothing


def test_random_crop_without_room_draws_nothing() -> None:
    """torchvision returns (0, 0) without drawing when the crop is the whole (padded) image."""
    generator = _generator(3)
    steps = sample_steps([CropOp(30, 40, True, padding=(5, 0, 5, 0))], 30, 30, generator)
    assert steps.params == ((0, -5, 30, 40),)
    assert _next(generator) == _next(_generator(3))


# --------------------------------------------------------------------------- flip


@pytest.mark.parametrize("p", [0.5, 0.3, 0.0, 1.0])
def test_flip_decision_matches(p: float) -> None:
    transform = T.RandomHorizontalFlip(p)
    ops = _lowered_ops(transform)
    image = _coordinates(4, 6)
    decisions = []
    for seed in SEEDS:
        torch.manual_seed(seed)
        flipped = not torch.equal(transform(image), image)
        after = _next_global()
        generator = _generator(seed)
        assert sample_steps(ops, 4, 6, generator).params == ((int(flipped),),)
        assert _next(generator) == after
        decisions.append(flipped)
    assert abs(np.mean(decisions) - p) < 0.1


# --------------------------------------------------------------------------- resized crops


RESIZED_CROP_RANGES = [
    ((0.08, 1.0), (3 / 4, 4 / 3)),
    ((0.3, 0.9), (0.5, 2.0)),
    ((0.9, 1.0), (2.5, 3.0)),  # often impossible on 73x97: falls back to the central crop
]


@pytest.mark.parametrize(("scale", "ratio"), RESIZED_CROP_RANGES)
def test_torchvision_resized_crop_params_match(
    scale: tuple[float, float], ratio: tuple[float, float]
) -> None:
    ops = _lowered_ops(T.RandomResizedCrop((20, 30), scale, ratio))
    image = torch.zeros(1, 73, 97)
    for seed in SEEDS:
        torch.manual_seed(seed)
        expected = T.RandomResizedCrop.get_params(image, list(scale), list(ratio))
        after = _next_global()
        generator = _generator(seed)
        steps = sample_steps(ops, 73, 97, generator)
        assert steps.params == (tuple(expected), (20, 30))
        assert _next(generator) == after


def test_torchvision_resized_crop_float32_rounding() -> None:
    """Seed 255823 is one where float64 arithmetic rounds the crop width differently."""
    scale, ratio = (0.08, 1.0), (3 / 4, 4 / 3)
    torch.manual_seed(255823)
    expected = T.RandomResizedCrop.get_params(torch.zeros(1, 73, 97), list(scale), list(ratio))
    ops = _lowered_ops(T.RandomResizedCrop(10, scale, ratio))
    assert sample_steps(ops, 73, 97, _generator(255823)).params[0] == tuple(expected)
    python_floats = ResizedCropOp(10, 10, scale, ratio)  # PyTorchVideo's arithmetic
    assert sample_steps([python_floats], 73, 97, _generator(255823)).params[0] != expected


@pytest.mark.parametrize(("scale", "ratio"), RESIZED_CROP_RANGES)
@pytest.mark.parametrize("log_uniform_ratio", [True, False])
def test_pytorchvideo_resized_crop_params_match(
    scale: tuple[float, float], ratio: tuple[float, float], log_uniform_ratio: bool
) -> None:
    transform = ptv.RandomResizedCrop(20, 30, scale, ratio, log_uniform_ratio=log_uniform_ratio)
    ops = _lowered_ops(transform)
    for seed in SEEDS:
        torch.manual_seed(seed)
        expected = _get_param_spatial_crop(scale, ratio, 73, 97, log_uniform_ratio, 10)
        after = _next_global()
        generator = _generator(seed)
        steps = sample_steps(ops, 73, 97, generator)
        assert steps.params == (tuple(expected), (20, 30))
        assert _next(generator) == after


# --------------------------------------------------------------------------- chains


def test_seed_chain_params_match_a_chain_run() -> None:
    """A whole chain consumes the generator like the chain consumes the global RNG."""
    chain = T.Compose(
        [ptv.RandomShortSideScale(40, 60), T.RandomCrop(36), T.RandomHorizontalFlip(0.5)]
    )
    ops = _lowered_ops(chain)
    image = _coordinates(72, 96)
    for seed in SEEDS[:100]:
        torch.manual_seed(seed)
        expected = chain(image)
        after = _next_global()
        generator = _generator(seed)
        steps = sample_steps(ops, 72, 96, generator)
        size, window, (flip,) = steps.params
        scaled = torch.nn.functional.interpolate(image, size=size, mode="bilinear")
        cropped = _crop_padded(scaled, window, 0)
        assert torch.equal(cropped.flip(-1) if flip else cropped, expected)
        assert _next(generator) == after


# --------------------------------------------------------------------------- output_size


@pytest.mark.parametrize(
    ("ops", "expected"),
    [
        ((), (72, 96)),
        ((FlipOp(),), (72, 96)),
        ((ShortSideScaleOp(40, 40),), None),
        ((ShortSideScaleOp(40, 60), CropOp(32, 36, True)), (32, 36)),
        ((CropOp(32, 36, False), ShortSideScaleOp(40, 40)), None),
        ((ResizedCropOp(20, 30, (0.5, 1.0), (1.0, 1.0)), FlipOp()), (20, 30)),
    ],
)
def test_output_size(ops: tuple[SpatialOp, ...], expected: tuple[int, int] | None) -> None:
    assert output_size(ops, 72, 96) == expected
    if expected is not None:  # and it agrees with what sampling produces
        for seed in range(5):
            assert sample_steps(ops, 72, 96, _generator(seed)).output_hw == expected
