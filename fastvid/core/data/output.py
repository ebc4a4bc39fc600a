"""``flash.core.data.output``."""

from fastvid.models.outputs import BASE_OUTPUTS, PredsOutput, RawOutput

__all__ = ["BASE_OUTPUTS", "PredsOutput", "RawOutput"]
