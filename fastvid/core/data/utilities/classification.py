"""``flash.core.data.utilities.classification``: Flash's target formatters."""

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
]
