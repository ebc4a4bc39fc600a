"""The DALI graph against the transforms it replaces, on the same frames and the same parameters.

Each test lowers a real PyTorchVideo / torchvision transform chain
(:func:`~fastvid.reader.transforms.lowering.lower_video_transform`), draws every sample's parameters
with :func:`~fastvid.reader.transforms.augment.sample_steps` from
``torch.Generator().manual_seed(s)``, runs the CPU graph, and compares with the original transform
run on PyTorchVideo's float32 ``(C, T, H, W)`` clip after ``torch.manual_seed(s)``. The same seed
must give the same crop, size and flip, so any difference left is interpolation arithmetic.

Tolerances, measured on these fixtures (DALI 2.4 CPU, torch 2.14; values on the 0..255 scale):

* Bilinear resize without antialiasing (``ShortSideScale``, ``RandomShortSideScale``,
  PyTorchVideo ``RandomResizedCrop``, torchvision ``RandomResizedCrop(antialias=False)``), up
  and down: max abs difference 0.0053 (0.0058 over more seeds), mean 3e-4. Bound:
  ``RESIZE_ATOL = 0.01``.
* torchvision ``RandomResizedCrop`` with its default ``antialias=True``, downscaling: inside
  the outermost output row and column the two agree to float rounding (max 7e-4); on that
  one-pixel frame they differ by up to ~21 on noise/texture (DALI extends the image past its
  edge inside the filter support, torch drops the outside taps and renormalises), 0.45 mean
  abs over the whole output at worst (0.5 over more seeds). Bounds: ``RESIZE_ATOL`` inside,
  ``ANTIALIAS_MEAN_ATOL = 1.0`` mean abs over the whole output.
* Crops, padding and flips move pixels without arithmetic: exactly equal.
* The folded per-channel affine (``Normalize``, ``Div255``, ``x / 255``, probed lambdas):
  float32 rounding, about one ulp (max abs 4.8e-7 on outputs of magnitude <= 3; 1.2e-4 on
  ``Normalize`` applied to 0..255 values ~1100, relative 1.2e-7). Bound: ``|a - b| <=
  AFFINE_ATOL + AFFINE_RTOL * |b|`` with ``AFFINE_ATOL = 2e-6``, ``AFFINE_RTOL = 1e-6``.
* The seed chain (subsample, random short side, crop, flip, ``Div255``, ``Normalize``): max abs
  5e-5 in normalised units (the resize error divided by 255 * 0.225).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np
import pytest
import torch
import torchvision.transforms as T
from pytorchvideo import transforms as ptv

from fastvid.reader.dali import ClipPipeline, GraphSpec, input_names, param_arrays
from fastvid.reader.planning.frames import temporal_subsample
from fastvid.reader.transforms.augment import (
    ChannelAffine,
    CropOp,
    FlipOp,
    LoweredPipeline,
    ResizedCropOp,
    ShortSideScaleOp,
    sample_steps,
)
from fastvid.reader.transforms.lowering import lower_video_transform

RESIZE_ATOL = 1e-2
ANTIALIAS_MEAN_ATOL = 1.0
AFFINE_ATOL = 2e-6
AFFINE_RTOL = 1e-6

SIZES = ((72, 96), (120, 160), (160, 90))  # (height, width): landscape, larger, portrait
NUM_FRAMES = 4

Transform = Callable[[torch.Tensor], torch.Tensor]


# --------------------------------------------------------------------------- frames


def _noise(height: int, width: int, frames: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (frames, height, width, 3), dtype=np.uint8)


def _smooth(height: int, width: int, frames: int) -> np.ndarray:
    """Colour ramps, shifted a few pixels per frame (the wrap-around is one hard edge)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    image = np.stack(
        [x * 255 / (width - 1), y * 255 / (height - 1), (x + y) * 255 / (width + height - 2)], -1
    )
    return np.stack([np.roll(image, 3 * t, axis=1) for t in range(frames)]).round().astype(np.uint8)


def _textured(height: int, width: int, frames: int) -> np.ndarray:
    """A 3-pixel checkerboard, a sine grating and its inverse: high frequencies everywhere."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    checker = ((x // 3 + y // 3) % 2) * 255
    grating = 127.5 + 127.5 * np.sin(0.9 * x + 0.4 * y)
    image = np.stack([checker, grating, 255 - checker], -1)
    return np.stack([np.roll(image, t, axis=0) for t in range(frames)]).round().astype(np.uint8)


def _clips(frames: int = NUM_FRAMES) -> list[np.ndarray]:
    """Noise, smooth and textured ``(F, H, W, 3)`` uint8 clips in each of ``SIZES``."""
    clips = []
    for index, (height, width) in enumerate(SIZES):
        clips += [
            _noise(height, width, frames, seed=index),
            _smooth(height, width, frames),
            _textured(height, width, frames),
        ]
    return clips


CLIPS = _clips()


def _as_pytorchvideo(clip: np.ndarray) -> torch.Tensor:
    """What PyTorchVideo's decoder hands the transforms: float32 ``(C, T, H, W)``, 0..255."""
    return torch.from_numpy(clip).permute(3, 0, 1, 2).float()


# --------------------------------------------------------------------------- running both sides


@functools.cache
def _pipeline(spec: GraphSpec, batch_size: int) -> ClipPipeline:
    return ClipPipeline(spec, batch_size=batch_size, num_threads=1)


def _run_dali(
    pipeline: LoweredPipeline, clips: Sequence[np.ndarray], seeds: Sequence[int]
) -> list[torch.Tensor]:
    """The CPU graph on ``clips``, each sample's parameters drawn from its seed.

    Fed like ``ClipLoader`` feeds a batch: each distinct frame once, ``order`` repeating them as
    the temporal subsample asks, then the parameter arrays (``dali.param_arrays``).
    """
    spec = GraphSpec("frames", pipeline.spatial_ops, pipeline.affine, "cpu")
    pipe = _pipeline(spec, len(clips))
    samples = []
    for clip, seed in zip(clips, seeds, strict=True):
        positions = np.arange(clip.shape[0])
        for size in pipeline.temporal_subsample:
            positions = temporal_subsample(positions, size)
        needed, order = np.unique(positions, return_inverse=True)
        height, width = clip.shape[1:3]
        steps = sample_steps(spec.spatial_ops, height, width, _generator(seed))
        samples.append(
            [
                np.ascontiguousarray(clip[needed]),
                order.astype(np.int32),
                *param_arrays(spec, steps.params),
            ]
        )
    inputs = {name: [s[i] for s in samples] for i, name in enumerate(input_names(spec))}
    out = pipe.run(inputs)
    return list(out.unbind(0)) if isinstance(out, torch.Tensor) else out


def _run_original(
    transform: Transform, clips: Sequence[np.ndarray], seeds: Sequence[int]
) -> list[torch.Tensor]:
    outputs = []
    for clip, seed in zip(clips, seeds, strict=True):
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            outputs.append(transform(_as_pytorchvideo(clip)))
    return outputs


def _compare(
    transform: Transform, *, rounds: int = 2, clips: Sequence[np.ndarray] = CLIPS
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``(dali, original)`` output pairs; lowering must take all of ``transform``."""
    lowered = lower_video_transform(transform)
    assert lowered.fully_lowered, lowered.residual_names
    pairs = []
    all_seeds = _seeds(rounds, len(clips))
    for round_ in range(rounds):
        seeds = all_seeds[round_ * len(clips) : (round_ + 1) * len(clips)]
        got = _run_dali(lowered.pipeline, clips, seeds)
        expected = _run_original(transform, clips, seeds)
        for dali, original in zip(got, expected, strict=True):
            assert dali.dtype == original.dtype == torch.float32
            assert dali.shape == original.shape
            pairs.append((dali, original))
    return pairs


def _seeds(rounds: int, per_round: int) -> list[int]:
    return [1000 * round_ + i for round_ in range(rounds) for i in range(per_round)]


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _max_abs(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max())


def _affine_close(dali: torch.Tensor, original: torch.Tensor) -> bool:
    return torch.allclose(dali, original, rtol=AFFINE_RTOL, atol=AFFINE_ATOL)


# --------------------------------------------------------------------------- resize


@pytest.mark.parametrize(
    "transform",
    [
        ptv.ShortSideScale(40),
        ptv.ShortSideScale(150),
        ptv.RandomShortSideScale(30, 200),
    ],
    ids=["down", "up", "random"],
)
def test_short_side_scale_matches_pytorchvideo(transform: Transform) -> None:
    for dali, original in _compare(transform):
        assert _max_abs(dali, original) <= RESIZE_ATOL
        assert float(dali.min()) >= -RESIZE_ATOL and float(dali.max()) <= 255 + RESIZE_ATOL


@pytest.mark.parametrize(
    "transform",
    [
        ptv.RandomResizedCrop(40, 48, (0.2, 1.0), (0.75, 1.33)),
        ptv.RandomResizedCrop(140, 148, (0.08, 1.0), (0.5, 2.0), log_uniform_ratio=False),
        ptv.RandomResizedCrop(32, 32, (0.9, 1.0), (2.5, 3.0)),  # central-crop fallback
        T.RandomResizedCrop((40, 48), (0.2, 1.0), (0.75, 1.33), antialias=False),
        T.RandomResizedCrop(140, antialias=False),
    ],
    ids=["ptv-down", "ptv-up-linear-ratio", "ptv-fallback", "tv-no-aa-down", "tv-no-aa-up"],
)
def test_resized_crop_without_antialias_matches(transform: Transform) -> None:
    for dali, original in _compare(transform):
        assert _max_abs(dali, original) <= RESIZE_ATOL


def test_torchvision_resized_crop_with_antialias_differs_only_on_the_border() -> None:
    """DALI's and torch's antialiased bilinear filters treat the image edge differently."""
    transform = T.RandomResizedCrop((40, 48), (0.2, 1.0), (0.75, 1.33))
    assert transform.antialias is True
    worst_border = 0.0
    for dali, original in _compare(transform, rounds=3):
        assert _max_abs(dali[..., 1:-1, 1:-1], original[..., 1:-1, 1:-1]) <= RESIZE_ATOL
        assert float((dali - original).abs().mean()) <= ANTIALIAS_MEAN_ATOL
        worst_border = max(worst_border, _max_abs(dali, original))
    assert worst_border > RESIZE_ATOL  # the difference is real: antialias is not ignored


# --------------------------------------------------------------------------- crop, pad, flip


@pytest.mark.parametrize(
    "transform",
    [
        T.RandomCrop(48),
        T.RandomCrop((40, 64)),
        T.RandomCrop((100, 120), pad_if_needed=True),  # larger than two of the three sizes
        T.RandomCrop(64, padding=4, fill=7),
        T.RandomCrop((50, 70), padding=(2, 5), fill=3),
        T.RandomCrop((60, 60), padding=[1, 2, 3, 4], pad_if_needed=True, fill=255),
        T.CenterCrop(48),
        T.CenterCrop((81, 99)),  # larger than 72x96 on both sides, odd padding
        T.CenterCrop(200),  # larger than every frame
        T.CenterCrop((33, 47)),  # odd margins: round() halves to even
    ],
    ids=[
        "random",
        "random-rect",
        "pad-if-needed",
        "padding-fill",
        "padding-2",
        "padding-4-and-if-needed",
        "center",
        "center-larger",
        "center-much-larger",
        "center-odd",
    ],
)
def test_crops_are_exact(transform: Transform) -> None:
    for dali, original in _compare(transform):
        assert torch.equal(dali, original)


def test_random_crop_too_large_fails_like_torchvision() -> None:
    transform = T.RandomCrop(100)
    with pytest.raises(ValueError, match="larger than input image size"):
        _run_original(transform, CLIPS[:1], [0])
    with pytest.raises(ValueError, match="larger than input image size"):
        _run_dali(lower_video_transform(transform).pipeline, CLIPS[:1], [0])


@pytest.mark.parametrize("p", [0.5, 0.0, 1.0])
def test_horizontal_flip_is_exact(p: float) -> None:
    transform = T.RandomHorizontalFlip(p)
    pairs = _compare(transform)
    inputs = [_as_pytorchvideo(clip) for clip in CLIPS * 2]
    flipped = {not torch.equal(dali, x) for (dali, _), x in zip(pairs, inputs, strict=True)}
    assert flipped == ({True, False} if p == 0.5 else {p == 1.0})  # both outcomes seen
    for dali, original in pairs:
        assert torch.equal(dali, original)


# --------------------------------------------------------------------------- affine


def _div255(x: torch.Tensor) -> torch.Tensor:
    return x / 255.0


@pytest.mark.parametrize(
    "transform",
    [
        ptv.Normalize((0.45, 0.45, 0.45), (0.225, 0.225, 0.225)),
        ptv.Normalize((110.0, 115.0, 120.0), (57.0, 58.0, 59.0)),
        T.Normalize((114.75,), (57.375,)),
        ptv.Div255(),
        T.Lambda(lambda x: x / 255.0),
        lambda x: x / 255.0,
        _div255,
        lambda x: (x - 114.75) / 57.375,
        T.Compose([ptv.Div255(), ptv.Normalize((0.43, 0.45, 0.47), (0.22, 0.225, 0.23))]),
    ],
    ids=[
        "ptv-normalize",
        "ptv-normalize-per-channel",
        "tv-normalize-one-value",
        "div255",
        "tv-lambda",
        "lambda",
        "function",
        "lambda-normalize",
        "div255-then-normalize",
    ],
)
def test_affine_matches(transform: Transform) -> None:
    assert not lower_video_transform(transform).pipeline.affine.is_identity
    for dali, original in _compare(transform, rounds=1):
        assert _affine_close(dali, original)


def test_torchvision_normalize_three_values_on_three_frames() -> None:
    """torchvision's ``Normalize`` broadcasts over dim -3; equal values make that harmless."""
    transform = T.Normalize((0.45, 0.45, 0.45), (0.225, 0.225, 0.225))
    for dali, original in _compare(transform, rounds=1, clips=_clips(frames=3)):
        assert _affine_close(dali, original)


# --------------------------------------------------------------------------- crops after an affine


@pytest.mark.parametrize(
    ("transform", "fill"),
    [
        (T.Compose([ptv.Div255(), T.RandomCrop(64, padding=4, fill=1)]), 1.0),
        (T.Compose([ptv.Normalize((0.45,) * 3, (0.225,) * 3), T.RandomCrop(64, padding=4)]), 0.0),
        (
            T.Compose([ptv.Normalize((0.4, 0.5, 0.6), (0.2, 0.25, 0.3)), T.CenterCrop((81, 99))]),
            0.0,
        ),
    ],
    ids=["div255-fill-1", "normalize-fill-0", "normalize-center-larger"],
)
def test_padding_value_is_in_the_transformed_domain(transform: Transform, fill: float) -> None:
    """Padding after ``Normalize`` holds the fill value as the user sees it."""
    pairs = _compare(transform)
    for dali, original in pairs:
        assert _affine_close(dali, original)
    assert any(bool((original == fill).all(dim=0).any()) for _, original in pairs)


# --------------------------------------------------------------------------- the seed chain


def test_seed_chain_matches_pytorchvideo() -> None:
    """Flash's default video chain, scaled down, then Div255 + Normalize."""
    transform = T.Compose(
        [
            ptv.UniformTemporalSubsample(8),
            ptv.RandomShortSideScale(64, 96),
            T.RandomCrop(56),
            T.RandomHorizontalFlip(p=0.5),
            ptv.Div255(),
            ptv.Normalize((0.45, 0.45, 0.45), (0.225, 0.225, 0.225)),
        ]
    )
    lowered = lower_video_transform(transform)
    assert lowered.pipeline.temporal_subsample == (8,)
    assert [type(op) for op in lowered.pipeline.spatial_ops] == [ShortSideScaleOp, CropOp, FlipOp]
    clips = _clips(frames=11)
    pairs = _compare(transform, rounds=2, clips=clips)
    tolerance = RESIZE_ATOL / 255 / 0.225 + AFFINE_ATOL
    for dali, original in pairs:
        assert dali.shape == (3, 8, 56, 56)
        assert _max_abs(dali, original) <= tolerance
    flips = {
        sample_steps(lowered.pipeline.spatial_ops, *clip.shape[1:3], _generator(seed)).params[2]
        for seed, clip in zip(_seeds(2, len(clips)), clips * 2, strict=True)
    }
    assert flips == {(0,), (1,)}  # both outcomes were exercised


def test_graph_output_layout_and_identity() -> None:
    """No ops: the graph returns the decoded frames as float32 (C, T, H, W), unchanged."""
    pipeline = LoweredPipeline()
    got = _run_dali(pipeline, CLIPS, list(range(len(CLIPS))))
    for dali, clip in zip(got, CLIPS, strict=True):
        assert dali.dtype == torch.float32
        assert torch.equal(dali, _as_pytorchvideo(clip))


def test_input_names_follow_the_ops() -> None:
    spec = GraphSpec(
        "encoded",
        (
            ShortSideScaleOp(8, 9),
            CropOp(4, 4, True),
            ResizedCropOp(2, 2, (0.5, 1), (1, 1)),
            FlipOp(),
        ),
        ChannelAffine(),
        "cpu",
    )
    assert input_names(spec) == [
        "video", "frames", "order", "op0_size", "op1_anchor", "op1_shape", "op2_anchor",
        "op2_shape", "op2_size", "op3_flip",
    ]  # fmt: skip


def test_prescaled_frames_skip_the_first_resize_and_its_input() -> None:
    ops = (ShortSideScaleOp(8, 9), CropOp(4, 4, True))
    spec = GraphSpec("frames", ops, ChannelAffine(), "cpu", prescaled=True, rearrange=False)
    assert input_names(spec) == ["video", "op1_anchor", "op1_shape"]
    arrays = param_arrays(spec, ((8, 12), (1, 2, 4, 4)))
    assert [a.tolist() for a in arrays] == [[1, 2], [4, 4]]
    with pytest.raises(ValueError, match="prescaled=True needs"):
        GraphSpec("encoded", ops, ChannelAffine(), "cpu", prescaled=True)


def test_repeated_frames_come_from_one_decoded_frame() -> None:
    """A 3-frame clip subsampled to 8: the graph gets 3 frames and repeats them by ``order``."""
    clip = _noise(72, 96, 3, seed=7)
    transform = T.Compose([ptv.UniformTemporalSubsample(8)])
    (dali,) = _run_dali(lower_video_transform(transform).pipeline, [clip], [0])
    expected = transform(_as_pytorchvideo(clip))
    assert dali.shape == (3, 8, 72, 96)
    assert torch.equal(dali, expected)


@pytest.mark.parametrize(
    ("fill", "needs_float"),
    [((0.0, 0.0, 0.0), False), ((255.0, 7.0, 0.0), False), ((0.45, 0.0, 0.0), True),
     ((-1.0, 0.0, 0.0), True), ((256.0, 0.0, 0.0), True)],
)  # fmt: skip
def test_needs_float_input_when_fill_does_not_fit_uint8(
    fill: tuple[float, float, float], needs_float: bool
) -> None:
    spec = GraphSpec("frames", (CropOp(4, 4, True, fill=fill),), ChannelAffine(), "cpu")
    assert spec.needs_float_input is needs_float
