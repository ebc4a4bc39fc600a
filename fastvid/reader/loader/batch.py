"""Batch dicts: the clips of a batch plus PyTorchVideo's keys, built without a collate copy.

:func:`make_batch` builds one; :func:`loader_batch` is the loader's: the same, with the global
RNGs its torch-side transforms draw from seeded from the batch's position in the stream
(:func:`fastvid.reader.loader._resume.seeded_rngs`), so a resumed loader draws the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch.utils.data._utils.collate import default_collate

from fastvid.data.storage import basename
from fastvid.reader.decoding.audio import ClipAudio
from fastvid.reader.loader._audio_batch import audio_batch, audio_sample
from fastvid.reader.loader._resume import seeded_rngs
from fastvid.reader.planning.frames import ClipRequest
from fastvid.reader.transforms.lowering import LoweredTransform

__all__ = ["loader_batch", "make_batch"]


def make_batch(
    requests: Sequence[ClipRequest],
    clips: torch.Tensor | list[torch.Tensor],
    videos: Sequence[Any],
    lowered: LoweredTransform,
    batch_transform: Callable[[dict[str, Any]], dict[str, Any]] | None,
    audio: Sequence[ClipAudio | None] | None = None,
    *,
    channels_last: bool = False,
) -> dict[str, Any]:
    """The batch dict of ``requests`` (PyTorchVideo's keys and types).

    Args:
        requests: The batch's clips, in order.
        clips: Their decoded, transformed clips: one ``(B, C, T, H, W)`` tensor, or one tensor
            per clip (shapes differ, or transforms still have to run on each).
        videos: The planner's videos (for annotations copied into each sample).
        lowered: The transform; its torch part runs here on each clip.
        batch_transform: Run on the whole batch dict last.
        audio: Each clip's audio (``None``: it has none), or ``None`` when audio is not
            decoded. Adds ``"audio"``, ``"audio_lengths"``, ``"audio_sample_rate"``
            (:mod:`fastvid.reader.loader._audio_batch`); a sample dict seen by the transform has
            ``"audio"`` only when its clip has audio, as in PyTorchVideo.
        channels_last: Lay a ``(B, C, T, H, W)`` ``"video"`` out in ``torch.channels_last_3d``
            memory (a copy only where the clips did not come out so).
    """
    if lowered.fully_lowered and isinstance(clips, torch.Tensor):
        batch: dict[str, Any] = {
            "video": clips,
            "video_name": [basename(r.path) for r in requests],
            "video_index": torch.tensor([r.video_index for r in requests]),
            "clip_index": torch.tensor([r.clip_index for r in requests]),
            "aug_index": torch.tensor([r.aug_index for r in requests]),
            "label": torch.tensor([r.label for r in requests]),
        }
        extras = [dict(videos[r.video_index].extra) for r in requests]
        for key in extras[0] if extras else ():
            batch[key] = default_collate([e[key] for e in extras])
        if audio is not None:
            batch.update(audio_batch([audio_sample(a).get("audio") for a in audio], _rates(audio)))
    else:
        samples = []
        sounds: list[Any] = []
        rates: list[int] = []
        heard = audio if audio is not None else [None] * len(requests)
        for request, clip, sound in zip(requests, clips, heard, strict=True):
            sample: dict[str, Any] | None = {
                "video": clip,
                "video_name": basename(request.path),
                "video_index": request.video_index,
                "clip_index": request.clip_index,
                "aug_index": request.aug_index,
                "label": request.label,
                **dict(videos[request.video_index].extra),
                **audio_sample(sound),
            }
            if not lowered.fully_lowered:
                sample = lowered.apply_residual(sample)  # type: ignore[arg-type]
            if sample is not None:
                sounds.append(sample.pop("audio", None))
                rates.append(0 if sound is None else sound.sample_rate)
                samples.append(sample)
        if not samples:
            return {}
        batch = _collate(samples)
        if audio is not None:
            batch.update(audio_batch(sounds, rates))
    video = batch.get("video")
    if channels_last and isinstance(video, torch.Tensor) and video.dim() == 5:
        batch["video"] = video.contiguous(memory_format=torch.channels_last_3d)
    if batch_transform is not None:
        batch = batch_transform(batch)
    return batch


def loader_batch(
    requests: Sequence[ClipRequest],
    clips: torch.Tensor | list[torch.Tensor],
    videos: Sequence[Any],
    lowered: LoweredTransform,
    batch_transform: Callable[[dict[str, Any]], dict[str, Any]] | None,
    audio: Sequence[ClipAudio | None] | None,
    *,
    seed: int,
    epoch: int,
    number: int,
    cuda: bool,
    channels_last: bool = False,
) -> dict[str, Any]:
    """:func:`make_batch` for batch ``number`` of ``epoch``: any torch-side transform (the
    residual of ``lowered``, ``batch_transform``) draws from the global RNGs seeded from
    ``(seed, epoch, number)``, which are restored afterwards; ``cuda``: the current CUDA
    device's generator too; ``channels_last``: as :func:`make_batch`'s."""
    torch_side = not lowered.fully_lowered or batch_transform is not None
    with seeded_rngs(seed, epoch, number, cuda=cuda, active=torch_side):
        return make_batch(
            requests, clips, videos, lowered, batch_transform, audio, channels_last=channels_last
        )


def _rates(audio: Sequence[ClipAudio | None]) -> list[int]:
    return [0 if a is None else a.sample_rate for a in audio]


def _collate(samples: list[dict[str, Any]]) -> dict[str, Any]:
    shapes = {tuple(s["video"].shape) for s in samples if torch.is_tensor(s["video"])}
    if len(shapes) > 1:
        clips = ", ".join(f"{s['video_name']} {tuple(s['video'].shape)}" for s in samples)
        raise ValueError(
            f"the clips of one batch differ in shape (C, T, H, W), so they cannot be stacked: "
            f"{clips}. Make the transform output one shape (UniformTemporalSubsample for T; "
            f"a crop such as RandomCrop/CenterCrop or a fixed-size resize for H, W), or use "
            f"batch_size=1"
        )
    batch: dict[str, Any] = default_collate(samples)
    return batch
