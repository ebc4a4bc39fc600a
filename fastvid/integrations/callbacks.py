"""The earlier path of :mod:`fastvid.integrations.lightning.callbacks`.

Kept so that code importing it from here keeps working; the code lives in the new room.
"""

from fastvid.integrations.lightning import callbacks as _room
from fastvid.integrations.lightning.callbacks import *  # noqa: F403

__all__ = _room.__all__
