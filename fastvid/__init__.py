"""fastvid: video-classification training data decoded on the GPU with NVIDIA DALI.

The top level stays light: ``import fastvid`` imports neither DALI nor Lightning. Heavy names
(``fastvid.Trainer``) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastvid._compat import kornia as _kornia_compat
from fastvid._compat import pytorchvideo as _pytorchvideo_compat

_pytorchvideo_compat.install()
_kornia_compat.install()

__version__ = "0.1.0.dev0"

if TYPE_CHECKING:
    from fastvid.trainer import Trainer

__all__ = ["Trainer", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "Trainer":
        from fastvid.trainer import Trainer

        return Trainer
    raise AttributeError(f"module 'fastvid' has no attribute {name!r}")
