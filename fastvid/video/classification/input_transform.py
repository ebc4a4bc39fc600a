"""``flash.video.classification.input_transform``."""

from fastvid.integrations.input_transform import VideoClassificationInputTransform

__all__ = ["VideoClassificationInputTransform"]
