"""``DataKeys``: the names Lightning Flash gives the parts of a sample.

Flash's samples and batches are dicts keyed ``"input"``, ``"target"``, ``"preds"`` and
``"metadata"``; ``DataKeys`` is a ``str`` enum, so ``DataKeys.INPUT == "input"`` and either
spelling indexes the same dict entry. fastvid's own batches name the clip ``"video"`` and its
class ``"label"`` (PyTorchVideo's names).
"""

from __future__ import annotations

from enum import Enum

__all__ = ["DataKeys"]


class DataKeys(str, Enum):
    """Flash 0.8's sample keys (``flash.core.data.io.input.DataKeys``)."""

    INPUT = "input"
    PREDS = "preds"
    TARGET = "target"
    METADATA = "metadata"

    def __str__(self) -> str:
        return str(self.value)

    def __hash__(self) -> int:  # hash like the plain string, as Flash's enum does
        return hash(self.value)
