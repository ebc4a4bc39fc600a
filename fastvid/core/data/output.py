"""``flash.core.data.output``."""

from fastvid.integrations.flash.outputs import BASE_OUTPUTS, PredsOutput, RawOutput

__all__ = ["BASE_OUTPUTS", "PredsOutput", "RawOutput"]
