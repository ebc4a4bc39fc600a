"""Integrations: fastvid's loader behind other libraries' interfaces.

* :mod:`~fastvid.integrations.flash.datamodule`: ``VideoClassificationData``, Lightning Flash's
  video ``LightningDataModule``.
* :mod:`~fastvid.integrations.pytorchvideo.api`: drop-in ``LabeledVideoDataset``,
  ``labeled_video_dataset`` and ``DataLoader`` for PyTorchVideo scripts.
* :mod:`~fastvid.integrations.lightning.callbacks`: Lightning callbacks (``SkippedVideosLogger``).
* :mod:`~fastvid.integrations.flash.input_transform`: Flash 0.8's ``InputTransform``,
  ``VideoClassificationInputTransform`` and ``ApplyToKeys``;
  :mod:`~fastvid.integrations.flash.target_formatters`: its target formatters;
  :mod:`~fastvid.integrations.flash.inputs`: the inputs ``train_dataset`` & co. return.

Names load on first use, so ``import fastvid.integrations`` imports neither Lightning nor DALI.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastvid.integrations.flash.datamodule import VideoClassificationData
    from fastvid.integrations.flash.input_transform import (
        ApplyToKeys,
        InputTransform,
        VideoClassificationInputTransform,
    )
    from fastvid.integrations.lightning.callbacks import SkippedVideosLogger
    from fastvid.integrations.pytorchvideo.api import (
        DataLoader,
        LabeledVideoDataset,
        labeled_video_dataset,
    )

__all__ = [
    "ApplyToKeys",
    "DataLoader",
    "InputTransform",
    "LabeledVideoDataset",
    "SkippedVideosLogger",
    "VideoClassificationData",
    "VideoClassificationInputTransform",
    "labeled_video_dataset",
]

_LAZY = {
    "VideoClassificationData": "fastvid.integrations.flash.datamodule",
    "LabeledVideoDataset": "fastvid.integrations.pytorchvideo.api",
    "labeled_video_dataset": "fastvid.integrations.pytorchvideo.api",
    "DataLoader": "fastvid.integrations.pytorchvideo.api",
    "SkippedVideosLogger": "fastvid.integrations.lightning.callbacks",
    "ApplyToKeys": "fastvid.integrations.flash.input_transform",
    "InputTransform": "fastvid.integrations.flash.input_transform",
    "VideoClassificationInputTransform": "fastvid.integrations.flash.input_transform",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fastvid.integrations' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
