"""Flash's prediction outputs: each one's formula, the registry, the fiftyone labels."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from fastvid._optional import FIFTYONE_AVAILABLE
from fastvid.data.keys import DataKeys
from fastvid.integrations.flash.outputs import (
    BASE_OUTPUTS,
    CLASSIFICATION_OUTPUTS,
    ClassesOutput,
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

LOGITS = torch.tensor([0.5, 2.0, -1.0])
LABELS = ["cat", "dog", "fox"]


class Task:
    """What ``from_task`` reads from a model."""

    def __init__(self, labels: list[str] | None = None, multi_label: bool = False) -> None:
        self.labels = labels
        self.multi_label = multi_label


def sample(logits: torch.Tensor = LOGITS) -> dict[str, Any]:
    return {DataKeys.INPUT.value: torch.zeros(3, 2, 4, 4), DataKeys.PREDS.value: logits}


def test_registry_names_are_flashs() -> None:
    registry = CLASSIFICATION_OUTPUTS + BASE_OUTPUTS
    assert registry.available_keys() == [
        "classes",
        "fiftyone",
        "labels",
        "logits",
        "preds",
        "probabilities",
        "raw",
    ]
    assert registry.get("preds") is PredsClassificationOutput  # the classification entry first
    assert BASE_OUTPUTS.get("preds") is PredsOutput
    assert registry.get("raw") is RawOutput
    assert "labels" in registry and "nope" not in registry


def test_unknown_name_lists_close_matches() -> None:
    with pytest.raises(
        KeyError,
        match=r"unknown output 'label'; did you mean \['labels'\]\? available: \['classes'",
    ):
        (CLASSIFICATION_OUTPUTS + BASE_OUTPUTS).get("label")


def test_register_a_new_output() -> None:
    registry = OutputRegistry("mine")

    @registry(name="double")
    class Double(Output):
        def transform(self, sample: Any) -> Any:
            return sample * 2

    assert registry.get("double")()(3) == 6


@pytest.mark.parametrize("given", [sample(), LOGITS, LOGITS.tolist()])
def test_single_label_outputs_follow_the_logits(given: Any) -> None:
    probabilities = ProbabilitiesOutput()(given)
    expected = torch.softmax(LOGITS, -1)
    assert probabilities == pytest.approx(expected.tolist())
    assert sum(probabilities) == pytest.approx(1.0)
    assert LogitsOutput()(given) == pytest.approx(LOGITS.tolist())
    assert ClassesOutput()(given) == 1
    assert LabelsOutput(LABELS)(given) == "dog"
    torch.testing.assert_close(PredsClassificationOutput()(given), torch.as_tensor(LOGITS))


def test_multi_label_outputs_threshold_each_sigmoid() -> None:
    logits = torch.tensor([1.0, -2.0, 0.3])  # sigmoid: 0.73, 0.12, 0.57
    assert ProbabilitiesOutput(multi_label=True)(logits) == pytest.approx(
        torch.sigmoid(logits).tolist()
    )
    assert ClassesOutput(multi_label=True)(logits) == [0, 2]
    assert ClassesOutput(multi_label=True, threshold=0.6)(logits) == [0]
    assert LabelsOutput(LABELS, multi_label=True)(logits) == ["cat", "fox"]


def test_labels_without_labels_act_as_classes_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="act as a Classes output"):
        assert LabelsOutput()(LOGITS) == 1


def test_from_task_reads_labels_and_multi_label() -> None:
    labels = LabelsOutput.from_task(Task(LABELS, multi_label=True))
    assert isinstance(labels, LabelsOutput) and labels.multi_label
    assert labels(torch.tensor([3.0, 3.0, -3.0])) == ["cat", "dog"]
    assert ProbabilitiesOutput.from_task(Task()).multi_label is False


def test_raw_and_base_preds() -> None:
    given = sample()
    assert RawOutput()(given) is given
    assert PredsOutput()(given) is given["preds"]
    assert PredsOutput()(5) == 5


@pytest.mark.skipif(not FIFTYONE_AVAILABLE, reason="fiftyone is not installed")
def test_fiftyone_output_builds_fiftyone_labels() -> None:
    import fiftyone.core.labels as fol

    given = {**sample(), "metadata": {"filepath": "/videos/a.mp4"}}
    out = FiftyOneLabelsOutput(LABELS, store_logits=True)(given)
    assert out["filepath"] == "/videos/a.mp4"
    label = out["predictions"]
    assert isinstance(label, fol.Classification) and label.label == "dog"
    assert label.confidence == pytest.approx(torch.softmax(LOGITS, -1).max().item())
    assert label.logits == pytest.approx(LOGITS.tolist())
    assert FiftyOneLabelsOutput(LABELS, threshold=0.99, return_filepath=False)(given) is None
    multi = FiftyOneLabelsOutput(LABELS, multi_label=True, return_filepath=False)(
        torch.tensor([1.0, -2.0, 0.3])
    )
    assert isinstance(multi, fol.Classifications)
    assert [c.label for c in multi.classifications] == ["cat", "fox"]


@pytest.mark.skipif(not FIFTYONE_AVAILABLE, reason="fiftyone is not installed")
def test_fiftyone_output_needs_a_file_path_or_return_filepath_false() -> None:
    with pytest.raises(ValueError, match="return_filepath=False"):
        FiftyOneLabelsOutput(LABELS)(sample())
