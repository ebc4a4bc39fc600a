"""PyTorchVideo's sample stream, step for step, in the iterating process.

``LabeledVideoDataset.__next__`` (PyTorchVideo 0.1.5) walks its video sampler (split between the
workers of a torch ``DataLoader`` by :class:`~fastvid.data.samplers.MultiProcessSampler`), asks
its clip sampler for one clip at a time, reads it, builds the sample dict and runs the
transform. :class:`SampleStream` does the same steps in the same order, so the random numbers
are drawn where PyTorchVideo draws them (the clip sampler's from Python's global ``random``, the
transform's from torch's global generator) and the samples and their order out of torch's
``DataLoader`` are PyTorchVideo's under the same ``DataLoader`` settings. How a video is opened
and its clips read is a :class:`ClipSource`'s: :class:`InlineSource` decodes files with
fastvid's in-process decoder (:class:`~fastvid.reader.inline.InlineClips`: frame-selective PyAV,
lowered transforms); ``pytorchvideo_data``'s source reads PyTorchVideo ``Video`` objects (frame
folders).

A video that cannot be read, or a clip with no frames, ends that video and the stream goes on
with the next, as in PyTorchVideo; ten failures in a row raise ``RuntimeError`` (its
``_MAX_CONSECUTIVE_FAILURES``). What a failure reports is the source's: :class:`InlineSource`
with ``on_error="skip"`` warns once per file naming it and why, ``on_error="raise"`` raises.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Protocol

import torch
from torch.utils.data import DistributedSampler, RandomSampler, Sampler, get_worker_info

from fastvid.data.samplers import MultiProcessSampler
from fastvid.data.storage import basename, redact
from fastvid.errors import VideoError, exception_kind
from fastvid.reader.decoding.audio import Window
from fastvid.reader.inline import InlineClips
from fastvid.reader.loader._audio_batch import audio_sample
from fastvid.reader.loader._options import resolve_rank_world
from fastvid.reader.workers.worker import DECODE_ERRORS

_FAILURES: tuple[type[BaseException], ...] = (VideoError, *DECODE_ERRORS)
"""What reading a bad, missing or changed file raises: the video is left out."""

__all__ = [
    "MAX_CONSECUTIVE_FAILURES",
    "ClipSource",
    "InlineSource",
    "SampleStream",
    "make_video_sampler",
    "reseed_in_worker",
]

MAX_CONSECUTIVE_FAILURES = 10
"""PyTorchVideo's ``LabeledVideoDataset._MAX_CONSECUTIVE_FAILURES``."""

Transform = Callable[[dict[str, Any]], Any]


def make_video_sampler(
    video_sampler: type[Sampler[int]] | Sampler[int], videos: Sequence[Any]
) -> tuple[Sampler[int], torch.Generator | None]:
    """PyTorchVideo's ``video_sampler`` instance over ``videos``, and the generator a
    ``RandomSampler`` draws from (reseeded in each torch ``DataLoader`` worker, as there).

    An instance is used as given; a ``DistributedSampler`` class gets the rank and world size
    from the process group or the launcher's environment (no process group needed).
    """
    if isinstance(video_sampler, Sampler):
        return video_sampler, None
    if video_sampler == RandomSampler:
        generator = torch.Generator()
        return RandomSampler(videos, generator=generator), generator
    if isinstance(video_sampler, type) and issubclass(video_sampler, DistributedSampler):
        rank, world = resolve_rank_world(None, None)
        return video_sampler(videos, num_replicas=world, rank=rank), None  # type: ignore[arg-type]
    return video_sampler(videos), None  # type: ignore[call-arg]


def reseed_in_worker(generator: torch.Generator | None) -> None:
    """In a torch ``DataLoader`` worker, seed ``generator`` from the loader's base seed (the
    same in every worker: all see one order and take their share), as PyTorchVideo does."""
    info = get_worker_info()
    if generator is not None and info is not None:
        generator.manual_seed(info.seed - info.id)


class ClipSource(Protocol):
    """How :class:`SampleStream` opens a video and reads its clips.

    ``open`` and ``load`` return ``None`` for a video that cannot be read (after reporting it
    as the source reports failures); ``finish`` gives the sample's ``"video"`` value, its audio
    keys and the transform to run on the sample dict (``None``: none).
    """

    #: Appended to the ``RuntimeError`` after too many failures in a row.
    failure_hint: str

    def open(self, path: str) -> Any | None: ...

    def duration(self, video: Any) -> Fraction | float: ...

    def name(self, video: Any, path: str) -> str | None: ...

    def load(
        self, video: Any, path: str, starts: Sequence[Any], ends: Sequence[Any], *, multi: bool
    ) -> Any | None: ...

    def finish(
        self, loaded: Any, *, multi: bool
    ) -> tuple[Any, dict[str, Any], Transform | None]: ...

    def close(self, video: Any) -> None: ...


@dataclass
class _Visit:
    """The video being sampled: its position, path, annotation and the source's handle."""

    index: int
    path: str
    info: dict[str, Any]
    video: Any


class SampleStream:
    """PyTorchVideo's ``LabeledVideoDataset`` iteration state, reading through ``source``.

    Args:
        videos: ``(path, annotation)`` per video (``annotation`` a dict or ``None``).
        video_sampler: The video sampler instance (PyTorchVideo's ``video_sampler``).
        clip_sampler: The clip sampler (called as PyTorchVideo calls it, then ``reset()``).
        source: Opens the videos and reads their clips.
    """

    def __init__(
        self,
        videos: Sequence[tuple[str, dict[str, Any] | None]],
        *,
        video_sampler: Sampler[int],
        clip_sampler: Any,
        source: ClipSource,
    ) -> None:
        self._videos = videos
        self._video_sampler = video_sampler
        self._clip_sampler = clip_sampler
        self._source = source
        self._order: Iterator[int] | None = None
        self._visit: _Visit | None = None
        self._loaded: Any = None
        self._next_start: Any = 0.0

    def restart(self) -> None:
        """PyTorchVideo's ``__iter__``: the next sample starts a new pass of the sampler."""
        self._order = None

    def __next__(self) -> Any:
        if self._order is None:  # made here: after torch's DataLoader started its workers
            self._order = iter(MultiProcessSampler(self._video_sampler))
        for _ in range(MAX_CONSECUTIVE_FAILURES):
            if self._visit is None:
                index = next(self._order)  # StopIteration ends the pass
                path, info = self._videos[index]
                video = self._source.open(path)
                if video is None:
                    continue
                self._visit = _Visit(index, path, dict(info or {}), video)
            visit = self._visit
            start, end, clip_index, aug_index, is_last = self._clip_sampler(
                self._next_start, self._source.duration(visit.video), visit.info
            )
            multi = isinstance(start, list)
            if (aug_index[0] if multi else aug_index) == 0:
                starts, ends = (start, end) if multi else ([start], [end])
                self._loaded = self._source.load(visit.video, visit.path, starts, ends, multi=multi)
            self._next_start = end
            failed = self._loaded is None
            if (is_last[-1] if isinstance(is_last, list) else is_last) or failed:
                self._visit = None  # PyTorchVideo closes the video here: so do we
                self._source.close(visit.video)
                self._next_start = 0.0
                self._clip_sampler.reset()
                if failed:
                    continue
            clip, audio, transform = self._source.finish(self._loaded, multi=multi)
            sample: Any = {
                "video": clip,
                "video_name": self._source.name(visit.video, visit.path),
                "video_index": visit.index,
                "clip_index": clip_index,
                "aug_index": aug_index,
                **visit.info,
                **audio,
            }
            if transform is not None:
                sample = transform(sample)
            if sample is not None:  # None: the transform skipped this clip
                return sample
        raise RuntimeError(
            f"Failed to load video after {MAX_CONSECUTIVE_FAILURES} retries."
            f"{self._source.failure_hint}"
        )

    def __iter__(self) -> Iterator[Any]:
        return self

    def close(self) -> None:
        """Close the open video."""
        if self._visit is not None:
            self._source.close(self._visit.video)
        self._visit = None
        self._loaded = None


@dataclass
class _Opened:
    """An encoded video opened by :class:`InlineSource`: its index entry and the audio windows
    read so far."""

    meta: Any
    windows: list[Window] = field(default_factory=list)


class InlineSource:
    """Encoded videos decoded in this process by fastvid (:class:`InlineClips`).

    Args:
        clips: Decodes and finishes clips (its ``lowered`` is ``transform`` lowered).
        transform: The transform as written (PyTorchVideo's ``transform``), or ``None``.
        meta: Path -> its index entry (``VideoMeta``); raises a ``VideoError`` if it has none.
        decode_audio: Add each clip's audio and plan on the duration with audio.
        on_error: ``"skip"`` (warn once per file) or ``"raise"``.
    """

    failure_hint = ""

    def __init__(
        self,
        clips: InlineClips,
        *,
        transform: Transform | None,
        meta: Callable[[str], Any],
        decode_audio: bool,
        on_error: str = "skip",
    ) -> None:
        self._clips = clips
        self._transform = transform
        self._meta = meta
        self._decode_audio = decode_audio
        self._on_error = on_error
        self._warned: set[str] = set()

    def open(self, path: str) -> _Opened | None:
        try:
            return _Opened(self._meta(path))
        except _FAILURES as exc:
            self._failed(path, exc)
            return None

    def duration(self, video: _Opened) -> Fraction | float:
        meta = video.meta
        return meta.duration_with_audio if self._decode_audio else meta.duration

    def name(self, video: _Opened, path: str) -> str:
        return basename(path)

    def load(
        self,
        video: _Opened,
        path: str,
        starts: Sequence[Fraction | float],
        ends: Sequence[Fraction | float],
        *,
        multi: bool,
    ) -> tuple[list[Any], list[Any]] | None:
        """Decode the clips (``None``: one has no frames or cannot be decoded)."""
        subsample = not multi and self._clips.lowers
        decoded, heard = [], []
        try:
            for slot, (start, end) in enumerate(zip(starts, ends, strict=True)):
                positions = self._clips.positions(video.meta, start, end, subsample=subsample)
                if positions.size == 0:
                    return None  # PyTorchVideo's clip with no frames: the video ends here
                decoded.append(self._clips.decode(video.meta, positions, slot=slot))
                if self._decode_audio:
                    heard.append(self._clips.audio(path, start, end, video.windows))
                    video.windows.append((start, end))
                else:
                    heard.append(None)
        except _FAILURES as exc:
            self._failed(path, exc)
            return None
        return decoded, heard

    def finish(
        self, loaded: tuple[list[Any], list[Any]], *, multi: bool
    ) -> tuple[Any, dict[str, Any], Transform | None]:
        decoded, heard = loaded
        if multi:
            sounds: list[Any] = [audio_sample(a).get("audio") for a in heard]
            audio = {"audio": sounds} if self._decode_audio else {}
            return [clip.raw() for clip in decoded], audio, self._transform
        if not self._clips.lowers:
            return decoded[0].raw(), audio_sample(heard[0]), self._transform
        lowered = self._clips.lowered
        video = self._clips.finish(decoded[0], torch.default_generator)
        residual = None if lowered.fully_lowered else lowered.apply_residual
        return video, audio_sample(heard[0]), residual

    def close(self, video: _Opened) -> None:
        self._clips.close()

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
