"""DataKeys: Flash's sample keys, interchangeable with the plain strings."""

from __future__ import annotations

from fastvid.data.keys import DataKeys


def test_values_are_flashs() -> None:
    assert [k.value for k in DataKeys] == ["input", "preds", "target", "metadata"]


def test_keys_index_dicts_like_their_strings() -> None:
    sample = {"input": 1, "target": 2}
    assert sample[DataKeys.INPUT] == 1 and sample[DataKeys.TARGET] == 2
    by_enum = {DataKeys.PREDS: 3}
    assert by_enum["preds"] == 3
    assert DataKeys.METADATA == "metadata" and str(DataKeys.METADATA) == "metadata"
    assert f"{DataKeys.INPUT}" == "input"
