"""Argument checks shared by fastvid's public functions.

Validate at the top of a public function with these (torchcodec's ``samplers/_common.py``
style); never with ``assert``, which ``python -O`` strips. Every message names the argument,
repeats the bad value and says what is allowed::

    num_workers = check_int("num_workers", num_workers, minimum=0)
    # TypeError: num_workers must be an int, got float 2.5
    # ValueError: num_workers (-1) must be >= 0

``TypeError`` for a value of the wrong type, ``ValueError`` for a value of the right type that
is out of range or not one of the choices. Each check returns the value (converted to the plain
Python type where that is unambiguous), so a caller can validate and assign in one line.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable
from fractions import Fraction
from typing import TypeVar

__all__ = [
    "check_bool",
    "check_callable",
    "check_choice",
    "check_int",
    "check_int_pair",
    "check_optional_int",
    "check_positive_int",
    "check_positive_real",
    "check_real",
    "check_type",
    "describe",
]

T = TypeVar("T")


def describe(value: object) -> str:
    """``"<type> <repr>"``, how a message shows a bad value: ``"float 2.5"``, ``"str 'x'"``."""
    return f"{type(value).__name__} {value!r}"


def check_type(
    name: str, value: T, expected: type | tuple[type, ...], *, what: str | None = None
) -> T:
    """``TypeError`` unless ``value`` is an instance of ``expected``.

    ``bool`` is not accepted where ``int`` is expected (unless ``bool`` is listed itself).

    Args:
        name: The argument's name, as the caller spells it.
        value: The argument.
        expected: A type or a tuple of types.
        what: How the message names the expected types. Default: ``None``, from their names
            (``"int or str"``).

    Returns:
        ``value``, unchanged.
    """
    types = expected if isinstance(expected, tuple) else (expected,)
    is_bool_for_int = isinstance(value, bool) and bool not in types
    if not isinstance(value, types) or is_bool_for_int:
        wanted = what or " or ".join(t.__name__ for t in types)
        raise TypeError(f"{name} must be {wanted}, got {describe(value)}")
    return value


def check_int(name: str, value: object, *, minimum: int | None = None, hint: str = "") -> int:
    """An integer (``int`` or a NumPy integer, not ``bool``), at least ``minimum``.

    Args:
        name: The argument's name.
        value: The argument.
        minimum: The smallest allowed value. Default: ``None``, no bound.
        hint: Appended to the range message, e.g. ``" (0 probes in this process)"``.
            Default: ``""``.

    Returns:
        ``int(value)``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {describe(value)}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} ({value}) must be >= {minimum}{hint}")
    return int(value)


def check_int_pair(name: str, value: object, *, what: str) -> tuple[int, int]:
    """A tuple or list of two integers (``int`` or NumPy integers, not ``bool``).

    Args:
        name: The argument's name.
        value: The argument.
        what: How the message names what is expected, e.g. ``"a (width, height) tuple of
            ints"``.

    Returns:
        The two values as ``int``.
    """
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value)
    ):
        raise TypeError(f"{name} must be {what}, got {value!r}")
    return int(value[0]), int(value[1])


def check_positive_int(name: str, value: object) -> int:
    """An integer >= 1 (:func:`check_int` with ``minimum=1``)."""
    return check_int(name, value, minimum=1)


def check_optional_int(
    name: str, value: object, *, minimum: int | None = None, hint: str = ""
) -> int | None:
    """``None``, or an integer at least ``minimum`` (see :func:`check_int`)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int or None, got {describe(value)}")
    return check_int(name, value, minimum=minimum, hint=hint)


def check_real(name: str, value: object) -> float | Fraction:
    """A finite real number (``int``, ``float``, ``Fraction``, NumPy scalars; not ``bool``).

    Returns:
        ``value`` itself (a ``Fraction`` stays exact).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number (int, float or Fraction), got {describe(value)}"
        )
    if not math.isfinite(value):
        raise ValueError(f"{name} ({value}) must be finite")
    return value  # type: ignore[return-value]


def check_positive_real(name: str, value: object, *, unit: str = "") -> float | Fraction:
    """A finite real number > 0 (see :func:`check_real`).

    Args:
        name: The argument's name.
        value: The argument.
        unit: Appended to the range message, e.g. ``" seconds"``. Default: ``""``.
    """
    number = check_real(name, value)
    if number <= 0:
        raise ValueError(f"{name} ({value}) must be > 0{unit}")
    return number


def check_bool(name: str, value: object) -> bool:
    """``True`` or ``False`` (not 0/1, not ``None``)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {describe(value)}")
    return value


def check_choice(name: str, value: T, allowed: Iterable[object]) -> T:
    """``ValueError`` unless ``value`` is one of ``allowed``; a close string is suggested.

    Args:
        name: The argument's name.
        value: The argument.
        allowed: The accepted values, in the order the message lists them.

    Returns:
        ``value``, unchanged.
    """
    choices = list(allowed)
    try:
        ok = value in choices
    except TypeError:  # an unhashable value compared with a dict's keys, say
        ok = False
    if ok:
        return value
    hint = ""
    if isinstance(value, str):
        names = [c for c in choices if isinstance(c, str)]
        close = difflib.get_close_matches(value, names, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"{name} ({value!r}) must be one of {choices}{hint}")


def check_callable(name: str, value: T) -> T:
    """``TypeError`` unless ``value`` is callable."""
    if not callable(value):
        raise TypeError(f"{name} must be callable, got {describe(value)}")
    return value
