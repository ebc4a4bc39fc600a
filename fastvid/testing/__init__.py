"""Generated test videos whose every frame carries its own index.

>>> from fastvid.testing import make_video, read_frame_index
>>> path = make_video("clip.mp4", codec="h264", size=(160, 120), duration=1.0)  # doctest: +SKIP
>>> # decode frame k with any decoder, then: read_frame_index(rgb_frame) == k
"""

from fastvid.testing._audio import AUDIO_RATE, read_audio_segment, tone_hz
from fastvid.testing._dataset import make_dataset
from fastvid.testing._formats import available_codecs, container_extension
from fastvid.testing._stamp import (
    BITS,
    MAX_INDEX,
    read_frame_index,
    stamp_band_height,
    stamp_frame_index,
)
from fastvid.testing._video import make_video

__all__ = [
    "AUDIO_RATE",
    "BITS",
    "MAX_INDEX",
    "available_codecs",
    "container_extension",
    "make_dataset",
    "make_video",
    "read_audio_segment",
    "read_frame_index",
    "stamp_band_height",
    "stamp_frame_index",
    "tone_hz",
]
