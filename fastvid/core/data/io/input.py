"""``flash.core.data.io.input``."""

from fastvid.data.keys import DataKeys
from fastvid.integrations.flash.inputs import VideoClassificationInput as Input

__all__ = ["DataKeys", "Input"]
