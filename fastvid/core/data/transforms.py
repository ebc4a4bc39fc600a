"""``flash.core.data.transforms``."""

from fastvid.integrations.flash.input_transform import ApplyToKeys

__all__ = ["ApplyToKeys"]
