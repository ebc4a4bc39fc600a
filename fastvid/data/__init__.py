"""Data: layouts, metadata index, clip samplers, the DataModule and PyTorchVideo drop-ins."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastvid.data.layout import LabeledVideo, LabeledVideoList, from_csv, from_folder, from_pairs
from fastvid.data.samplers import ClipInfo, ClipInfoList, as_clip_sampler, make_clip_sampler
from fastvid.data.utils import download_data

if TYPE_CHECKING:
    from fastvid.data.datamodule import VideoClassificationData
    from fastvid.data.pytorchvideo_api import (
        DataLoader,
        LabeledVideoDataset,
        labeled_video_dataset,
    )

__all__ = [
    "ClipInfo",
    "ClipInfoList",
    "DataLoader",
    "LabeledVideo",
    "LabeledVideoDataset",
    "LabeledVideoList",
    "VideoClassificationData",
    "as_clip_sampler",
    "download_data",
    "from_csv",
    "from_folder",
    "from_pairs",
    "labeled_video_dataset",
    "make_clip_sampler",
]

_LAZY = {
    "VideoClassificationData": "fastvid.data.datamodule",
    "LabeledVideoDataset": "fastvid.data.pytorchvideo_api",
    "labeled_video_dataset": "fastvid.data.pytorchvideo_api",
    "DataLoader": "fastvid.data.pytorchvideo_api",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'fastvid.data' has no attribute {name!r}")
