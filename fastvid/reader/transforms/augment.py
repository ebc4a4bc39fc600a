"""Lowered augmentations: what the DALI graph runs, and each sample's random parameters.

A transform chain the user wrote for PyTorchVideo/torchvision (see
:mod:`fastvid.reader.transforms.lowering`) becomes a tuple of :data:`SpatialOp` values plus one
per-channel affine (``x * scale + offset``) that folds every ``Normalize`` and divide-by-255. The
graph is static; what varies per sample (the short side drawn by ``RandomShortSideScale``, the crop
window, the flip) is drawn here, in Python, with a ``torch.Generator`` that consumes random numbers
in the same order and with the same calls as the original transforms. Seeding the generator like the
global RNG therefore reproduces the original transform's parameters exactly; the tests rely on that.

Each op resolves, for one sample, into *primitive steps* the graph executes in order:
``("resize", (h, w))``, ``("slice", (y, x, h, w))`` and ``("flip", flag)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

import torch

__all__ = [
    "ChannelAffine",
    "CropOp",
    "FlipOp",
    "LoweredPipeline",
    "ResizedCropOp",
    "SampleSteps",
    "ShortSideScaleOp",
    "SpatialOp",
    "output_size",
    "sample_steps",
]

PrimitiveKind = Literal["resize", "slice", "flip"]


@dataclass(frozen=True)
class ShortSideScaleOp:
    """Scale so the short side is a size drawn from ``[min_size, max_size]`` (bilinear).

    ``pytorchvideo.transforms.ShortSideScale`` (``min_size == max_size``) and
    ``RandomShortSideScale``: ``torch.nn.functional.interpolate(align_corners=False)``, no
    antialiasing, long side ``floor(long / short * size)``.
    """

    min_size: int
    max_size: int

    @property
    def primitives(self) -> tuple[PrimitiveKind, ...]:
        return ("resize",)


@dataclass(frozen=True)
class CropOp:
    """torchvision ``RandomCrop`` (``random=True``) or ``CenterCrop``, constant padding.

    Attributes:
        height: Output height.
        width: Output width.
        random: Random window (``RandomCrop``) or centred (``CenterCrop``).
        padding: ``RandomCrop(padding=...)`` as (left, top, right, bottom).
        pad_if_needed: ``RandomCrop(pad_if_needed=True)``.
        fill: Per-channel padding value in the *raw* (decoded) value domain, so that after the
            pointwise ops folded into the final affine it equals the user's ``fill``.
    """

    height: int
    width: int
    random: bool
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)
    pad_if_needed: bool = False
    fill: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def primitives(self) -> tuple[PrimitiveKind, ...]:
        return ("slice",)


@dataclass(frozen=True)
class ResizedCropOp:
    """Inception-style random resized crop (torchvision or PyTorchVideo flavour).

    Attributes:
        height: Output height.
        width: Output width.
        scale: Area fraction range.
        ratio: Aspect ratio range.
        log_uniform_ratio: Sample the ratio log-uniformly (torchvision always does).
        num_tries: Attempts before the central-crop fallback.
        antialias: torchvision resizes with antialiasing; PyTorchVideo does not.
        float32_draws: Draw the area fraction and the log-ratio as torchvision does, in float32
            tensors (``uniform_``); PyTorchVideo computes them in Python floats. The two round
            differently about once in 10^5 samples, so each flavour reproduces its own.
    """

    height: int
    width: int
    scale: tuple[float, float]
    ratio: tuple[float, float]
    log_uniform_ratio: bool = True
    num_tries: int = 10
    antialias: bool = False
    float32_draws: bool = False

    @property
    def primitives(self) -> tuple[PrimitiveKind, ...]:
        return ("slice", "resize")


@dataclass(frozen=True)
class FlipOp:
    """Horizontal flip with probability ``p`` (``RandomHorizontalFlip``)."""

    p: float = 0.5

    @property
    def primitives(self) -> tuple[PrimitiveKind, ...]:
        return ("flip",)


SpatialOp: TypeAlias = ShortSideScaleOp | CropOp | ResizedCropOp | FlipOp


@dataclass(frozen=True)
class ChannelAffine:
    """Per-channel ``x * scale + offset`` applied after the spatial ops (Normalize, /255)."""

    scale: tuple[float, float, float] = (1.0, 1.0, 1.0)
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def is_identity(self) -> bool:
        return self.scale == (1.0, 1.0, 1.0) and self.offset == (0.0, 0.0, 0.0)

    def then(self, scale: Sequence[float], offset: Sequence[float]) -> ChannelAffine:
        """This affine followed by ``y * scale + offset`` (per channel)."""
        return ChannelAffine(
            scale=_triple(s * a for s, a in zip(self.scale, scale, strict=True)),
            offset=_triple(o * a + b for o, a, b in zip(self.offset, scale, offset, strict=True)),
        )

    def inverse_of_zero(self) -> tuple[float, float, float]:
        """The raw value that this affine maps to 0 (padding inserted after it is 0)."""
        return _triple(-o / s for o, s in zip(self.offset, self.scale, strict=True))


def _triple(values: object) -> tuple[float, float, float]:
    a, b, c = (float(v) for v in values)  # type: ignore[attr-defined]
    return (a, b, c)


@dataclass(frozen=True)
class LoweredPipeline:
    """Everything the DALI graph needs to know about the user's per-sample transform.

    Attributes:
        temporal_subsample: ``UniformTemporalSubsample`` sizes, applied in order before decoding.
        spatial_ops: Spatial ops run in the graph, in the user's order.
        affine: The folded per-channel affine run last (on float output).
    """

    temporal_subsample: tuple[int, ...] = ()
    spatial_ops: tuple[SpatialOp, ...] = ()
    affine: ChannelAffine = field(default_factory=ChannelAffine)

    @property
    def primitives(self) -> tuple[PrimitiveKind, ...]:
        """The graph's primitive steps in order (static for a pipeline)."""
        return tuple(kind for op in self.spatial_ops for kind in op.primitives)


@dataclass(frozen=True)
class SampleSteps:
    """One sample's resolved primitive parameters, aligned with ``LoweredPipeline.primitives``."""

    params: tuple[tuple[int, ...], ...]
    output_hw: tuple[int, int]


def _randint(low: int, high: int, generator: torch.Generator) -> int:
    return int(torch.randint(low, high, (1,), generator=generator).item())


def _short_side_size(height: int, width: int, size: int) -> tuple[int, int]:
    if width < height:
        return math.floor((float(height) / width) * size), size
    return size, math.floor((float(width) / height) * size)


def _crop_window(
    op: CropOp, height: int, width: int, generator: torch.Generator
) -> tuple[int, int, int, int]:
    """Top-left (y, x) of the window in *unpadded* coordinates, plus its size."""
    left, top, right, bottom = op.padding
    padded_h, padded_w = height + top + bottom, width + left + right
    if op.random:
        if op.pad_if_needed and padded_w < op.width:
            extra = op.width - padded_w
            left, padded_w = left + extra, padded_w + 2 * extra
        if op.pad_if_needed and padded_h < op.height:
            extra = op.height - padded_h
            top, padded_h = top + extra, padded_h + 2 * extra
        if padded_h < op.height or padded_w < op.width:
            raise ValueError(
                f"Required crop size {(op.height, op.width)} is larger than input image size "
                f"{(padded_h, padded_w)}; use RandomCrop(..., pad_if_needed=True)"
            )
        if padded_h == op.height and padded_w == op.width:
            y, x = 0, 0
        else:
            y = _randint(0, padded_h - op.height + 1, generator)
            x = _randint(0, padded_w - op.width + 1, generator)
        return y - top, x - left, op.height, op.width
    # torchvision center_crop: pad symmetrically when the crop is larger, then round().
    if op.width > width or op.height > height:
        pad_left = (op.width - width) // 2 if op.width > width else 0
        pad_top = (op.height - height) // 2 if op.height > height else 0
        pad_right = (op.width - width + 1) // 2 if op.width > width else 0
        pad_bottom = (op.height - height + 1) // 2 if op.height > height else 0
        height2, width2 = height + pad_top + pad_bottom, width + pad_left + pad_right
        y = round((height2 - op.height) / 2.0) - pad_top
        x = round((width2 - op.width) / 2.0) - pad_left
        return y, x, op.height, op.width
    y = round((height - op.height) / 2.0)
    x = round((width - op.width) / 2.0)
    return y, x, op.height, op.width


def _resized_crop_window(
    op: ResizedCropOp, height: int, width: int, generator: torch.Generator
) -> tuple[int, int, int, int]:
    """torchvision ``RandomResizedCrop.get_params`` / PyTorchVideo ``_get_param_spatial_crop``."""
    scale = (min(op.scale), max(op.scale))
    ratio = (min(op.ratio), max(op.ratio))
    area = height * width
    for _ in range(op.num_tries):
        target_area, aspect = _draw_area_and_aspect(op, area, scale, ratio, generator)
        w = round(math.sqrt(target_area * aspect))
        h = round(math.sqrt(target_area / aspect))
        if 0 < w <= width and 0 < h <= height:
            return (
                _randint(0, height - h + 1, generator),
                _randint(0, width - w + 1, generator),
                h,
                w,
            )
    in_ratio = float(width) / float(height)
    if in_ratio < ratio[0]:
        w, h = width, round(width / ratio[0])
    elif in_ratio > ratio[1]:
        h, w = height, round(height * ratio[1])
    else:
        h, w = height, width
    return (height - h) // 2, (width - w) // 2, h, w


def _draw_area_and_aspect(
    op: ResizedCropOp,
    area: int,
    scale: tuple[float, float],
    ratio: tuple[float, float],
    generator: torch.Generator,
) -> tuple[float, float]:
    """One attempt's target area and aspect ratio, with the original's arithmetic."""
    if op.float32_draws:  # torchvision: float32 tensors, always log-uniform
        log_ratio = torch.log(torch.tensor(ratio))
        fraction = torch.empty(1).uniform_(scale[0], scale[1], generator=generator).item()
        log_aspect = torch.empty(1).uniform_(
            float(log_ratio[0]), float(log_ratio[1]), generator=generator
        )
        return area * fraction, float(torch.exp(log_aspect).item())
    target_area = area * (scale[0] + _rand(generator) * (scale[1] - scale[0]))
    if op.log_uniform_ratio:
        log_lo, log_hi = math.log(ratio[0]), math.log(ratio[1])
        return target_area, math.exp(log_lo + _rand(generator) * (log_hi - log_lo))
    return target_area, ratio[0] + _rand(generator) * (ratio[1] - ratio[0])


def _rand(generator: torch.Generator) -> float:
    return float(torch.rand(1, generator=generator).item())


def sample_steps(
    ops: Sequence[SpatialOp], height: int, width: int, generator: torch.Generator
) -> SampleSteps:
    """Draw one sample's parameters for ``ops`` on a ``height`` x ``width`` clip.

    Args:
        ops: The lowered spatial ops, in order.
        height: Decoded frame height.
        width: Decoded frame width.
        generator: Source of randomness, consumed like the original transforms consume
            the global RNG.

    Returns:
        The primitive parameters in graph order and the output size.
    """
    params: list[tuple[int, ...]] = []
    h, w = height, width
    for op in ops:
        if isinstance(op, ShortSideScaleOp):
            size = op.min_size
            if op.max_size != op.min_size:
                size = _randint(op.min_size, op.max_size + 1, generator)
            h, w = _short_side_size(h, w, size)
            params.append((h, w))
        elif isinstance(op, CropOp):
            window = _crop_window(op, h, w, generator)
            params.append(window)
            h, w = window[2], window[3]
        elif isinstance(op, ResizedCropOp):
            params.append(_resized_crop_window(op, h, w, generator))
            h, w = op.height, op.width
            params.append((h, w))
        else:
            # torchvision compares a float32 tensor with p (p rounded to float32 too).
            flip = bool(torch.rand(1, generator=generator) < op.p)
            params.append((int(flip),))
    return SampleSteps(params=tuple(params), output_hw=(h, w))


def output_size(ops: Sequence[SpatialOp], height: int, width: int) -> tuple[int, int] | None:
    """The output size if it does not depend on the input size or randomness, else ``None``."""
    result: tuple[int, int] | None = (height, width)
    for op in ops:
        if isinstance(op, (CropOp, ResizedCropOp)):
            result = (op.height, op.width)
        elif isinstance(op, ShortSideScaleOp):
            result = None
    return result
