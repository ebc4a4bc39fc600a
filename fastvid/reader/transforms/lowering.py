"""Lower Flash / PyTorchVideo transform chains into DALI ops.

Users hand fastvid the transforms they wrote for Flash or PyTorchVideo, for example::

    Compose([ApplyTransformToKey("video", Compose([
        UniformTemporalSubsample(8), RandomShortSideScale(256, 320),
        RandomCrop(244), RandomHorizontalFlip(p=0.5)]))])

:func:`lower_sample_transform` walks such a chain and moves the longest prefix it knows into the
DALI graph (:class:`~fastvid.reader.transforms.augment.LoweredPipeline`); everything from the first
transform it does not know onwards runs unchanged, in torch, on each decoded sample (and one warning
names it). Known transforms:

======================================  ====================================================
transform                               lowered to
======================================  ====================================================
``UniformTemporalSubsample(n)``         frame plan (only ``n`` frames are decoded)
``ShortSideScale`` / ``RandomShortSideScale`` (bilinear, pytorch backend)  resize (no antialias)
torchvision ``RandomCrop`` / ``CenterCrop`` (constant padding)  slice with padding
torchvision / PyTorchVideo ``RandomResizedCrop`` (bilinear)  slice + resize
``RandomHorizontalFlip(p)``             flip
``Normalize`` (PyTorchVideo, torchvision), ``Div255``, pointwise lambdas such as
``lambda x: x / 255.0``                 one folded per-channel affine
======================================  ====================================================

A callable is recognised as pointwise affine by probing it on random tensors (it must be
deterministic, keep the shape and satisfy ``f(x) == a * x + b`` per channel).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from fastvid.reader.transforms.augment import (
    ChannelAffine,
    CropOp,
    FlipOp,
    LoweredPipeline,
    ResizedCropOp,
    ShortSideScaleOp,
    SpatialOp,
)

__all__ = ["LoweredTransform", "describe", "lower_sample_transform", "lower_video_transform"]

logger = logging.getLogger(__name__)

SampleTransform = Callable[[dict[str, Any]], dict[str, Any]]
VideoTransform = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class LoweredTransform:
    """A user transform split into the part DALI runs and the part torch runs.

    Attributes:
        pipeline: What the DALI graph runs (temporal subsample, spatial ops, affine).
        residual_video: Video transforms that run in torch on each decoded ``(C, T, H, W)`` clip,
            in order, after the lowered part.
        residual_sample: Sample-dict transforms that run in torch after ``residual_video``.
        residual_names: Names of the transforms that were not lowered (for the warning).
    """

    pipeline: LoweredPipeline = field(default_factory=LoweredPipeline)
    residual_video: tuple[VideoTransform, ...] = ()
    residual_sample: tuple[SampleTransform, ...] = ()
    residual_names: tuple[str, ...] = ()

    @property
    def fully_lowered(self) -> bool:
        return not self.residual_video and not self.residual_sample

    def apply_residual(self, sample: dict[str, Any]) -> dict[str, Any] | None:
        """Run the torch part on one decoded sample dict (``None`` if a transform drops it)."""
        if self.residual_video:
            video = sample["video"]
            for transform in self.residual_video:
                video = transform(video)
            sample["video"] = video
        result: dict[str, Any] | None = sample
        for sample_transform in self.residual_sample:
            if result is None:
                return None
            result = sample_transform(result)
        return result


def describe(transform: object) -> str:
    """A short, readable name for a transform (for warnings)."""
    name = getattr(transform, "__name__", None) or type(transform).__name__
    module = type(transform).__module__.split(".")[0]
    return f"{module}.{name}" if module not in ("builtins", "__main__") else str(name)


def _flatten(transform: object) -> list[object]:
    """Compose / nn.Sequential / lists flattened into their steps, in order.

    Only plain sequential containers are opened: ``RandomApply``, ``RandomChoice`` (they also
    have ``.transforms``) and ``nn.Sequential`` subclasses such as kornia's ``VideoSequential``
    do more than run their steps in order, so they stay one (unknown) step.
    """
    steps: object = None
    if isinstance(transform, (list, tuple)) or type(transform) is torch.nn.Sequential:
        steps = list(transform)
    elif type(transform).__name__.lstrip("_") == "Compose":  # incl. fastvid.data's _Compose
        steps = getattr(transform, "transforms", None)
    if not isinstance(steps, (list, tuple)):
        return [transform]
    return [leaf for step in steps for leaf in _flatten(step)]


def _class_name(obj: object) -> tuple[str, str]:
    cls = type(obj)
    return cls.__module__.split(".")[0], cls.__name__


def _size_pair(size: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(size, int):
        return size, size
    values = list(size)
    if len(values) == 1:
        return int(values[0]), int(values[0])
    return int(values[0]), int(values[1])


def _padding_ltrb(padding: int | Sequence[int] | None) -> tuple[int, int, int, int] | None:
    if padding is None:
        return (0, 0, 0, 0)
    if isinstance(padding, int):
        return (padding, padding, padding, padding)
    values = [int(v) for v in padding]
    if len(values) == 1:
        return (values[0],) * 4
    if len(values) == 2:
        return (values[0], values[1], values[0], values[1])
    if len(values) == 4:
        return (values[0], values[1], values[2], values[3])
    return None


def _is_bilinear(interpolation: object) -> bool:
    value = getattr(interpolation, "value", interpolation)
    return str(value).lower() in ("bilinear", "linear")


def _probe_affine(transform: object) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    """``(scale, offset)`` per channel if ``transform`` is a deterministic pointwise affine."""
    if not callable(transform) or (
        isinstance(transform, torch.nn.Module) and any(True for _ in transform.parameters())
    ):
        return None
    generator = torch.Generator().manual_seed(1234)
    probes = [torch.rand(3, 2, 4, 5, generator=generator) * 255 for _ in range(2)]
    zeros = torch.zeros(3, 2, 4, 5)
    # The scale is read off the full 0..255 span: (f(255) - f(0)) / 255 keeps float32 rounding
    # in f's outputs from growing into the scale (f(1) - f(0) loses ~5 digits after Normalize).
    full = torch.full((3, 2, 4, 5), 255.0)
    rng_states = _global_rng_states()
    try:
        with torch.no_grad():
            out_zero = transform(zeros.clone())
            out_full = transform(full.clone())
            outs = [transform(p.clone()) for p in probes]
            again = transform(probes[0].clone())
    except Exception:
        return None
    finally:
        # A transform that draws from a global RNG is random (``RandomApply`` around a lambda
        # can look affine on a few probes); probing must not move the user's RNGs either.
        consumed_rng = not _restore_global_rng_states(rng_states)
    if consumed_rng:
        return None
    tensors = [out_zero, out_full, *outs, again]
    if not all(isinstance(t, torch.Tensor) and t.shape == zeros.shape for t in tensors):
        return None
    offset = out_zero.double()
    scale = (out_full.double() - offset) / 255.0
    per_channel_offset = offset.flatten(1)[:, 0]
    per_channel_scale = scale.flatten(1)[:, 0]
    if not torch.allclose(offset, per_channel_offset[:, None, None, None].expand_as(offset)):
        return None
    if not torch.allclose(scale, per_channel_scale[:, None, None, None].expand_as(scale)):
        return None
    if not torch.equal(outs[0], again) or bool((per_channel_scale == 0).any()):
        return None
    for probe, out in zip(probes, outs, strict=True):
        expected = (
            probe.double() * per_channel_scale[:, None, None, None]
            + per_channel_offset[:, None, None, None]
        )
        if not torch.allclose(out.double(), expected, rtol=1e-5, atol=1e-4):
            return None
    return tuple(per_channel_scale.tolist()), tuple(per_channel_offset.tolist())


def _global_rng_states() -> tuple[torch.Tensor, Any, dict[str, Any]]:
    return torch.random.get_rng_state(), random.getstate(), np.random.get_state(legacy=False)


def _restore_global_rng_states(states: tuple[torch.Tensor, Any, dict[str, Any]]) -> bool:
    """Restore torch's, Python's and NumPy's global RNGs; ``True`` if none had moved."""
    torch_state, python_state, numpy_state = states
    now = _global_rng_states()
    untouched = (
        torch.equal(now[0], torch_state)
        and now[1] == python_state
        and _same_numpy_state(now[2], numpy_state)
    )
    torch.random.set_rng_state(torch_state)
    random.setstate(python_state)
    np.random.set_state(numpy_state)
    return untouched


def _same_numpy_state(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (
        a["state"]["pos"] == b["state"]["pos"]
        and np.array_equal(a["state"]["key"], b["state"]["key"])
        and a["has_gauss"] == b["has_gauss"]
    )


@dataclass
class _Builder:
    temporal: list[int] = field(default_factory=list)
    spatial: list[SpatialOp] = field(default_factory=list)
    affine: ChannelAffine = field(default_factory=ChannelAffine)

    def result(self) -> LoweredPipeline:
        return LoweredPipeline(tuple(self.temporal), tuple(self.spatial), self.affine)

    def add(self, transform: object) -> bool:
        """Lower one video transform; ``False`` if it is not one fastvid knows."""
        module, name = _class_name(transform)
        if module == "pytorchvideo" and name == "UniformTemporalSubsample":
            # Frame selection commutes with every op lowered here (all act per frame, alike).
            if getattr(transform, "_temporal_dim", -3) not in (-3, 1):
                return False
            self.temporal.append(int(transform._num_samples))  # type: ignore[attr-defined]
            return True
        if module == "pytorchvideo" and name in ("ShortSideScale", "RandomShortSideScale"):
            t: Any = transform
            if t._backend != "pytorch" or not _is_bilinear(t._interpolation):
                return False
            low, high = (
                (t._size, t._size) if name == "ShortSideScale" else (t._min_size, t._max_size)
            )
            self.spatial.append(ShortSideScaleOp(int(low), int(high)))
            return True
        if module == "torchvision" and name == "RandomCrop":
            t = transform
            padding = _padding_ltrb(t.padding)
            if (
                padding is None
                or t.padding_mode != "constant"
                or not isinstance(t.fill, (int, float))
            ):
                return False
            height, width = _size_pair(t.size)
            fill = self._raw_fill(float(t.fill))
            self.spatial.append(CropOp(height, width, True, padding, bool(t.pad_if_needed), fill))
            return True
        if module == "torchvision" and name == "CenterCrop":
            height, width = _size_pair(transform.size)  # type: ignore[attr-defined]
            self.spatial.append(CropOp(height, width, False, fill=self._raw_fill(0.0)))
            return True
        if module == "torchvision" and name == "RandomResizedCrop":
            t = transform
            if not _is_bilinear(t.interpolation):
                return False
            height, width = _size_pair(t.size)
            op = ResizedCropOp(
                height,
                width,
                tuple(t.scale),
                tuple(t.ratio),
                antialias=bool(t.antialias),  # None means False for tensors
                float32_draws=True,
            )
            self.spatial.append(op)
            return True
        if module == "pytorchvideo" and name == "RandomResizedCrop":
            t = transform
            if t._shift or not _is_bilinear(t._interpolation):
                return False
            op = ResizedCropOp(
                int(t._target_height),
                int(t._target_width),
                tuple(t._scale),
                tuple(t._aspect_ratio),
                log_uniform_ratio=bool(t._log_uniform_ratio),
                num_tries=int(t._num_tries),
            )
            self.spatial.append(op)
            return True
        if module == "torchvision" and name == "RandomHorizontalFlip":
            self.spatial.append(FlipOp(float(transform.p)))  # type: ignore[attr-defined]
            return True
        if name == "Normalize" and module in ("torchvision", "pytorchvideo"):
            t = transform
            mean = [float(v) for v in torch.as_tensor(t.mean).flatten().tolist()]
            std = [float(v) for v in torch.as_tensor(t.std).flatten().tolist()]
            if module == "torchvision" and (len(set(mean)) > 1 or len(set(std)) > 1):
                # On (C, T, H, W) torchvision normalises dim -3, the frames, not the channels.
                return False
            if len(mean) == 1:
                mean = mean * 3
            if len(std) == 1:
                std = std * 3
            if len(mean) != 3 or len(std) != 3:
                return False
            self.affine = self.affine.then(
                [1 / s for s in std], [-m / s for m, s in zip(mean, std, strict=True)]
            )
            return True
        probed = _probe_affine(transform)
        if probed is not None:
            self.affine = self.affine.then(*probed)
            return True
        return False

    def _raw_fill(self, fill: float) -> tuple[float, float, float]:
        """The raw value that the affine accumulated so far maps to ``fill``."""
        a = self.affine
        return tuple(  # type: ignore[return-value]
            (fill - o) / s for o, s in zip(a.offset, a.scale, strict=True)
        )


def lower_video_transform(transform: object | None) -> LoweredTransform:
    """Lower a transform applied to the ``(C, T, H, W)`` video tensor alone."""
    builder = _Builder()
    steps = [] if transform is None else _flatten(transform)
    for position, step in enumerate(steps):
        if not builder.add(step):
            rest = tuple(steps[position:])
            return LoweredTransform(
                builder.result(),
                residual_video=rest,  # type: ignore[arg-type]
                residual_names=tuple(describe(s) for s in rest),
            )
    return LoweredTransform(builder.result())


def lower_sample_transform(transform: object | None) -> LoweredTransform:
    """Lower a transform applied to PyTorchVideo's sample dict (Flash's ``post_tensor_transform``).

    ``ApplyTransformToKey("video", ...)`` steps are lowered; steps on other keys commute with
    them and run in torch afterwards; any other callable on the whole dict stops lowering (it
    might read the video), so it and everything after it run in torch.
    """
    if transform is None:
        return LoweredTransform()
    builder = _Builder()
    residual_sample: list[SampleTransform] = []
    names: list[str] = []
    steps = _flatten(transform)
    for position, step in enumerate(steps):
        module, name = _class_name(step)
        key = getattr(step, "_key", None)
        if module == "pytorchvideo" and name == "ApplyTransformToKey" and key != "video":
            residual_sample.append(step)  # type: ignore[arg-type]
            continue
        if module == "pytorchvideo" and name == "ApplyTransformToKey":
            inner = _flatten(step._transform)  # type: ignore[attr-defined]
            for inner_position, video_step in enumerate(inner):
                if not builder.add(video_step):
                    rest_video = tuple(inner[inner_position:])
                    rest_sample = [*residual_sample, *steps[position + 1 :]]
                    names.extend(describe(s) for s in rest_video)
                    names.extend(describe(s) for s in steps[position + 1 :])
                    return LoweredTransform(
                        builder.result(),
                        residual_video=rest_video,  # type: ignore[arg-type]
                        residual_sample=tuple(rest_sample),  # type: ignore[arg-type]
                        residual_names=tuple(names),
                    )
            continue
        rest: list[Any] = steps[position:]
        names.extend(describe(s) for s in rest)
        return LoweredTransform(
            builder.result(),
            residual_sample=tuple([*residual_sample, *rest]),
            residual_names=tuple(names),
        )
    return LoweredTransform(builder.result(), residual_sample=tuple(residual_sample))
