"""The earlier path of :mod:`fastvid.integrations.flash.inputs`.

Kept so that code importing it from here keeps working; the code lives in the new room.
"""

from fastvid.integrations.flash.inputs import (
    LabelStudioVideoClassificationInput,
    TensorClipLoader,
    TensorVideoDataset,
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
    check_input_cls,
)

__all__ = [
    "LabelStudioVideoClassificationInput",
    "TensorClipLoader",
    "TensorVideoDataset",
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
    "check_input_cls",
]
