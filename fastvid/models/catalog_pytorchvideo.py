"""The PyTorchVideo model zoo's classifiers, as registry entries.

Every classification constructor of ``pytorchvideo.models.hub``, built with random weights;
the published Kinetics-400 (and one ImageNet) checkpoints are named by their URLs. Not listed:
``slow_r50_detection`` and ``slowfast_r50_detection`` (AVA detectors: their heads need region
boxes as a second input, so they are not clip classifiers).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

from torch import nn

from fastvid.models.adapters import adapt_class, framewise_mvit_class, slowfast_class
from fastvid.models.backbone import BackboneInfo, catalog_info

__all__ = ["backbones"]

_ZOO = "https://dl.fbaipublicfiles.com/pytorchvideo/model_zoo"
_K400 = f"{_ZOO}/kinetics"
_ANY_CLIP = (1, 1, 1)
_MVIT_16 = (16, 224, 224)
_MVIT_32 = (32, 224, 224)


class _Entry(NamedTuple):
    projection: str
    min_input: tuple[int, int, int]
    native_input: tuple[int, int, int]
    weights: str
    max_input: tuple[int | None, int | None, int | None] = (None, None, None)


_ENTRIES: dict[str, _Entry] = {
    "x3d_xs": _Entry("blocks.5.proj", _ANY_CLIP, (4, 160, 160), f"{_K400}/X3D_XS.pyth"),
    "x3d_s": _Entry("blocks.5.proj", _ANY_CLIP, (13, 160, 160), f"{_K400}/X3D_S.pyth"),
    "x3d_m": _Entry("blocks.5.proj", _ANY_CLIP, (16, 224, 224), f"{_K400}/X3D_M.pyth"),
    "x3d_l": _Entry("blocks.5.proj", _ANY_CLIP, (16, 312, 312), f"{_K400}/X3D_L.pyth"),
    "slow_r50": _Entry("blocks.5.proj", _ANY_CLIP, (8, 224, 224), f"{_K400}/SLOW_8x8_R50.pyth"),
    # C2D and I3D pool time by 2 after the stem: at least 2 frames.
    "c2d_r50": _Entry("blocks.6.proj", (2, 1, 1), (8, 224, 224), f"{_K400}/C2D_8x8_R50.pyth"),
    "i3d_r50": _Entry("blocks.6.proj", (2, 1, 1), (8, 224, 224), f"{_K400}/I3D_8x8_R50.pyth"),
    "csn_r101": _Entry("blocks.5.proj", _ANY_CLIP, (32, 224, 224), f"{_K400}/CSN_32x2_R101.pyth"),
    "r2plus1d_r50": _Entry(
        "blocks.5.proj", _ANY_CLIP, (16, 224, 224), f"{_K400}/R2PLUS1D_16x4_R50.pyth"
    ),
    # SlowFast: T is a multiple of 4 (the slow pathway gets T // 4 frames).
    "slowfast_r50": _Entry(
        "blocks.6.proj", (4, 1, 1), (32, 224, 224), f"{_K400}/SLOWFAST_8x8_R50.pyth"
    ),
    "slowfast_r101": _Entry(
        "blocks.6.proj", (4, 1, 1), (32, 224, 224), f"{_K400}/SLOWFAST_8x8_R101.pyth"
    ),
    "slowfast_16x8_r101_50_50": _Entry(
        "blocks.6.proj", (4, 1, 1), (64, 224, 224), f"{_K400}/SLOWFAST_16x8_R101_50_50.pyth"
    ),
    "efficient_x3d_xs": _Entry(
        "projection.model",
        _ANY_CLIP,
        (4, 160, 160),
        f"{_K400}/efficient_x3d_xs_original_form.pyth",
    ),
    "efficient_x3d_s": _Entry(
        "projection.model",
        _ANY_CLIP,
        (13, 160, 160),
        f"{_K400}/efficient_x3d_s_original_form.pyth",
    ),
    # Absolute position embeddings: one clip size only.
    "mvit_base_16x4": _Entry(
        "head.proj", _MVIT_16, _MVIT_16, f"{_K400}/MVIT_B_16x4.pyth", _MVIT_16
    ),
    "mvit_base_32x3": _Entry(
        "head.proj", _MVIT_32, _MVIT_32, f"{_K400}/MVIT_B_32x3_f294077834.pyth", _MVIT_32
    ),
    # An ImageNet image model: applied frame by frame, features averaged over time.
    "mvit_base_16": _Entry(
        "head.proj",
        (1, 224, 224),
        (1, 224, 224),
        f"{_ZOO}/imagenet/MVIT_B_16_f292487636.pyth",
        (None, 224, 224),
    ),
}

# Hub models whose forward needs adapting to one (B, C, T, H, W) clip.
_ADAPTERS: dict[str, Callable[[], type[nn.Module]]] = {
    "slowfast_r50": slowfast_class,
    "slowfast_r101": slowfast_class,
    "slowfast_16x8_r101_50_50": slowfast_class,
    "mvit_base_16": framewise_mvit_class,
}


def backbones() -> list[BackboneInfo]:
    """One entry per PyTorchVideo hub classifier (nothing is imported from PyTorchVideo yet)."""
    return [
        catalog_info(
            name,
            entry,
            source="pytorchvideo",
            builder=_builder(name),
            weights_source=entry.weights,
            # efficient_x3d files are bare state dicts; the others are PySlowFast checkpoints.
            weights_key=None if name.startswith("efficient_x3d") else "model_state",
        )
        for name, entry in _ENTRIES.items()
    ]


def _builder(hub_name: str) -> Callable[..., nn.Module]:
    def build(**kwargs: Any) -> nn.Module:
        import fastvid._compat.pytorchvideo as compat

        compat.install()
        with warnings.catch_warnings():
            # PyTorchVideo decorates helpers with torch.jit.script at import time; the
            # deprecation warning that triggers is not actionable for fastvid users.
            warnings.filterwarnings("ignore", message=".*torch.jit.script", category=FutureWarning)
            from pytorchvideo.models import hub

        model: nn.Module = getattr(hub, hub_name)(pretrained=False, **kwargs)
        adapter = _ADAPTERS.get(hub_name)
        return model if adapter is None else adapt_class(model, adapter())

    build.__name__ = f"build_{hub_name}"
    build.__doc__ = f"``pytorchvideo.models.hub.{hub_name}`` with random weights."
    return build
