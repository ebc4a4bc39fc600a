"""``flash.core.data.io.input_transform``."""

from fastvid.integrations.flash.input_transform import InputTransform

__all__ = ["InputTransform"]
