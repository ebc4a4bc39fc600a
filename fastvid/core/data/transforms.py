"""``flash.core.data.transforms``."""

# flash-datamodule (issue 20 item 4) adds Flash's ``ApplyToKeys``;
# re-export it here once that branch is merged:
# from fastvid.integrations.input_transform import ApplyToKeys

__all__: list[str] = []
