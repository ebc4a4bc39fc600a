"""Data: layouts, metadata index, clip samplers, transform dicts, ``download_data``.

The DataModule and the PyTorchVideo drop-ins live in :mod:`fastvid.integrations` (a layer
above the reader); their names are re-exported here, loaded on first use, so that
``from fastvid.data import VideoClassificationData, labeled_video_dataset, DataLoader`` keeps
working. PyTorchVideo 0.1.5's ``pytorchvideo.data`` names are all here: its datasets
(``Kinetics``, ``Ucf101``, ``Hmdb51``, ``LabeledVideoDataset``), ``LabeledVideoPaths``,
``EncodedVideo``, ``FrameVideo``, the clip samplers and ``MultiProcessSampler``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastvid.data.layout import (
    LabeledVideo,
    LabeledVideoList,
    from_csv,
    from_data_frame,
    from_folder,
    from_pairs,
)
from fastvid.data.samplers import (
    ClipInfo,
    ClipInfoList,
    ClipSampler,
    ConstantClipsPerVideoSampler,
    RandomClipSampler,
    RandomMultiClipSampler,
    UniformClipSampler,
    as_clip_sampler,
    make_clip_sampler,
)
from fastvid.data.utils import download_data

if TYPE_CHECKING:
    from fastvid.data.samplers import MultiProcessSampler
    from fastvid.integrations.flash.datamodule import VideoClassificationData
    from fastvid.integrations.pytorchvideo.api import (
        DataLoader,
        LabeledVideoDataset,
        labeled_video_dataset,
    )
    from fastvid.integrations.pytorchvideo.data import (
        EncodedVideo,
        FrameVideo,
        Hmdb51,
        Hmdb51LabeledVideoPaths,
        Kinetics,
        LabeledVideoPaths,
        Ucf101,
        Video,
    )

__all__ = [
    "ClipInfo",
    "ClipInfoList",
    "ClipSampler",
    "ConstantClipsPerVideoSampler",
    "DataLoader",
    "EncodedVideo",
    "FrameVideo",
    "Hmdb51",
    "Hmdb51LabeledVideoPaths",
    "Kinetics",
    "LabeledVideo",
    "LabeledVideoDataset",
    "LabeledVideoList",
    "LabeledVideoPaths",
    "MultiProcessSampler",
    "RandomClipSampler",
    "RandomMultiClipSampler",
    "Ucf101",
    "UniformClipSampler",
    "Video",
    "VideoClassificationData",
    "as_clip_sampler",
    "download_data",
    "from_csv",
    "from_data_frame",
    "from_folder",
    "from_pairs",
    "labeled_video_dataset",
    "make_clip_sampler",
]

# Loaded on first use: MultiProcessSampler (a torch Sampler: the loader's worker processes import
# fastvid.data and must not pay for torch), and the facade re-exports that point up a layer
# (listed in [tool.importlinter] ignore_imports).
_LAZY = {
    "MultiProcessSampler": "fastvid.data.samplers",
    "VideoClassificationData": "fastvid.integrations.flash.datamodule",
    "LabeledVideoDataset": "fastvid.integrations.pytorchvideo.api",
    "labeled_video_dataset": "fastvid.integrations.pytorchvideo.api",
    "DataLoader": "fastvid.integrations.pytorchvideo.api",
    **dict.fromkeys(
        (
            "EncodedVideo",
            "FrameVideo",
            "Hmdb51",
            "Hmdb51LabeledVideoPaths",
            "Kinetics",
            "LabeledVideoPaths",
            "Ucf101",
            "Video",
        ),
        "fastvid.integrations.pytorchvideo.data",
    ),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'fastvid.data' has no attribute {name!r}")
