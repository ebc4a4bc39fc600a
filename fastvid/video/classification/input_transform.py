"""``flash.video.classification.input_transform``."""

# flash-datamodule (issue 20 item 4) adds ``VideoClassificationInputTransform``; re-export it:
# from <its module> import VideoClassificationInputTransform

__all__: list[str] = []
