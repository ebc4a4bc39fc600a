"""The earlier path of :mod:`fastvid.integrations.flash.inputs`.

Kept so that code importing it from here keeps working; the code lives in the new room.
"""

from fastvid.integrations.flash import inputs as _room
from fastvid.integrations.flash.inputs import *  # noqa: F403

__all__ = _room.__all__
