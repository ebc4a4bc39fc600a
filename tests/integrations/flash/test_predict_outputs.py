"""Flash's prediction structure: uncollating, Flash's batch dict, the predict_step wrapper."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from fastvid.integrations.flash.outputs import LabelsOutput, ProbabilitiesOutput
from fastvid.integrations.flash.predict_outputs import flash_batch, resolve_output, uncollate


def test_uncollate_splits_dicts_and_sequences_like_flash() -> None:
    batch = {"preds": torch.eye(2), "video_name": ["a.mp4", "b.mp4"]}
    samples = uncollate(batch)
    assert [s["video_name"] for s in samples] == ["a.mp4", "b.mp4"]
    torch.testing.assert_close(samples[1]["preds"], torch.tensor([0.0, 1.0]))
    assert uncollate((1, 2)) == [1, 2] and len(uncollate(torch.zeros(3, 2))) == 3


@pytest.mark.parametrize(
    ("batch", "match"),
    [
        ({"a": [1, 2], "b": [1]}, "same length"),
        ({"a": "xy"}, "list-like"),
        (5, "dict or list-like"),
    ],
)
def test_uncollate_refuses_what_flash_refuses(batch: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        uncollate(batch)


def test_flash_batch_from_a_fastvid_batch() -> None:
    video = torch.zeros(2, 3, 2, 4, 4)
    batch = {
        "video": video,
        "label": torch.tensor([0, 1]),
        "video_name": ["a.mp4", "b.mp4"],
        "video_index": torch.tensor([1, 0]),
        "clip_index": torch.tensor([0, 0]),
        "aug_index": torch.tensor([0, 0]),
    }
    logits = torch.randn(2, 3)
    out = flash_batch(batch, {"logits": logits, "probabilities": logits.softmax(-1)}, ["x", "y"])
    assert set(out) == {
        "input",
        "preds",
        "video_name",
        "video_index",
        "clip_index",
        "aug_index",
        "metadata",
    }
    assert torch.equal(out["input"], video) and torch.equal(out["preds"], logits)
    assert out["metadata"] == [{"filepath": "y"}, {"filepath": "x"}]  # by video_index
    assert "label" not in out  # Flash's predict samples carry no target


def test_flash_batch_keeps_a_flash_style_prediction_and_takes_a_tensor() -> None:
    flash_style = {"input": torch.zeros(1), "preds": torch.zeros(1, 2)}
    assert flash_batch({}, flash_style) == flash_style
    logits = torch.ones(1, 2)
    assert torch.equal(flash_batch({"input": torch.zeros(1, 3)}, logits)["preds"], logits)
    with pytest.raises(ValueError, match="'logits'"):
        flash_batch({}, {"probabilities": logits})


class Model:
    labels = ("a", "b")
    multi_label = False


def test_resolve_output_by_name_instance_or_type_error() -> None:
    output = resolve_output("labels", Model())
    assert isinstance(output, LabelsOutput) and output(torch.tensor([0.0, 1.0])) == "b"
    mine = ProbabilitiesOutput()
    assert resolve_output(mine, Model()) is mine
    with pytest.raises(KeyError, match=r"did you mean \['probabilities'\]"):
        resolve_output("probabilty", Model())
    with pytest.raises(TypeError, match="output must be"):
        resolve_output(3, Model())  # type: ignore[arg-type]
