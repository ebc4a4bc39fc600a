"""Integrations: fastvid's loader behind other libraries' interfaces.

* :mod:`~fastvid.integrations.datamodule`: ``VideoClassificationData``, Lightning Flash's video
  ``LightningDataModule``.
* :mod:`~fastvid.integrations.pytorchvideo_api`: drop-in ``LabeledVideoDataset``,
  ``labeled_video_dataset`` and ``DataLoader`` for PyTorchVideo scripts.
* :mod:`~fastvid.integrations.callbacks`: Lightning callbacks (``SkippedVideosLogger``).

Names load on first use, so ``import fastvid.integrations`` imports neither Lightning nor DALI.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastvid.integrations.callbacks import SkippedVideosLogger
    from fastvid.integrations.datamodule import VideoClassificationData
    from fastvid.integrations.pytorchvideo_api import (
        DataLoader,
        LabeledVideoDataset,
        labeled_video_dataset,
    )

__all__ = [
    "DataLoader",
    "LabeledVideoDataset",
    "SkippedVideosLogger",
    "VideoClassificationData",
    "labeled_video_dataset",
]

_LAZY = {
    "VideoClassificationData": "fastvid.integrations.datamodule",
    "LabeledVideoDataset": "fastvid.integrations.pytorchvideo_api",
    "labeled_video_dataset": "fastvid.integrations.pytorchvideo_api",
    "DataLoader": "fastvid.integrations.pytorchvideo_api",
    "SkippedVideosLogger": "fastvid.integrations.callbacks",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fastvid.integrations' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
