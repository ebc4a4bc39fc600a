"""``flash.video.classification.data``."""

from fastvid.integrations.datamodule import VideoClassificationData

__all__ = ["VideoClassificationData"]
