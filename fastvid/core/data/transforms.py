"""``flash.core.data.transforms``."""

from fastvid.integrations.input_transform import ApplyToKeys

__all__ = ["ApplyToKeys"]
