"""PyTorchVideo's sample stream, step for step, decoded in this process.

``LabeledVideoDataset.__next__`` (PyTorchVideo 0.1.5) walks its video sampler (split between the
workers of a torch ``DataLoader`` by ``MultiProcessSampler``), asks its clip sampler for one clip
at a time, decodes it, builds the sample dict and runs the transform. :class:`SampleStream` does
the same steps in the same order, so the random numbers are drawn where PyTorchVideo draws them
(the clip sampler's from Python's global ``random``, the transform's from torch's global
generator) and the samples and their order out of torch's ``DataLoader`` are PyTorchVideo's under
the same ``DataLoader`` settings; only the decoding is fastvid's
(:class:`~fastvid.reader.inline.InlineClips`: frame-selective PyAV, lowered transforms).

A video that cannot be read, or a clip with no frames, ends that video and the stream goes on
with the next, as in PyTorchVideo; ``on_error="skip"`` also warns once per file naming it and
why, ``on_error="raise"`` raises instead. Ten failures in a row raise ``RuntimeError`` (its
``_MAX_CONSECUTIVE_FAILURES``).
"""

from __future__ import annotations

import itertools
import logging
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import torch
from torch.utils.data import Sampler, get_worker_info

from fastvid.data.storage import basename, redact
from fastvid.errors import VideoError, exception_kind
from fastvid.reader._audio_batch import audio_sample
from fastvid.reader.audio import ClipAudio, Window
from fastvid.reader.inline import DecodedClip, InlineClips
from fastvid.reader.worker import DECODE_ERRORS

_FAILURES: tuple[type[BaseException], ...] = (VideoError, *DECODE_ERRORS)
"""What reading a bad, missing or changed file raises: the video is left out."""

__all__ = ["MAX_CONSECUTIVE_FAILURES", "SampleStream", "worker_share"]

logger = logging.getLogger(__name__)

MAX_CONSECUTIVE_FAILURES = 10
"""PyTorchVideo's ``LabeledVideoDataset._MAX_CONSECUTIVE_FAILURES``."""


def worker_share(sampler: Sampler[int]) -> Iterator[int]:
    """This torch ``DataLoader`` worker's video indices: PyTorchVideo's ``MultiProcessSampler``.

    Worker ``w`` of ``n`` takes the ``w``-th of ``n`` contiguous, near-equal runs of the
    sampler's order (``numpy.array_split``); outside a worker, the whole order.
    """
    info = get_worker_info()
    if info is None or info.num_workers == 0:
        return iter(sampler)
    total = len(sampler)  # type: ignore[arg-type]
    split: np.ndarray = np.array_split(np.arange(total), info.num_workers)[info.id]
    if len(split) == 0:
        logger.warning(
            "More data workers(%d) than videos(%d). For optimal use of processes reduce "
            "num_workers.",
            info.num_workers,
            total,
        )
        return iter(())
    return itertools.islice(iter(sampler), int(split[0]), int(split[-1]) + 1)


@dataclass
class _Visit:
    """The video being sampled: its index entry, annotation and the clip windows decoded."""

    index: int
    path: str
    meta: Any
    info: dict[str, Any]
    windows: list[Window] = field(default_factory=list)


Loaded = tuple[list[DecodedClip], list[ClipAudio | None]]


class SampleStream:
    """PyTorchVideo's ``LabeledVideoDataset`` iteration state, decoding with fastvid.

    Args:
        videos: ``(path, annotation)`` per video, ``annotation`` holding ``"label"``.
        video_sampler: The video sampler instance (PyTorchVideo's ``video_sampler``).
        clip_sampler: The clip sampler (called as PyTorchVideo calls it, then ``reset()``).
        transform: The transform as written (PyTorchVideo's ``transform``), or ``None``.
        clips: Decodes and finishes clips (its ``lowered`` is ``transform`` lowered).
        meta: Path -> its index entry (``VideoMeta``); raises a ``VideoError`` if it has none.
        decode_audio: Add each clip's audio and plan on the duration with audio.
        on_error: ``"skip"`` (warn once per file) or ``"raise"``.
    """

    def __init__(
        self,
        videos: Sequence[tuple[str, dict[str, Any]]],
        *,
        video_sampler: Sampler[int],
        clip_sampler: Any,
        transform: Callable[[dict[str, Any]], Any] | None,
        clips: InlineClips,
        meta: Callable[[str], Any],
        decode_audio: bool,
        on_error: str = "skip",
    ) -> None:
        self._videos = videos
        self._video_sampler = video_sampler
        self._clip_sampler = clip_sampler
        self._transform = transform
        self._clips = clips
        self._meta = meta
        self._decode_audio = decode_audio
        self._on_error = on_error
        self._order: Iterator[int] | None = None
        self._visit: _Visit | None = None
        self._loaded: Loaded | None = None
        self._next_start: Any = 0.0
        self._warned: set[str] = set()

    def restart(self) -> None:
        """PyTorchVideo's ``__iter__``: the next sample starts a new pass of the sampler."""
        self._order = None

    def __next__(self) -> dict[str, Any]:
        if self._order is None:  # made here: after torch's DataLoader started its workers
            self._order = worker_share(self._video_sampler)
        for _ in range(MAX_CONSECUTIVE_FAILURES):
            if self._visit is None:
                self._visit = self._open(next(self._order))  # StopIteration ends the pass
                if self._visit is None:
                    continue
            visit = self._visit
            duration = visit.meta.duration_with_audio if self._decode_audio else visit.meta.duration
            start, end, clip_index, aug_index, is_last = self._clip_sampler(
                self._next_start, duration, visit.info
            )
            multi = isinstance(start, list)
            if (aug_index[0] if multi else aug_index) == 0:
                starts, ends = (start, end) if multi else ([start], [end])
                self._loaded = self._load(visit, starts, ends, raw=multi)
            self._next_start = end
            failed = self._loaded is None
            if (is_last[-1] if isinstance(is_last, list) else is_last) or failed:
                self._visit = None  # PyTorchVideo closes the video here: so do we
                self._clips.close()
                self._next_start = 0.0
                self._clip_sampler.reset()
                if failed:
                    continue
            sample = self._sample(visit, clip_index, aug_index, multi)
            if sample is not None:
                return sample
        raise RuntimeError(f"Failed to load video after {MAX_CONSECUTIVE_FAILURES} retries.")

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self

    def close(self) -> None:
        """Close the open files."""
        self._visit = None
        self._loaded = None
        self._clips.close()

    # -- steps --------------------------------------------------------------------------------
    def _open(self, video_index: int) -> _Visit | None:
        path, info = self._videos[video_index]
        try:
            meta = self._meta(path)
        except _FAILURES as exc:
            self._failed(path, exc)
            return None
        return _Visit(video_index, path, meta, info)

    def _load(
        self,
        visit: _Visit,
        starts: Sequence[Fraction | float],
        ends: Sequence[Fraction | float],
        *,
        raw: bool,
    ) -> Loaded | None:
        """Decode the clips (``None``: one has no frames or cannot be decoded)."""
        subsample = not raw and self._clips.lowers
        decoded, heard = [], []
        try:
            for slot, (start, end) in enumerate(zip(starts, ends, strict=True)):
                positions = self._clips.positions(visit.meta, start, end, subsample=subsample)
                if positions.size == 0:
                    return None  # PyTorchVideo's clip with no frames: the video ends here
                decoded.append(self._clips.decode(visit.meta, positions, slot=slot))
                if self._decode_audio:
                    heard.append(self._clips.audio(visit.path, start, end, visit.windows))
                    visit.windows.append((start, end))
                else:
                    heard.append(None)
        except _FAILURES as exc:
            self._failed(visit.path, exc)
            return None
        return decoded, heard

    def _sample(
        self, visit: _Visit, clip_index: Any, aug_index: Any, multi: bool
    ) -> dict[str, Any] | None:
        assert self._loaded is not None
        decoded, heard = self._loaded
        fast = not multi and self._clips.lowers
        if fast:
            video: Any = self._clips.finish(decoded[0], torch.default_generator)
        else:
            video = [clip.raw() for clip in decoded] if multi else decoded[0].raw()
        if multi:
            sounds: list[Any] = [audio_sample(a).get("audio") for a in heard]
            audio = {"audio": sounds} if self._decode_audio else {}
        else:
            audio = audio_sample(heard[0])
        sample: dict[str, Any] | None = {
            "video": video,
            "video_name": basename(visit.path),
            "video_index": visit.index,
            "clip_index": clip_index,
            "aug_index": aug_index,
            **visit.info,
            **audio,
        }
        if fast:
            if not self._clips.lowered.fully_lowered:
                sample = self._clips.lowered.apply_residual(sample)  # type: ignore[arg-type]
        elif self._transform is not None:
            sample = self._transform(sample)  # type: ignore[arg-type]
        return sample

    def _failed(self, path: str, exc: BaseException) -> None:
        error = (
            exc
            if isinstance(exc, VideoError)
            else VideoError(path, redact(f"{type(exc).__name__}: {exc}"), exception_kind(exc))
        )
        if self._on_error == "raise":
            raise error from exc
        if path not in self._warned:
            self._warned.add(path)
            warnings.warn(
                f"fastvid: left out video {error.path}: {error.reason}",
                RuntimeWarning,
                stacklevel=4,
            )
