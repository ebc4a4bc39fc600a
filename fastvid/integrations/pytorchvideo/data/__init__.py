"""PyTorchVideo 0.1.5's ``pytorchvideo.data`` dataset API, decoded by fastvid.

The names a PyTorchVideo script imports, with the same signatures, re-exported by
:mod:`fastvid.data`: the dataset helpers (``Kinetics``, ``Ucf101``, ``Hmdb51``), the video
lists (``LabeledVideoPaths``, ``Hmdb51LabeledVideoPaths``), clip access by time
(``EncodedVideo``: fastvid's PyAV decoder, PyTorchVideo's frames; ``FrameVideo``: folders of
frame images decoded by DALI's image decoder) and the in-process dataset frame folders use.

One job per module:

================  ===========================================================================
``_video``        the ``Video`` interface, decoder names, ``video_from_path`` (file or folder)
``_encoded``      ``EncodedVideo``
``_frames``       ``FrameVideo``
``_paths``        ``LabeledVideoPaths``
``_hmdb51``       ``Hmdb51LabeledVideoPaths`` (HMDB51's split files)
``_inprocess``    ``VideoPathsDataset``: PyTorchVideo's dataset loop in the iterating process
``_datasets``     ``Kinetics``, ``Ucf101``, ``Hmdb51``, frame-folder lists
================  ===========================================================================
"""

from fastvid.integrations.pytorchvideo.data._datasets import (
    Hmdb51,
    Kinetics,
    Ucf101,
    frame_video_dataset,
)
from fastvid.integrations.pytorchvideo.data._encoded import EncodedVideo
from fastvid.integrations.pytorchvideo.data._frames import FrameVideo
from fastvid.integrations.pytorchvideo.data._hmdb51 import Hmdb51LabeledVideoPaths
from fastvid.integrations.pytorchvideo.data._inprocess import VideoPathsDataset
from fastvid.integrations.pytorchvideo.data._paths import (
    LabeledVideoPaths,
    PyTorchVideoAssertionError,
)
from fastvid.integrations.pytorchvideo.data._video import Video, video_from_path

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
