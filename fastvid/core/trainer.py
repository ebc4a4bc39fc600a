"""``flash.core.trainer``."""

from fastvid.trainer import Trainer

__all__ = ["Trainer"]
