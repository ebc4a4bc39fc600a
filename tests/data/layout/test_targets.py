"""Flash's classification target formats: inference, merging, classes and formatting.

The expected values are the examples of Flash's own docstrings
(``flash/core/data/utilities/classification.py``), which document its behaviour.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from fastvid.data.layout import TargetFormat, infer_target_format
from fastvid.data.layout._targets import natural_sorted


@pytest.mark.parametrize(
    ("targets", "kind", "classes", "multi_label"),
    [
        (["blue", "green", "red"], "single_label", ("blue", "green", "red"), False),
        ([0, 1, 2], "single_numeric", ("0", "1", "2"), False),
        ([[1, 0, 0], [0, 1, 0], [0, 0, 1]], "single_binary", ("0", "1", "2"), False),
        (["blue,green", "red"], "comma_delimited", ("blue", "green", "red"), True),
        (["blue green", "red"], "space_delimited", ("blue", "green", "red"), True),
        ([["blue", "green"], ["red"]], "multi_label", ("blue", "green", "red"), True),
        ([[0, 1], [2]], "multi_numeric", ("0", "1", "2"), True),
        ([[1, 1, 0], [0, 0, 1]], "multi_binary", ("0", "1", "2"), True),
        ([[0.1, 0, 0], [0.9, 0.7, 0]], "multi_soft", ("0", "1", "2"), True),
    ],
)
def test_flash_target_formats(
    targets: list[Any], kind: str, classes: tuple[str, ...], multi_label: bool
) -> None:
    fmt = infer_target_format(targets)
    assert (fmt.kind, fmt.classes, fmt.multi_label) == (kind, classes, multi_label)


def test_formats_merge_as_flash_merges_them() -> None:
    assert infer_target_format(["cat", "cat,dog"]).kind == "comma_delimited"
    assert infer_target_format(["cat", "cat dog"]).kind == "space_delimited"
    assert infer_target_format([[0, 1], [1, 1]]).kind == "multi_binary"  # one-hot + multi-hot
    assert infer_target_format([[0, 1, 0], [0, 2]]).kind == "multi_numeric"
    assert infer_target_format([0, [1, 2]]).kind == "multi_numeric"
    # 0/1 lists of different lengths are class indices, not one-hot vectors.
    fmt = infer_target_format([[1, 0], [0, 1, 1]])
    assert (fmt.kind, fmt.classes) == ("multi_numeric", ("0", "1"))


def test_formatting_matches_flash_docstrings() -> None:
    names = TargetFormat("comma_delimited", ("bird", "cat", "dog"))
    assert names.format("cat,dog") == (0.0, 1.0, 1.0)
    assert names.format("bird") == (1.0, 0.0, 0.0)
    assert names.format("cat, dog,") == (0.0, 1.0, 1.0)  # Flash strips ", " around names
    assert TargetFormat("space_delimited", ("bird", "cat", "dog")).format("cat dog") == (
        0.0,
        1.0,
        1.0,
    )
    assert TargetFormat("multi_label", ("bird", "cat", "dog")).format(["bird"]) == (1, 0, 0)
    assert TargetFormat("single_label", ("cat", "dog")).format("cat") == 0
    assert TargetFormat("single_label", ("cat", "dog")).format(["dog"]) == 1
    numbers = TargetFormat("multi_numeric", tuple(str(i) for i in range(10)))
    assert numbers.format([2, 5]) == (0, 0, 1, 0, 0, 1, 0, 0, 0, 0)
    assert numbers.format(torch.tensor([2, 5])) == numbers.format(np.array([2, 5]))
    assert TargetFormat("single_numeric", tuple("0123456789")).format([5]) == 5
    binary = TargetFormat("single_binary", ("a", "b"))
    assert binary.format([1, 0]) == 0 and binary.format(torch.tensor([0, 1])) == 1
    soft = TargetFormat("multi_soft", ("a", "b", "c"))
    assert soft.format([0.1, 0.9, 0.6]) == (0.1, 0.9, 0.6)


def test_classes_are_in_natural_order() -> None:
    assert natural_sorted(["class_1", "class_11", "class_2"]) == ["class_1", "class_2", "class_11"]
    fmt = infer_target_format(["c10", "c2", "c1,c2"])
    assert fmt.classes == ("c1", "c2", "c10")


def test_column_names_name_binary_classes() -> None:
    fields = ["cat", "dog", "eel"]
    assert infer_target_format([[1, 0, 1], [0, 1, 0]], fields=fields).classes == tuple(fields)
    assert infer_target_format([[1, 0, 0], [0, 1, 0]], fields=fields).classes == tuple(fields)


def test_numpy_and_pandas_scalars_and_integral_floats() -> None:
    fmt = infer_target_format([np.int64(0), np.int64(2), 1.0])
    assert fmt.kind == "single_numeric" and fmt.classes == ("0", "1", "2")
    assert fmt.format(np.int64(2)) == 2 and fmt.format(1.0) == 1


def test_mixed_formats_name_both_rows() -> None:
    with pytest.raises(
        ValueError, match=r"mix formats: 'cat' \(row 0\) is a class name, 3 \(row 2\)"
    ):
        infer_target_format(["cat", "dog", 3])
    with pytest.raises(ValueError, match=r"mix formats.*\(line 4\) is a list of class names"):
        infer_target_format([0, ["a"]], [" (line 3)", " (line 4)"])


def test_bad_targets_are_named() -> None:
    with pytest.raises(ValueError, match=r"target \(row 1\) is empty"):
        infer_target_format(["cat", float("nan")])
    with pytest.raises(ValueError, match=r"target \(row 0\) is empty"):
        infer_target_format([" "])
    with pytest.raises(ValueError, match=r"1.5 \(row 0\) is not a class index"):
        infer_target_format([1.5])
    with pytest.raises(ValueError, match=r"-1 \(row 0\) is negative"):
        infer_target_format([-1, 2])
    with pytest.raises(ValueError, match=r"different lengths \[2, 3\]"):
        infer_target_format([[0.5, 0.5], [0.1, 0.2, 0.7]])
    with pytest.raises(TypeError, match="has type dict"):
        infer_target_format([{"a": 1}])
    with pytest.raises(ValueError, match="no targets"):
        infer_target_format([])


def test_another_stage_is_read_in_the_first_stage_format() -> None:
    single = infer_target_format(["cat", "dog"])
    with pytest.raises(ValueError, match=r"unknown class 'cat,dog' \(row 4\); the classes are"):
        single.format("cat,dog", " (row 4)")
    with pytest.raises(ValueError, match=r"unknown class 'eel'"):
        single.format("eel")
    numeric = infer_target_format([0, 1])
    with pytest.raises(ValueError, match=r"class index 2 \(row 0\) is out of range"):
        numeric.format(2, " (row 0)")
    hot = infer_target_format([[1, 0, 1]])
    with pytest.raises(ValueError, match=r"must be a list of 3 numbers"):
        hot.format([1, 0])
    # A multi-label first stage reads a later single name as a one-class multi-hot vector.
    assert infer_target_format(["a,b"]).format("b") == (0.0, 1.0)
