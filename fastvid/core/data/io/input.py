"""``flash.core.data.io.input``."""

from fastvid.data.keys import DataKeys

# flash-datamodule (issue 20 item 4) adds Flash's ``Input`` base class;
# re-export it here once that branch is merged:
# from fastvid.integrations.inputs import VideoClassificationInput as Input
# (or the base class it adds, if any)

__all__ = ["DataKeys"]
