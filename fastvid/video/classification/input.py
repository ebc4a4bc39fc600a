"""``flash.video.classification.input``."""

# flash-datamodule (issue 20 item 4) adds Flash's input classes (``VideoClassificationInput``,
# ``VideoClassificationFoldersInput``, ``VideoClassificationFilesInput``,
# ``VideoClassificationDataFrameInput``, ``VideoClassificationCSVInput``,
# ``VideoClassificationFiftyOneInput``, ``VideoClassificationTensorsInput``, the ``*PredictInput``
# classes);
# re-export them here once that branch is merged:
# from fastvid.integrations.inputs import VideoClassificationCSVInput, ...  (its __all__)

__all__: list[str] = []
