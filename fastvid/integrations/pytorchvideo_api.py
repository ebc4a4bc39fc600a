"""The earlier path of :mod:`fastvid.integrations.pytorchvideo.api`.

Kept so that code importing it from here keeps working; the code lives in the new room.
"""

from fastvid.integrations.pytorchvideo import api as _room
from fastvid.integrations.pytorchvideo.api import *  # noqa: F403

__all__ = _room.__all__
