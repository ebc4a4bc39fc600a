"""``flash.video.classification.data``."""

from fastvid.integrations.flash.datamodule import VideoClassificationData

__all__ = ["VideoClassificationData"]
