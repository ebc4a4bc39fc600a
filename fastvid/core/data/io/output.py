"""``flash.core.data.io.output``."""

from fastvid.integrations.flash.outputs import Output

__all__ = ["Output"]
