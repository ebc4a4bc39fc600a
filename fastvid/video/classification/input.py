"""``flash.video.classification.input``."""

# flash-datamodule (issue 20 item 4) adds Flash's input classes (``VideoClassificationInput``,
# ``VideoClassificationFoldersInput``, ``VideoClassificationFilesInput``,
# ``VideoClassificationDataFrameInput``, ``VideoClassificationCSVInput``,
# ``VideoClassificationFiftyOneInput``, ``VideoClassificationTensorsInput``, the ``*PredictInput``
# classes); re-export them here:
# from <its module> import ...

__all__: list[str] = []
