"""A fastvid batch dict split back into PyTorchVideo's sample dicts.

fastvid's :class:`~fastvid.integrations.pytorchvideo.api.DataLoader` batches inside its
pipeline; ``batch_size=None`` (unbatched) and a custom ``collate_fn`` need the samples
PyTorchVideo's dataset would have handed torch's ``DataLoader``: :func:`split_batch` gives them,
with ``label``, ``video_index``, ``clip_index`` and ``aug_index`` as Python numbers (0-d tensors
in the batch), each clip's audio without the batch's padding (no ``"audio"`` key for a clip
without audio) and the video's own annotation values (a list stays a list, not a column of the
batch's collated lists).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from fastvid.reader.loader._audio_batch import AUDIO_KEYS

__all__ = ["split_batch"]


def split_batch(
    batch: dict[str, Any], annotations: Sequence[dict[str, Any]] = ()
) -> list[dict[str, Any]]:
    """The sample dicts of ``batch``, in order.

    Args:
        batch: A fastvid batch dict.
        annotations: Per video index, the extra keys of its samples (as the dataset was
            given them). Default: none (the batch's values are split).
    """
    size = len(batch["video"])
    samples = []
    for i in range(size):
        sample = {key: _scalar(value[i]) for key, value in batch.items() if key not in AUDIO_KEYS}
        if "audio_lengths" in batch:
            length = int(batch["audio_lengths"][i])
            if length > 0:
                sample["audio"] = batch["audio"][i, :length]
        if annotations:
            sample.update(annotations[sample["video_index"]])
        samples.append(sample)
    return samples


def _scalar(value: Any) -> Any:
    """A 0-d tensor as the Python number PyTorchVideo's sample holds; anything else as is."""
    if isinstance(value, torch.Tensor) and value.dim() == 0:
        return value.item()
    return value
