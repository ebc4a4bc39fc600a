"""``flash.core.data.io.input_transform``."""

# flash-datamodule (issue 20 item 4) adds Flash's ``InputTransform``;
# re-export it here once that branch is merged:
# from fastvid.integrations.input_transform import InputTransform

__all__: list[str] = []
