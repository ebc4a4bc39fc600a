"""``flash.video.classification.model``."""

from fastvid.models.classifier import VideoClassifier

__all__ = ["VideoClassifier"]
