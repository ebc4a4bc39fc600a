"""torchvision's video classifiers, as registry entries.

Every model of ``torchvision.models.video``; the published weights are its ``DEFAULT`` weights
enum entry (``torchvision.models.get_model_weights(name).DEFAULT.url``), looked up on first use
so that listing backbones does not import ``torchvision.models``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from torch import nn

from fastvid.models.backbone import BackboneInfo, catalog_info

__all__ = ["backbones"]

_ANY_CLIP = (1, 1, 1)
_R18 = (16, 112, 112)
_SWIN = (32, 224, 224)
_MVIT = (16, 224, 224)


class _Entry(NamedTuple):
    projection: str
    min_input: tuple[int, int, int]
    native_input: tuple[int, int, int]
    max_input: tuple[int | None, int | None, int | None] = (None, None, None)


_ENTRIES: dict[str, _Entry] = {
    "r3d_18": _Entry("fc", _ANY_CLIP, _R18),
    "mc3_18": _Entry("fc", _ANY_CLIP, _R18),
    "r2plus1d_18": _Entry("fc", _ANY_CLIP, _R18),
    "s3d": _Entry("classifier.1", (5, 17, 17), (128, 224, 224)),
    # Absolute position embeddings: one clip size only.
    "mvit_v1_b": _Entry("head.1", _MVIT, _MVIT, _MVIT),
    "mvit_v2_s": _Entry("head.1", _MVIT, _MVIT, _MVIT),
    "swin3d_t": _Entry("head", _ANY_CLIP, _SWIN),
    "swin3d_s": _Entry("head", _ANY_CLIP, _SWIN),
    "swin3d_b": _Entry("head", _ANY_CLIP, _SWIN),
}


def backbones() -> list[BackboneInfo]:
    """One entry per torchvision video model (nothing is imported from torchvision yet)."""
    return [
        catalog_info(
            name,
            entry,
            source="torchvision",
            builder=_builder(name),
            weights_source=_default_weights_url(name),
            weights_key=None,
        )
        for name, entry in _ENTRIES.items()
    ]


def _default_weights_url(tv_name: str) -> Callable[[], str]:
    def url() -> str:
        from torchvision.models import get_model_weights

        return str(get_model_weights(tv_name).DEFAULT.url)

    return url


def _builder(tv_name: str) -> Callable[..., nn.Module]:
    def build(**kwargs: Any) -> nn.Module:
        import torchvision.models.video as video_models

        model: nn.Module = getattr(video_models, tv_name)(weights=None, **kwargs)
        return model

    build.__name__ = f"build_{tv_name}"
    build.__doc__ = f"``torchvision.models.video.{tv_name}`` with random weights."
    return build
