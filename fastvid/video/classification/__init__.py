"""``flash.video.classification``."""

from fastvid.integrations.flash.datamodule import VideoClassificationData
from fastvid.models.classifier import VideoClassifier

__all__ = ["VideoClassificationData", "VideoClassifier"]
