"""Keep Flash-era kornia spellings working: ``kornia.augmentation.augmentation.ColorJitter``.

kornia < 0.6 kept its augmentations in ``kornia.augmentation.augmentation``; Flash's examples
(and the seed example) write ``K.augmentation.ColorJitter`` with
``K = kornia.augmentation``. Current kornia re-exports every augmentation from
``kornia.augmentation`` and has no such submodule, so :func:`install` makes
``kornia.augmentation.augmentation`` refer to ``kornia.augmentation`` itself, right after kornia
imports it (lazily: installing the hook imports nothing).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

_TARGET = "kornia.augmentation"


class _AddAliasLoader(importlib.abc.Loader):
    def __init__(self, wrapped: importlib.abc.Loader) -> None:
        self._wrapped = wrapped

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._wrapped.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._wrapped.exec_module(module)
        if not hasattr(module, "augmentation"):
            module.augmentation = module  # type: ignore[attr-defined]


class _KorniaFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != _TARGET:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _AddAliasLoader(spec.loader)
                return spec
        return None


def install() -> bool:
    """Install the alias (now if kornia is imported already, else when it is). Idempotent."""
    module = sys.modules.get(_TARGET)
    if module is not None and not hasattr(module, "augmentation"):
        module.augmentation = module  # type: ignore[attr-defined]
    if any(isinstance(finder, _KorniaFinder) for finder in sys.meta_path):
        return False
    sys.meta_path.insert(0, _KorniaFinder())
    return True
