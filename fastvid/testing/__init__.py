"""Generated test videos whose every frame carries its own index (``read_frame_index``)."""

from fastvid.testing._dataset import make_dataset
from fastvid.testing._stamp import BITS, MAX_INDEX, read_frame_index, stamp_frame_index
from fastvid.testing._video import available_codecs, container_extension, make_video

__all__ = [
    "BITS",
    "MAX_INDEX",
    "available_codecs",
    "container_extension",
    "make_dataset",
    "make_video",
    "read_frame_index",
    "stamp_frame_index",
]
