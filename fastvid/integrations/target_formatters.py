"""The earlier path of :mod:`fastvid.integrations.flash.target_formatters`.

Kept so that code importing it from here keeps working; the code lives in the new room.
"""

from fastvid.integrations.flash import target_formatters as _room
from fastvid.integrations.flash.target_formatters import *  # noqa: F403

__all__ = _room.__all__
