"""Classification targets in Lightning Flash's formats: which format a column holds, its classes,
and each target as a class index or a multi-hot vector.

Flash (``flash.core.data.utilities.classification``) accepts, and this module reads the same way:

======================  ==========================  =====================================
format                  example targets             classes
======================  ==========================  =====================================
``single_label``        ``"cat"``, ``"dog"``        the names, in natural order
``single_numeric``      ``0``, ``2``                ``"0" .. str(max)``
``single_binary``       ``[0, 1, 0]`` (one-hot)     the target columns, else ``"0" ..``
``comma_delimited``     ``"cat,dog"``               the names, in natural order
``space_delimited``     ``"cat dog"``               the names, in natural order
``multi_label``         ``["cat", "dog"]``          the names, in natural order
``multi_numeric``       ``[0, 2]``                  ``"0" .. str(max)``
``multi_binary``        ``[1, 0, 1]`` (multi-hot)   the target columns, else ``"0" ..``
``multi_soft``          ``[0.2, 0.0, 0.9]``         the target columns, else ``"0" ..``
======================  ==========================  =====================================

Every row's format is found on its own (a string with a comma is ``comma_delimited``, one with a
space ``space_delimited``; a 0/1 list with one 1 is ``single_binary``, ...), then the formats of
all rows are merged as Flash merges them (``"cat"`` and ``"cat,dog"`` give ``comma_delimited``;
``[0, 1]`` and ``[1, 1]`` give ``multi_binary``); formats that do not merge are an error. The
last five formats are multi-label: their targets are vectors of one float per class.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any, Literal

__all__ = ["TargetFormat", "infer_target_format", "natural_sorted"]

TargetKind = Literal[
    "single_label",
    "single_numeric",
    "single_binary",
    "comma_delimited",
    "space_delimited",
    "multi_label",
    "multi_numeric",
    "multi_binary",
    "multi_soft",
]

_MULTI_LABEL: frozenset[str] = frozenset(
    {
        "comma_delimited",
        "space_delimited",
        "multi_label",
        "multi_numeric",
        "multi_binary",
        "multi_soft",
    }
)
_NUMERIC: frozenset[str] = frozenset({"single_numeric", "multi_numeric"})
_VECTOR: frozenset[str] = frozenset({"single_binary", "multi_binary", "multi_soft"})

# Flash's ``_RESOLUTION_MAPPING``: a format and one it may be merged into.
_MERGES_INTO: dict[str, tuple[str, ...]] = {
    "multi_binary": ("multi_numeric", "multi_soft"),
    "single_binary": ("multi_binary", "multi_numeric", "multi_soft"),
    "single_label": ("comma_delimited", "space_delimited"),
    "single_numeric": ("single_binary", "multi_numeric"),
}

_DESCRIPTION: dict[str, str] = {
    "single_label": "a class name",
    "single_numeric": "a class index",
    "single_binary": "a one-hot list",
    "comma_delimited": "comma-separated class names",
    "space_delimited": "space-separated class names",
    "multi_label": "a list of class names",
    "multi_numeric": "a list of class indices",
    "multi_binary": "a multi-hot list",
    "multi_soft": "a list of soft (float) targets",
}


def natural_sorted(names: Sequence[str]) -> list[str]:
    """Sort as people read numbers (Flash's ``sorted_alphanumeric``): ``c2`` before ``c10``."""

    def key(name: str) -> list[int | str]:
        return [int(part) if part.isdigit() else part for part in re.split("([0-9]+)", name)]

    return sorted(names, key=key)


def _strip(value: str) -> str:
    return value.strip(", ")


def _as_list(value: Any) -> list[Any] | None:
    """``value`` as a list if it is list-like (list, tuple, NumPy array, tensor), else ``None``."""
    if isinstance(value, str | bytes):
        return None
    if hasattr(value, "tolist") and getattr(value, "ndim", 1) >= 1:
        result = value.tolist()
        return result if isinstance(result, list) else None
    if isinstance(value, list | tuple):
        return list(value)
    return None


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not _strip(value)


def _class_index(value: Any, where: str) -> int:
    """An integer class index from an int, a bool or an integral float."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Real) and float(value).is_integer():
        index = int(float(value))
    else:
        raise ValueError(f"target {value!r}{where} is not a class index (a whole number >= 0)")
    if index < 0:
        raise ValueError(f"target {value!r}{where} is negative; class indices start at 0")
    return index


def _kind_of(target: Any, where: str) -> str:
    """Flash's ``_get_target_formatter_type`` for one target."""
    if _is_missing(target):
        raise ValueError(f"the target{where} is empty; give every row a target")
    if isinstance(target, str):
        text = _strip(target)
        if "," in text:
            return "comma_delimited"
        if " " in text:
            return "space_delimited"
        return "single_label"
    values = _as_list(target)
    if values is not None:
        if not values:
            raise ValueError(f"the target{where} is an empty list; give every row a target")
        if isinstance(values[0], str):
            return "multi_label"
        if len(values) > 1:
            if all(isinstance(v, numbers.Real) and v in (0, 1) for v in values):
                return "single_binary" if sum(values) == 1 else "multi_binary"
            if any(isinstance(v, float) for v in values):
                return "multi_soft"
            return "multi_numeric"
        _class_index(values[0], where)
        return "single_numeric"
    if isinstance(target, numbers.Real):
        _class_index(target, where)
        return "single_numeric"
    raise TypeError(
        f"target {target!r}{where} has type {type(target).__name__}; a target is a class name, "
        "a class index, a list of either, or a one-hot / multi-hot list"
    )


def _merge(a: str, b: str) -> str | None:
    if a == b:
        return a
    if b in _MERGES_INTO.get(a, ()):
        return b
    if a in _MERGES_INTO.get(b, ()):
        return a
    return None


@dataclass(frozen=True)
class TargetFormat:
    """How a table's targets are read: their format (see the module doc) and the class names.

    Attributes:
        kind: The format, e.g. ``"single_label"`` or ``"multi_binary"``.
        classes: Class names, in label order.
    """

    kind: TargetKind
    classes: tuple[str, ...]

    @property
    def multi_label(self) -> bool:
        """Whether targets are vectors with one value per class (several classes per video)."""
        return self.kind in _MULTI_LABEL

    def format(self, target: Any, where: str = "") -> int | tuple[float, ...]:
        """``target`` as a class index (single-label formats) or one float per class.

        Args:
            target: One row's target, in this format.
            where: Appended to error messages to say which row (e.g. ``" (row 3 of x.csv)"``).

        Raises:
            ValueError: An empty target, an unknown class name, an index out of range or a
                vector of the wrong length.
        """
        if _is_missing(target):
            raise ValueError(f"the target{where} is empty; give every row a target")
        return _FORMATTERS[self.kind](self, target, where)

    # -- one function per kind ------------------------------------------------------------
    def _name_index(self, name: Any, where: str) -> int:
        text = _strip(name) if isinstance(name, str) else str(name)
        try:
            return self.classes.index(text)
        except ValueError:
            raise ValueError(
                f"unknown class {text!r}{where}; the classes are {list(self.classes)} "
                "(taken from the first stage's targets)"
            ) from None

    def _index(self, value: Any, where: str) -> int:
        index = _class_index(value, where)
        if index >= len(self.classes):
            raise ValueError(
                f"class index {index}{where} is out of range: there are {len(self.classes)} "
                f"classes {list(self.classes)}"
            )
        return index

    def _vector(self, target: Any, where: str) -> list[Any]:
        values = _as_list(target)
        if values is None or len(values) != len(self.classes):
            raise ValueError(
                f"target {target!r}{where} must be a list of {len(self.classes)} numbers, one per "
                f"class {list(self.classes)}"
            )
        if not all(isinstance(v, numbers.Real) and not _is_missing(v) for v in values):
            raise ValueError(f"target {target!r}{where} must hold numbers only")
        return values

    def _tokens(self, target: Any) -> list[Any]:
        if isinstance(target, str):
            separator = {"comma_delimited": ",", "space_delimited": " "}.get(self.kind)
            parts = _strip(target).split(separator) if separator else [target]
            return [part for part in parts if _strip(part)]
        values = _as_list(target)
        return values if values is not None else [target]

    def _multi_hot(self, indices: list[int]) -> tuple[float, ...]:
        hot = [0.0] * len(self.classes)
        for index in indices:
            hot[index] = 1.0
        return tuple(hot)


def _single_label(fmt: TargetFormat, target: Any, where: str) -> int:
    values = _as_list(target)
    return fmt._name_index(values[0] if values else target, where)


def _single_numeric(fmt: TargetFormat, target: Any, where: str) -> int:
    values = _as_list(target)
    return fmt._index(values[0] if values else target, where)


def _single_binary(fmt: TargetFormat, target: Any, where: str) -> int:
    values = fmt._vector(target, where)
    # Flash's SingleBinaryTargetFormatter: the first 1, class 0 when there is none.
    return next((i for i, v in enumerate(values) if v == 1), 0)


def _names(fmt: TargetFormat, target: Any, where: str) -> tuple[float, ...]:
    return fmt._multi_hot([fmt._name_index(name, where) for name in fmt._tokens(target)])


def _numbers(fmt: TargetFormat, target: Any, where: str) -> tuple[float, ...]:
    return fmt._multi_hot([fmt._index(value, where) for value in fmt._tokens(target)])


def _floats(fmt: TargetFormat, target: Any, where: str) -> tuple[float, ...]:
    return tuple(float(v) for v in fmt._vector(target, where))


_FORMATTERS: dict[str, Callable[[TargetFormat, Any, str], int | tuple[float, ...]]] = {
    "single_label": _single_label,
    "single_numeric": _single_numeric,
    "single_binary": _single_binary,
    "comma_delimited": _names,
    "space_delimited": _names,
    "multi_label": _names,
    "multi_numeric": _numbers,
    "multi_binary": _floats,
    "multi_soft": _floats,
}


def infer_target_format(
    targets: Sequence[Any],
    where: Sequence[str] | None = None,
    *,
    fields: Sequence[str] | None = None,
) -> TargetFormat:
    """The format and classes of ``targets`` (Flash's ``get_target_formatter``).

    Args:
        targets: One target per row.
        where: One location per row for error messages (e.g. ``" (row 3 of x.csv)"``).
            Default: ``" (row i)"``.
        fields: The target columns when each row's target was gathered from several columns:
            they name the classes of one-hot / multi-hot targets. Default: ``None`` (classes
            ``"0" ..``).

    Returns:
        The format; class names are the sorted names (natural order), ``"0" .. str(max)`` for
        class indices, or the columns (else ``"0" ..``) for one-hot / multi-hot / soft vectors.

    Raises:
        ValueError: No targets, an empty target, formats that do not merge (e.g. class names in
            some rows and indices in others), or vectors of different lengths.
        TypeError: A target that is none of the formats.
    """
    if not targets:
        raise ValueError("there are no targets to read")
    places = list(where) if where is not None else [f" (row {i})" for i in range(len(targets))]
    kinds = [_kind_of(target, place) for target, place in zip(targets, places, strict=True)]

    def merge(a: tuple[str, int], b: tuple[str, int]) -> tuple[str, int]:
        merged = _merge(a[0], b[0])
        if merged is None:
            raise ValueError(
                f"the targets mix formats: {targets[a[1]]!r}{places[a[1]]} is "
                f"{_DESCRIPTION[a[0]]}, {targets[b[1]]!r}{places[b[1]]} is "
                f"{_DESCRIPTION[b[0]]}; give every row's target in one format"
            )
        return merged, a[1] if merged == a[0] else b[1]

    kind = reduce(merge, [(k, i) for i, k in enumerate(kinds)])[0]
    if kind in ("single_binary", "multi_binary") and _lists_of_lengths(targets) > 1:
        # Lists of 0/1 and lists of other lengths, such as [[0, 1], [2]]: class indices (the
        # format Flash's docs give them; its code would take them for one-hot vectors, then fail).
        kind = "multi_numeric"
    return TargetFormat(kind, _classes(kind, targets, places, fields))  # type: ignore[arg-type]


def _lists_of_lengths(targets: Sequence[Any]) -> int:
    """How many list lengths ``targets`` has (0 when one of them is not a list)."""
    lists = [_as_list(target) for target in targets]
    if any(items is None for items in lists):
        return 0
    return len({len(items or ()) for items in lists})


def _classes(
    kind: str, targets: Sequence[Any], where: Sequence[str], fields: Sequence[str] | None
) -> tuple[str, ...]:
    """Flash's ``_get_target_details``: the class names of ``targets`` in format ``kind``."""
    if kind in _NUMERIC:
        values: list[int] = []
        for target, place in zip(targets, where, strict=True):
            items = _as_list(target)
            values.extend(
                _class_index(v, place) for v in (items if items is not None else [target])
            )
        return tuple(str(i) for i in range(max(values) + 1))
    if kind in _VECTOR:
        lengths = {len(_as_list(target) or ()) for target in targets}
        if len(lengths) > 1:
            raise ValueError(
                f"one-hot / multi-hot targets have different lengths {sorted(lengths)}; give "
                "every row one value per class"
            )
        length = lengths.pop()
        if fields is not None and len(fields) == length:
            return tuple(str(name) for name in fields)
        return tuple(str(i) for i in range(length))
    fmt = TargetFormat(kind, ())  # type: ignore[arg-type]
    tokens = {_strip(str(token)) for target in targets for token in fmt._tokens(target)}
    return tuple(natural_sorted([token for token in tokens if token]))
