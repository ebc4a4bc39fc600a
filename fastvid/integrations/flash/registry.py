"""Flash 0.8's ``FlashRegistry``, the surface users touch: things by name, with metadata.

One class serves every registry Flash users reach: the optimizers and LR schedulers
(:mod:`fastvid.models._registries`) and the prediction outputs
(:mod:`fastvid.integrations.flash.outputs`). Register a function or class under a name
(``@registry``, ``@registry(name="labels")`` or ``registry(fn, name=..., **metadata)``), then
``get(name, with_metadata=...)``, ``available_keys()``, ``in``, ``len``, iteration and
``remove``; ``a + b`` is both registries, a name in both resolving to ``a``'s entry (a
classifier's outputs are ``CLASSIFICATION_OUTPUTS + BASE_OUTPUTS``). An unknown name raises
:class:`UnknownNameError`, both the ``KeyError`` Flash raised and the ``ValueError`` fastvid
raises for bad values, listing close matches.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

__all__ = ["NameRegistry", "UnknownNameError"]


class UnknownNameError(KeyError, ValueError):
    """A name that is not in a registry (a ``KeyError`` as in Flash, and a ``ValueError``)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class NameRegistry:
    """Functions (or classes) by name, each with a metadata dict.

    Args:
        name: What the registry holds, used in error messages (``"optimizer"``).
        entries: Its first entries, ``{"fn", "name", "metadata"}`` dicts in lookup order (a
            combined registry's). Default: none.
    """

    def __init__(self, name: str, entries: Iterable[dict[str, Any]] = ()) -> None:
        self.name = name
        self._entries: list[dict[str, Any]] = list(entries)

    def __call__(
        self,
        fn: Callable[..., Any] | None = None,
        name: str | None = None,
        override: bool = False,
        **metadata: Any,
    ) -> Any:
        """Register ``fn`` (or, without ``fn``, return a decorator that registers).

        Args:
            fn: The function or class. Default: ``None`` (decorator form).
            name: Its key. Default: ``None`` (``fn.__name__``).
            override: Replace an entry of the same name. Default: ``False``.
            **metadata: Stored beside it (``interval="step"`` for a scheduler).

        Raises:
            TypeError: ``fn`` is not callable.
            ValueError: No name, or ``name`` is registered already and ``override`` is false.
        """
        if fn is None:
            return functools.partial(self, name=name, override=override, **metadata)
        if not callable(fn):
            raise TypeError(f"only callables can be registered in the {self.name} registry: {fn!r}")
        key = name if name is not None else getattr(fn, "__name__", None)
        if not isinstance(key, str) or not key:
            raise ValueError(f"cannot name {fn!r}; pass name='...'")
        if key in self and not override:
            raise ValueError(
                f"{key!r} is already in the {self.name} registry; pass override=True to replace it"
            )
        self.remove(key)
        self._entries.append({"fn": fn, "name": key, "metadata": dict(metadata)})
        return fn

    def get(self, key: str, with_metadata: bool = False) -> Any:
        """The entry ``key`` (the first, in a combined registry): its function, or
        ``{"fn", "name", "metadata"}`` with metadata.

        Raises:
            UnknownNameError: ``key`` is not registered; lists close matches or all names.
        """
        entry = next((e for e in self._entries if e["name"] == key), None)
        if entry is None:
            names = self.available_keys()
            wanted = str(key).lower()
            close = [n for n in names if n.startswith(wanted)] or difflib.get_close_matches(
                wanted, names, n=5, cutoff=0.6
            )
            hint = f"did you mean {close}? " if close else ""
            raise UnknownNameError(f"unknown {self.name} {key!r}; {hint}available: {names}")
        if with_metadata:
            return {**entry, "metadata": dict(entry["metadata"])}
        return entry["fn"]

    def remove(self, key: str) -> None:
        """Forget ``key`` (no error if it is not registered)."""
        self._entries = [e for e in self._entries if e["name"] != key]

    def available_keys(self) -> list[str]:
        """The registered names, sorted, each once."""
        return sorted({e["name"] for e in self._entries})

    def __contains__(self, key: object) -> bool:
        return any(e["name"] == key for e in self._entries)

    def __len__(self) -> int:
        return len(self.available_keys())

    def __iter__(self) -> Iterator[str]:
        return iter(self.available_keys())

    def __add__(self, other: NameRegistry) -> NameRegistry:
        """Both registries; a name in both resolves to ``self``'s entry."""
        name = self.name if other.name == self.name else f"{self.name}+{other.name}"
        return NameRegistry(name, [*self._entries, *other._entries])

    def __repr__(self) -> str:
        return f"NameRegistry({self.name!r}, {self.available_keys()})"
