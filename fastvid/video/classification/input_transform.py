"""``flash.video.classification.input_transform``."""

# flash-datamodule (issue 20 item 4) adds ``VideoClassificationInputTransform``;
# re-export it here once that branch is merged:
# from fastvid.integrations.input_transform import VideoClassificationInputTransform

__all__: list[str] = []
