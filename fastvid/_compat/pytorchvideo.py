"""Make ``pytorchvideo`` 0.1.5 importable on current torchvision.

PyTorchVideo 0.1.5 imports ``torchvision.transforms.functional_tensor``, a module torchvision
renamed to ``torchvision.transforms._functional_tensor`` (0.17) and then stopped aliasing.
Its only use there is ``affine`` (same signature in the renamed module), so registering the
renamed module under the old name is enough. Call :func:`install` before importing
``pytorchvideo.transforms``; fastvid does so wherever it imports PyTorchVideo, and importing
``fastvid`` installs it too, so user scripts that ``import fastvid`` first just work.
"""

from __future__ import annotations

import importlib
import sys

_OLD_NAME = "torchvision.transforms.functional_tensor"
_NEW_NAME = "torchvision.transforms._functional_tensor"


def install() -> bool:
    """Register the renamed torchvision module under its old name if it is missing.

    Returns:
        ``True`` if the alias was added by this call, ``False`` if the old name already
        imports (an older torchvision, or the alias is already installed).
    """
    if _OLD_NAME in sys.modules:
        return False
    try:
        importlib.import_module(_OLD_NAME)
        return False
    except ImportError:
        pass
    sys.modules[_OLD_NAME] = importlib.import_module(_NEW_NAME)
    return True
