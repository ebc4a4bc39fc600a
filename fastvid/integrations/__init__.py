"""Integrations: fastvid's loader behind other libraries' interfaces.

* :mod:`~fastvid.integrations.datamodule`: ``VideoClassificationData``, Lightning Flash's video
  ``LightningDataModule``.
* :mod:`~fastvid.integrations.pytorchvideo_api`: drop-in ``LabeledVideoDataset``,
  ``labeled_video_dataset`` and ``DataLoader`` for PyTorchVideo scripts.
* :mod:`~fastvid.integrations.callbacks`: Lightning callbacks (``SkippedVideosLogger``).
* :mod:`~fastvid.integrations.input_transform`: Flash 0.8's ``InputTransform``,
  ``VideoClassificationInputTransform`` and ``ApplyToKeys``;
  :mod:`~fastvid.integrations.target_formatters`: its target formatters;
  :mod:`~fastvid.integrations.inputs`: the inputs ``train_dataset`` & co. return.

Names load on first use, so ``import fastvid.integrations`` imports neither Lightning nor DALI.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastvid.integrations.callbacks import SkippedVideosLogger
    from fastvid.integrations.datamodule import VideoClassificationData
    from fastvid.integrations.input_transform import (
        ApplyToKeys,
        InputTransform,
        VideoClassificationInputTransform,
    )
    from fastvid.integrations.pytorchvideo_api import (
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
    "VideoClassificationData": "fastvid.integrations.datamodule",
    "LabeledVideoDataset": "fastvid.integrations.pytorchvideo_api",
    "labeled_video_dataset": "fastvid.integrations.pytorchvideo_api",
    "DataLoader": "fastvid.integrations.pytorchvideo_api",
    "SkippedVideosLogger": "fastvid.integrations.callbacks",
    "ApplyToKeys": "fastvid.integrations.input_transform",
    "InputTransform": "fastvid.integrations.input_transform",
    "VideoClassificationInputTransform": "fastvid.integrations.input_transform",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fastvid.integrations' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
