"""The earlier path of :mod:`fastvid.integrations.pytorchvideo.data`.

Kept so that code importing it from here keeps working; the code lives in the new room.
"""

from fastvid.integrations.pytorchvideo.data import (
    EncodedVideo,
    FrameVideo,
    Hmdb51,
    Hmdb51LabeledVideoPaths,
    Kinetics,
    LabeledVideoPaths,
    PyTorchVideoAssertionError,
    Ucf101,
    Video,
    VideoPathsDataset,
    frame_video_dataset,
    video_from_path,
)

__all__ = [
    "EncodedVideo",
    "FrameVideo",
    "Hmdb51",
    "Hmdb51LabeledVideoPaths",
    "Kinetics",
    "LabeledVideoPaths",
    "PyTorchVideoAssertionError",
    "Ucf101",
    "Video",
    "VideoPathsDataset",
    "frame_video_dataset",
    "video_from_path",
]
