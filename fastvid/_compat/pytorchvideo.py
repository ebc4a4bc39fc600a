"""Make ``pytorchvideo`` 0.1.5 importable on current torchvision.

PyTorchVideo 0.1.5 imports ``torchvision.transforms.functional_tensor``, a module torchvision
renamed to ``torchvision.transforms._functional_tensor`` (0.17) and then stopped aliasing.
Its only use there is ``affine`` (same signature in the renamed module), so answering imports
of the old name with the renamed module is enough. :func:`install` adds a tiny import hook that
does exactly that, lazily (torchvision is not imported until someone asks for the old name);
``import fastvid`` installs it, so user scripts that ``import fastvid`` first just work.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

_OLD_NAME = "torchvision.transforms.functional_tensor"
_NEW_NAME = "torchvision.transforms._functional_tensor"


class _AliasLoader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(_NEW_NAME)
        sys.modules[_OLD_NAME] = module
        return module

    def exec_module(self, module: ModuleType) -> None:
        return None


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Finds the old module name only when torchvision no longer provides it."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != _OLD_NAME:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            if finder.find_spec(fullname, path, target) is not None:
                return None  # an older torchvision still has the module itself
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader())


def install() -> bool:
    """Install the import hook for the old module name (idempotent).

    Returns:
        ``True`` if this call installed the hook, ``False`` if it was already installed.
    """
    if any(isinstance(finder, _AliasFinder) for finder in sys.meta_path):
        return False
    sys.meta_path.append(_AliasFinder())
    return True
