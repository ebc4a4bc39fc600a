"""The earlier path of :mod:`fastvid.integrations.flash.target_formatters`.

Kept so that code importing it from here keeps working; the code lives in the new room.
"""

from fastvid.integrations.flash.target_formatters import (
    CommaDelimitedMultiLabelTargetFormatter,
    MultiBinaryTargetFormatter,
    MultiLabelTargetFormatter,
    MultiNumericTargetFormatter,
    MultiSoftTargetFormatter,
    SingleBinaryTargetFormatter,
    SingleLabelTargetFormatter,
    SingleNumericTargetFormatter,
    SpaceDelimitedTargetFormatter,
    TargetFormatter,
    as_target_format,
)

__all__ = [
    "CommaDelimitedMultiLabelTargetFormatter",
    "MultiBinaryTargetFormatter",
    "MultiLabelTargetFormatter",
    "MultiNumericTargetFormatter",
    "MultiSoftTargetFormatter",
    "SingleBinaryTargetFormatter",
    "SingleLabelTargetFormatter",
    "SingleNumericTargetFormatter",
    "SpaceDelimitedTargetFormatter",
    "TargetFormatter",
    "as_target_format",
]
