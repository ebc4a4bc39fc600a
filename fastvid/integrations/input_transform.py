"""The earlier path of :mod:`fastvid.integrations.flash.input_transform`.

Kept so that code importing it from here keeps working; the code lives in the new room.
"""

from fastvid.integrations.flash import input_transform as _room
from fastvid.integrations.flash.input_transform import *  # noqa: F403

__all__ = _room.__all__
