"""``flash.video.classification.input``: Flash's input classes."""

from fastvid.integrations.flash.inputs import (
    LabelStudioVideoClassificationInput,
    VideoClassificationCSVInput,
    VideoClassificationCSVPredictInput,
    VideoClassificationDataFrameInput,
    VideoClassificationDataFramePredictInput,
    VideoClassificationFiftyOneInput,
    VideoClassificationFiftyOnePredictInput,
    VideoClassificationFilesInput,
    VideoClassificationFoldersInput,
    VideoClassificationInput,
    VideoClassificationPathsPredictInput,
    VideoClassificationTensorsInput,
    VideoClassificationTensorsPredictInput,
)

__all__ = [
    "LabelStudioVideoClassificationInput",
    "VideoClassificationCSVInput",
    "VideoClassificationCSVPredictInput",
    "VideoClassificationDataFrameInput",
    "VideoClassificationDataFramePredictInput",
    "VideoClassificationFiftyOneInput",
    "VideoClassificationFiftyOnePredictInput",
    "VideoClassificationFilesInput",
    "VideoClassificationFoldersInput",
    "VideoClassificationInput",
    "VideoClassificationPathsPredictInput",
    "VideoClassificationTensorsInput",
    "VideoClassificationTensorsPredictInput",
]
