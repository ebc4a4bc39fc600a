"""``flash.core.data.io.output``."""

from fastvid.models.outputs import Output

__all__ = ["Output"]
