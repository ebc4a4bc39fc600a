"""``flash.core.data.io.input``."""

from fastvid.data.keys import DataKeys

# flash-datamodule (issue 20 item 4) adds Flash's ``Input`` base class; re-export it here:
# from <its module> import Input

__all__ = ["DataKeys"]
