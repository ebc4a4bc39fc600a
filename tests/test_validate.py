"""The shared argument checks: what they accept, and messages that repeat the bad value."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from fastvid._validate import (
    check_bool,
    check_callable,
    check_choice,
    check_int,
    check_int_pair,
    check_optional_int,
    check_positive_int,
    check_positive_real,
    check_real,
    check_type,
)


def test_check_int_accepts_numpy_ints_and_returns_python_ints() -> None:
    value = check_int("n", np.int64(3), minimum=0)
    assert value == 3 and type(value) is int
    assert check_positive_int("n", 1) == 1


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (True, TypeError, r"^n must be an int, got bool True$"),
        (2.5, TypeError, r"^n must be an int, got float 2\.5$"),
        ("3", TypeError, r"^n must be an int, got str '3'$"),
        (0, ValueError, r"^n \(0\) must be >= 1$"),
    ],
)
def test_check_positive_int_rejects(value: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        check_positive_int("n", value)


def test_check_int_hint_follows_the_range() -> None:
    with pytest.raises(ValueError, match=r"^w \(-1\) must be >= 0 \(0: inline\)$"):
        check_int("w", -1, minimum=0, hint=" (0: inline)")


def test_check_int_pair_accepts_two_ints_and_returns_python_ints() -> None:
    pair = check_int_pair("size", [np.int32(64), 48], what="a (width, height) tuple of ints")
    assert pair == (64, 48) and all(type(v) is int for v in pair)


@pytest.mark.parametrize("value", [(1, 2, 3), (1.0, 2), (True, 2), "ab", None])
def test_check_int_pair_rejects(value: object) -> None:
    with pytest.raises(TypeError, match=r"^size must be a pair of ints, got "):
        check_int_pair("size", value, what="a pair of ints")


def test_check_optional_int() -> None:
    assert check_optional_int("w", None) is None
    assert check_optional_int("w", 4, minimum=0) == 4
    with pytest.raises(TypeError, match=r"^w must be an int or None, got float 1\.0$"):
        check_optional_int("w", 1.0)
    with pytest.raises(ValueError, match=r"^w \(-2\) must be >= 0$"):
        check_optional_int("w", -2, minimum=0)


def test_check_real_keeps_fractions_exact() -> None:
    assert check_real("d", Fraction(1, 3)) == Fraction(1, 3)
    assert check_positive_real("d", 0.5) == 0.5
    with pytest.raises(ValueError, match=r"^d \(inf\) must be finite$"):
        check_real("d", float("inf"))
    with pytest.raises(TypeError, match=r"^d must be a real number .*, got bool False$"):
        check_real("d", False)
    with pytest.raises(ValueError, match=r"^d \(0\) must be > 0 seconds$"):
        check_positive_real("d", 0, unit=" seconds")


def test_check_bool() -> None:
    assert check_bool("flag", False) is False
    with pytest.raises(TypeError, match=r"^flag must be True or False, got int 1$"):
        check_bool("flag", 1)


def test_check_choice_lists_the_choices_and_suggests_one() -> None:
    assert check_choice("device", "cpu", ("auto", "gpu", "cpu")) == "cpu"
    with pytest.raises(
        ValueError,
        match=r"^device \('cpuu'\) must be one of \['auto', 'gpu', 'cpu'\]; did you mean 'cpu'\?$",
    ):
        check_choice("device", "cpuu", ("auto", "gpu", "cpu"))
    with pytest.raises(ValueError, match=r"^reduce \(\[1\]\) must be one of \['mean'\]$"):
        check_choice("reduce", [1], {"mean": None})


def test_check_type_and_callable() -> None:
    assert check_type("x", 3, (int, str)) == 3
    with pytest.raises(TypeError, match=r"^x must be int or str, got bool True$"):
        check_type("x", True, (int, str))
    with pytest.raises(TypeError, match=r"^x must be a path, got int 3$"):
        check_type("x", 3, str, what="a path")
    assert check_callable("f", len) is len
    with pytest.raises(TypeError, match=r"^f must be callable, got int 3$"):
        check_callable("f", 3)
