"""Integrations: fastvid's loader behind other libraries' interfaces, one room per library.

* :mod:`~fastvid.integrations.flash`: Lightning Flash 0.8's video surface:
  ``VideoClassificationData`` (the ``LightningDataModule``) and its ``from_*`` constructors,
  ``InputTransform`` / ``VideoClassificationInputTransform`` / ``ApplyToKeys``, the target
  formatters, the per-stage inputs ``train_dataset`` & co. return, the prediction outputs.
  (Flash's own module paths, ``fastvid.core.*`` and ``fastvid.video.*``, re-export these.)
* :mod:`~fastvid.integrations.pytorchvideo`: PyTorchVideo 0.1.5's: drop-in
  ``LabeledVideoDataset``, ``labeled_video_dataset`` and ``DataLoader`` (``api``), and
  ``pytorchvideo.data``'s datasets, ``EncodedVideo`` and ``FrameVideo`` (``data``).
* :mod:`~fastvid.integrations.lightning`: Lightning's: callbacks (``SkippedVideosLogger``) and
  the Lightning 1.x ``Trainer`` arguments Flash users pass (``trainer_args``).

Each room is thin over the same :class:`~fastvid.reader.ClipLoader`; the PyTorchVideo room
imports neither of the others, the Lightning room neither of the others, and the Flash room
only the PyTorchVideo one (Flash 0.8's inputs hold PyTorchVideo's ``LabeledVideoDataset``).
The modules directly here (``datamodule``, ``pytorchvideo_api``, ``pytorchvideo_data``,
``callbacks``, ``input_transform``, ``target_formatters``, ``inputs``) are the earlier import
paths, kept as re-exports.

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
