"""Adapters that let an authors' model take one ``(B, C, T, H, W)`` clip.

* SlowFast gets its two pathways from one clip (PyTorchVideo's ``PackPathway``, alpha 4).
* An image MViT runs frame by frame, its features averaged over time.

PyTorchVideo's constructors re-initialise weights and (through ``set_attributes(self,
locals())``) reset ``__class__``, so adapters are not built through ``__init__``: the built
model's class is swapped for a subclass that only changes ``forward`` (the same move as
``torch.nn.utils.parametrize``). Submodules, weights and state-dict keys stay the authors'.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

__all__ = ["adapt_class", "framewise_mvit_class", "pack_pathways", "slowfast_class"]


def pack_pathways(frames: torch.Tensor, alpha: int) -> list[torch.Tensor]:
    """Split one clip into SlowFast's ``[slow, fast]`` pathways (PyTorchVideo's ``PackPathway``).

    Args:
        frames: ``(B, C, T, H, W)``; ``T`` must be a multiple of ``alpha``.
        alpha: Frame-rate ratio between the pathways.

    Returns:
        ``[slow, fast]``: ``T // alpha`` frames evenly spaced over the clip, and all frames.
    """
    if frames.dim() != 5 or frames.shape[2] % alpha != 0:
        raise ValueError(
            f"SlowFast needs (B, C, T, H, W) clips with T a multiple of {alpha}, got shape "
            f"{tuple(frames.shape)}"
        )
    num_frames = frames.shape[2]
    index = torch.linspace(0, num_frames - 1, num_frames // alpha, device=frames.device).long()
    slow = torch.index_select(frames, 2, index)
    return [slow, frames]


@functools.cache
def slowfast_class() -> type[nn.Module]:
    """PyTorchVideo's SlowFast ``Net``, taking one clip (imports PyTorchVideo on first call)."""
    from pytorchvideo.models.net import Net

    class SlowFastNet(Net):
        """PyTorchVideo's SlowFast ``Net`` taking one ``(B, C, T, H, W)`` clip."""

        alpha: int = 4

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return super().forward(pack_pathways(x, self.alpha))

    return _as_module_attribute(SlowFastNet)


@functools.cache
def framewise_mvit_class() -> type[nn.Module]:
    """PyTorchVideo's image MViT applied to every frame (imports PyTorchVideo on first call)."""
    from pytorchvideo.models.vision_transformers import MultiscaleVisionTransformers

    class FramewiseMViT(MultiscaleVisionTransformers):
        """An image MViT applied to every frame of a clip; features averaged over time."""

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            batch, channels, frames, height, width = x.shape
            images = x.transpose(1, 2).reshape(batch * frames, channels, height, width)
            features = super().forward(images)
            return features.reshape(batch, frames, *features.shape[1:]).mean(dim=1)

    return _as_module_attribute(FramewiseMViT)


def adapt_class(model: nn.Module, adapter: type[nn.Module]) -> nn.Module:
    """Make ``model`` an instance of ``adapter`` (a direct subclass of its class), in place."""
    if not isinstance(model, adapter.__mro__[1]):
        raise TypeError(f"cannot adapt {type(model).__name__} with {adapter.__name__}")
    model.__class__ = adapter
    return model


def _as_module_attribute(cls: type[nn.Module]) -> type[nn.Module]:
    # Picklable (torch.save of a whole model, spawn-based multiprocessing): pickle finds the
    # class as `fastvid.models.adapters.<name>` through the module's __getattr__ below.
    cls.__module__ = __name__
    cls.__qualname__ = cls.__name__
    return cls


ADAPTER_CLASSES: dict[str, Callable[[], type[nn.Module]]] = {
    "SlowFastNet": slowfast_class,
    "FramewiseMViT": framewise_mvit_class,
}


def __getattr__(name: str) -> Any:
    factory = ADAPTER_CLASSES.get(name)
    if factory is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return factory()
