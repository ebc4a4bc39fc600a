"""The earlier path of :mod:`fastvid.integrations.pytorchvideo.api`.

Kept so that code importing it from here keeps working; the code lives in the new room.
"""

from fastvid.integrations.pytorchvideo.api import (
    DataLoader,
    LabeledVideoDataset,
    labeled_video_dataset,
)

__all__ = [
    "DataLoader",
    "LabeledVideoDataset",
    "labeled_video_dataset",
]
