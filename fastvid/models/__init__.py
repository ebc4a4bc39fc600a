"""Models: video backbones by name, ``VideoClassifier`` and the finetuning strategies.

The registry imports only torch; the Lightning parts load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from fastvid.models.registry import (
    BackboneInfo,
    backbone_info,
    create_backbone,
    download_weights,
    list_backbones,
    register_backbone,
)

if TYPE_CHECKING:
    from fastvid.models.classifier import VideoClassifier, average_by_video
    from fastvid.models.finetuning import (
        Freeze,
        FreezeUnfreeze,
        NoFreeze,
        UnfreezeMilestones,
        make_finetuning_callback,
    )

_LAZY: dict[str, str] = {
    "VideoClassifier": "fastvid.models.classifier",
    "average_by_video": "fastvid.models.classifier",
    "Freeze": "fastvid.models.finetuning",
    "FreezeUnfreeze": "fastvid.models.finetuning",
    "NoFreeze": "fastvid.models.finetuning",
    "UnfreezeMilestones": "fastvid.models.finetuning",
    "make_finetuning_callback": "fastvid.models.finetuning",
}

__all__ = [
    "BackboneInfo",
    "Freeze",
    "FreezeUnfreeze",
    "NoFreeze",
    "UnfreezeMilestones",
    "VideoClassifier",
    "average_by_video",
    "backbone_info",
    "create_backbone",
    "download_weights",
    "list_backbones",
    "make_finetuning_callback",
    "register_backbone",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fastvid.models' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
