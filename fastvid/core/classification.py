"""``flash.core.classification``: the classification outputs."""

from fastvid.integrations.flash.outputs import (
    CLASSIFICATION_OUTPUTS,
    ClassesOutput,
    ClassificationOutput,
    FiftyOneLabelsOutput,
    LabelsOutput,
    LogitsOutput,
    PredsClassificationOutput,
    ProbabilitiesOutput,
)

__all__ = [
    "CLASSIFICATION_OUTPUTS",
    "ClassesOutput",
    "ClassificationOutput",
    "FiftyOneLabelsOutput",
    "LabelsOutput",
    "LogitsOutput",
    "PredsClassificationOutput",
    "ProbabilitiesOutput",
]
