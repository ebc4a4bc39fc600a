"""The earlier path of :mod:`fastvid.integrations.flash.outputs`.

Kept so that code importing it from here keeps working; the code lives in the new room.
"""

from fastvid.integrations.flash.outputs import (
    BASE_OUTPUTS,
    CLASSIFICATION_OUTPUTS,
    ClassesOutput,
    ClassificationOutput,
    FiftyOneLabelsOutput,
    LabelsOutput,
    LogitsOutput,
    Output,
    OutputRegistry,
    PredsClassificationOutput,
    PredsOutput,
    ProbabilitiesOutput,
    RawOutput,
)

__all__ = [
    "BASE_OUTPUTS",
    "CLASSIFICATION_OUTPUTS",
    "ClassesOutput",
    "ClassificationOutput",
    "FiftyOneLabelsOutput",
    "LabelsOutput",
    "LogitsOutput",
    "Output",
    "OutputRegistry",
    "PredsClassificationOutput",
    "PredsOutput",
    "ProbabilitiesOutput",
    "RawOutput",
]
