"""The earlier path of :mod:`fastvid.integrations.flash.input_transform`.

Kept so that code importing it from here keeps working; the code lives in the new room.
"""

from fastvid.integrations.flash.input_transform import (
    ApplyToKeys,
    InputTransform,
    InputTransformCollate,
    VideoClassificationInputTransform,
    resolve_input_transform,
    stage_transform_dict,
)

__all__ = [
    "ApplyToKeys",
    "InputTransform",
    "InputTransformCollate",
    "VideoClassificationInputTransform",
    "resolve_input_transform",
    "stage_transform_dict",
]
