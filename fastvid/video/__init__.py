"""Flash's ``flash.video`` namespace.

``from fastvid.video import VideoClassificationData, VideoClassifier``.
"""

from __future__ import annotations

from fastvid.integrations.flash.datamodule import VideoClassificationData
from fastvid.models.classifier import VideoClassifier

__all__ = ["VideoClassificationData", "VideoClassifier"]
