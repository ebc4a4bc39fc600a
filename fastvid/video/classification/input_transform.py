"""``flash.video.classification.input_transform``."""

from fastvid.integrations.flash.input_transform import VideoClassificationInputTransform

__all__ = ["VideoClassificationInputTransform"]
