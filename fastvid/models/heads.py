"""Classification heads and the surgery that fits a backbone's own head to a new task.

A video backbone ends in a *projection*: the ``Linear`` (or 1x1x1 ``Conv3d``) that maps pooled
features to Kinetics' 400 classes. fastvid replaces that one module: with ``nn.Identity`` for a
headless feature extractor, or with a fresh projection of the same kind for ``num_classes``
outputs. Everything around it (pooling, dropout) stays as the model's authors wrote it.

Two more repairs keep the original models usable on any clip size and as logit producers:

* :class:`ClampedAvgPool3d` replaces the fixed-kernel ``AvgPool3d`` of PyTorchVideo's heads
  (``(8, 7, 7)`` for Slow R50, ...). Where the feature map is at least the kernel size it is the
  very same operation; on a smaller map (a shorter or smaller clip) it pools the whole map instead
  of raising "Output size is too small".
* Some PyTorchVideo heads end in ``nn.Softmax``; it is removed so every model returns logits
  (what ``F.cross_entropy`` expects).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "ClampedAvgPool3d",
    "clamp_avg_pools",
    "drop_head_activation",
    "linear_head",
    "projection_features",
    "replace_projection",
]


class ClampedAvgPool3d(nn.AvgPool3d):
    """``nn.AvgPool3d`` whose kernel shrinks to the input where the input is smaller.

    Identical to ``nn.AvgPool3d`` whenever every input dimension is at least the kernel size.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Average-pool ``x`` (N, C, T, H, W) with the kernel clamped to its T, H, W."""
        kernel = _triple(self.kernel_size)
        sizes = x.shape[-3:]
        clamped = tuple(min(int(k), int(s)) for k, s in zip(kernel, sizes, strict=True))
        return F.avg_pool3d(
            x,
            kernel_size=clamped,
            stride=self.stride,
            padding=self.padding,
            ceil_mode=self.ceil_mode,
            count_include_pad=self.count_include_pad,
            divisor_override=self.divisor_override,
        )


def _triple(value: int | tuple[int, ...]) -> tuple[int, int, int]:
    if isinstance(value, tuple):
        t, h, w = value
        return int(t), int(h), int(w)
    return int(value), int(value), int(value)


def clamp_avg_pools(model: nn.Module) -> int:
    """Swap every unpadded ``nn.AvgPool3d`` in ``model`` for a :class:`ClampedAvgPool3d`.

    Padded pools are left alone (a clamped kernel could be smaller than twice the padding).

    Args:
        model: The model to change in place.

    Returns:
        How many pools were replaced.
    """
    targets = [
        (name, module)
        for name, module in model.named_modules()
        if type(module) is nn.AvgPool3d and _triple(module.padding) == (0, 0, 0)
    ]
    for name, pool in targets:
        clamped = ClampedAvgPool3d(
            kernel_size=_triple(pool.kernel_size),
            stride=pool.stride,
            padding=pool.padding,
            ceil_mode=pool.ceil_mode,
            count_include_pad=pool.count_include_pad,
            divisor_override=pool.divisor_override,
        )
        _set_submodule(model, name, clamped)
    return len(targets)


def projection_features(projection: nn.Module) -> int:
    """The number of input features of a final projection (``Linear`` or 1x1x1 ``Conv3d``).

    Args:
        projection: The module that maps features to class scores.

    Returns:
        ``in_features`` of a ``Linear``, ``in_channels`` of a ``Conv3d``.

    Raises:
        TypeError: If ``projection`` is neither.
    """
    if isinstance(projection, nn.Linear):
        return projection.in_features
    if isinstance(projection, nn.Conv3d):
        return projection.in_channels
    raise TypeError(
        f"the final projection must be nn.Linear or nn.Conv3d, got {type(projection).__name__}"
    )


def _new_projection(old: nn.Module, num_classes: int) -> nn.Module:
    num_features = projection_features(old)
    if isinstance(old, nn.Conv3d):
        return nn.Conv3d(num_features, num_classes, kernel_size=1, bias=old.bias is not None)
    return nn.Linear(num_features, num_classes)


def replace_projection(model: nn.Module, path: str, num_classes: int | None) -> int:
    """Replace the final projection at ``path`` and return its feature dimension.

    Args:
        model: The model to change in place.
        path: Dotted name of the projection inside ``model`` (``"blocks.5.proj"``, ``"fc"``).
        num_classes: ``None`` for ``nn.Identity`` (the model then returns features), otherwise a
            freshly initialised projection of the same kind with ``num_classes`` outputs.

    Returns:
        The projection's number of input features.
    """
    old = model.get_submodule(path)
    num_features = projection_features(old)
    new = nn.Identity() if num_classes is None else _new_projection(old, num_classes)
    _set_submodule(model, path, new)
    return num_features


def drop_head_activation(model: nn.Module, path: str) -> None:
    """Remove an ``activation`` (PyTorchVideo's ``nn.Softmax``) next to the projection.

    Args:
        model: The model to change in place.
        path: Dotted name of the projection; its parent's ``activation`` attribute is cleared.
    """
    parent_name, _, _ = path.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    if isinstance(getattr(parent, "activation", None), nn.Module):
        parent.register_module("activation", None)


def linear_head(num_features: int, num_classes: int) -> nn.Module:
    """Flash's default head: flatten the backbone's features, then one linear layer.

    Args:
        num_features: Width of the backbone's output.
        num_classes: Number of classes.

    Returns:
        ``nn.Sequential(nn.Flatten(), nn.Linear(num_features, num_classes))``.
    """
    return nn.Sequential(nn.Flatten(), nn.Linear(num_features, num_classes))


def _set_submodule(model: nn.Module, path: str, new: nn.Module) -> None:
    parent_name, _, child = path.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, child, new)
