"""Clips' audio in sample and batch dicts.

A sample dict gets ``"audio"``, a float32 ``(N,)`` tensor, exactly when PyTorchVideo's would:
a clip without audio (no audio stream, or no audio frame in its window) has no ``"audio"`` key.

A batch holds clips of different lengths (``N`` is a whole number of audio frames, so it
varies with the clip's position and between files, and files differ in sample rate), which
torch's default collate cannot stack. fastvid pads instead of cutting: the batch gets

- ``"audio"``: float32 ``(B, N_max)``, each clip's samples then zeros;
- ``"audio_lengths"``: int64 ``(B,)``, each clip's ``N`` (0: the clip has no audio);
- ``"audio_sample_rate"``: int64 ``(B,)``, samples per second (0: no audio).

``batch["audio"][i, : batch["audio_lengths"][i]]`` is the sample PyTorchVideo returns for clip
``i``. A fixed length (clip duration x sample rate) was not chosen: it would cut or pad
PyTorchVideo's samples and needs one sample rate for every file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from fastvid.reader.decoding.audio import ClipAudio

__all__ = ["AUDIO_KEYS", "audio_batch", "audio_sample"]

AUDIO_KEYS = ("audio", "audio_lengths", "audio_sample_rate")
"""The batch keys audio adds (with ``decode_audio=True``)."""


def audio_sample(audio: ClipAudio | None) -> dict[str, Any]:
    """The ``"audio"`` entry of one sample dict: ``{}`` without audio (PyTorchVideo's rule)."""
    return {} if audio is None else {"audio": torch.from_numpy(audio.samples)}


def audio_batch(
    samples: Sequence[torch.Tensor | None], rates: Sequence[int]
) -> dict[str, torch.Tensor]:
    """The audio keys of a batch: padded samples, lengths and sample rates.

    Args:
        samples: Each clip's ``"audio"`` (``None``: it has none). One-dimensional ones are
            padded; others (a transform made spectrograms, say) are stacked and must agree
            in shape.
        rates: Each clip's sample rate (0 without audio).

    Raises:
        ValueError: Transformed audio that is not 1-D differs in shape between clips.
    """
    present = [s for s in samples if s is not None]
    lengths = [0 if s is None else int(s.shape[0]) for s in samples]
    if any(s.dim() != 1 for s in present):
        shapes = {tuple(s.shape) for s in present}
        if len(shapes) != 1 or len(present) != len(samples):
            raise ValueError(
                f"the transformed audio of one batch differs in shape ({sorted(shapes)}) or is "
                f"missing for some clips, so it cannot be stacked; return 1-D audio from the "
                f"transform (fastvid pads it) or one shape for every clip"
            )
        padded = torch.stack(present)
    else:
        padded = torch.zeros((len(samples), max(lengths, default=0)), dtype=torch.float32)
        for row, clip in enumerate(samples):
            if clip is not None:
                padded[row, : clip.shape[0]] = clip
    return {
        "audio": padded,
        "audio_lengths": torch.tensor(lengths, dtype=torch.int64),
        "audio_sample_rate": torch.tensor(
            [r if s is not None else 0 for s, r in zip(samples, rates, strict=True)],
            dtype=torch.int64,
        ),
    }
