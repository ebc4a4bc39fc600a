"""The earlier path of :mod:`fastvid.integrations.pytorchvideo.data`.

Kept so that code importing it from here keeps working; the code lives in the new room.
"""

from fastvid.integrations.pytorchvideo import data as _room
from fastvid.integrations.pytorchvideo.data import *  # noqa: F403

__all__ = _room.__all__
