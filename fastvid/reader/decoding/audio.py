"""A clip's audio, decoded in the worker exactly as PyTorchVideo's PyAV decoder does it.

PyTorchVideo's ``EncodedVideoPyAV(decode_audio=True).get_clip(start, end)["audio"]`` is:

- the audio frames of the file's first audio stream whose pts lie in
  ``[ceil(start / time_base) + start_pts, ceil(end / time_base) + start_pts)`` (whole frames:
  its length is a sum of frame sizes, so clips of one duration can differ by a frame);
- each frame averaged over its channels (``np.mean(frame.to_ndarray(), axis=0)``: mono for
  the planar formats AAC, Opus and Vorbis decode to; a packed format's one row holds the
  channels interleaved, which the mean leaves as they are), concatenated, as float32 samples in
  the decoder's range (-1..1 for float formats, -32768..32767 for 16-bit PCM);
- decoded after a seek to ``start_pts - 1024`` (audio time base) when either stream's header
  states a duration ("selective decoding"), else from one decode of the whole track, made when
  the file is opened.

:class:`AudioReader` does the same calls in the same order, so its samples equal PyTorchVideo's.
A file without an audio stream, or a clip with no audio frame in its window, has no audio
(``None``; PyTorchVideo leaves the ``"audio"`` key out). Imports PyAV and NumPy only (it runs in
the worker processes).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
import numpy as np

from fastvid.data.storage import Storage
from fastvid.reader.decoding._container import OpenContainer

__all__ = [
    "AudioReader",
    "ClipAudio",
    "TaskAudio",
    "VisitWindows",
    "audio_window_pts",
    "read_clip_audio",
]

Window = tuple[Fraction | float, Fraction | float]

logger = logging.getLogger(__name__)

_SEEK_MARGIN = 1024  # PyTorchVideo's _pyav_decode_stream margin, in the stream's time base


@dataclass(frozen=True)
class ClipAudio:
    """One clip's audio.

    Attributes:
        samples: float32 ``(N,)``, channels averaged (PyTorchVideo's ``"audio"``).
        sample_rate: Samples per second of the audio stream.
    """

    samples: np.ndarray
    sample_rate: int


class VisitWindows:
    """The audio windows of an epoch plan's clips, and what PyTorchVideo decoded before each.

    PyTorchVideo keeps a video open for the run of its consecutive clips in the plan (a visit)
    and decodes each clip once for all its augmentations (``aug_index`` 0).

    Args:
        plan: The epoch's clips (``ClipRequest``-like: ``video_index``, ``aug_index``,
            ``clip_start_sec``, ``clip_end_sec``).
    """

    def __init__(self, plan: Sequence[Any]) -> None:
        self._plan = plan
        self._starts: list[int] | None = None

    def job(self, slot: int) -> tuple[Window, tuple[Window, ...]]:
        """Clip ``slot``'s window and the windows decoded before it in its visit."""
        if self._starts is None:
            self._starts = []
            for position, request in enumerate(self._plan):
                same = position and self._plan[position - 1].video_index == request.video_index
                self._starts.append(self._starts[-1] if same else position)
        earlier = self._plan[self._starts[slot] : slot]
        return _window(self._plan[slot]), tuple(_window(r) for r in earlier if r.aug_index == 0)


def _window(request: Any) -> Window:
    return (request.clip_start_sec, request.clip_end_sec)


def read_clip_audio(
    output: Any, segment: str | None, view: Callable[[str, int, int], np.ndarray]
) -> ClipAudio | None:
    """A copy of a clip's audio from its task's segment (``None``: the clip has none).

    Args:
        output: The clip's ``ClipOutput``.
        segment: Its task's segment.
        view: ``(segment, offset, nbytes)`` -> a uint8 view (``SegmentViews.view``).
    """
    if output is None or output.audio_samples < 0 or segment is None:
        return None
    data = view(segment, output.audio_offset, 4 * output.audio_samples)
    return ClipAudio(data.view(np.float32).copy(), output.sample_rate)


def audio_window_pts(
    start_sec: Fraction | float, end_sec: Fraction | float, time_base: Fraction, start_pts: Any
) -> tuple[Any, Any]:
    """PyTorchVideo's ``secs_to_pts(..., round_mode="ceil")`` of a clip's start and end."""
    return (
        math.ceil(start_sec / time_base) + start_pts,
        math.ceil(end_sec / time_base) + start_pts,
    )


class _OpenFile:
    """One file's container and audio stream, as ``EncodedVideoPyAV.__init__`` sets them up."""

    def __init__(self, path: str, storage: Storage | None = None) -> None:
        self.path = path
        self._opened = OpenContainer(path, storage)
        self.container = self._opened.container
        streams = self.container.streams
        self.stream = streams.audio[0] if streams.audio else None
        self.decoded: list[tuple[np.ndarray, int]] | None = None
        self.selective = False  # no audio: nothing to decode, no history
        if self.stream is None:
            return
        self.time_base = Fraction(self.stream.time_base or 0)
        start = self.stream.start_time
        self.start_pts: Any = 0.0 if start is None else start  # PyTorchVideo's 0.0 default
        self.sample_rate = int(self.stream.codec_context.sample_rate or 0)
        video = streams.video[0] if streams.video else None
        self.selective = not (
            self.stream.duration is None and (video is None or video.duration is None)
        )
        if not self.selective:  # PyTorchVideo decodes the whole track once, at open
            self.decoded = self._decode(self.start_pts, math.inf)

    def clip(self, start_sec: Fraction | float, end_sec: Fraction | float) -> ClipAudio | None:
        if self.stream is None:
            return None
        start, end = audio_window_pts(start_sec, end_sec, self.time_base, self.start_pts)
        frames = self._decode(start, end) if self.selective else self.decoded
        if not frames:
            return None
        kept = [samples for samples, pts in frames if start <= pts < end]
        if not kept:  # PyTorchVideo's torch.cat([]) raises here; fastvid: no audio
            return None
        samples = np.concatenate(kept).astype(np.float32, copy=False)
        return ClipAudio(samples, self.sample_rate)

    def _decode(self, start_pts: Any, end_pts: Any) -> list[tuple[np.ndarray, int]] | None:
        """``_pyav_decode_stream`` on the audio stream, frames averaged over channels."""
        assert self.stream is not None
        try:
            seek = max(start_pts - _SEEK_MARGIN, 0)
            self.container.seek(int(seek), any_frame=False, backward=True, stream=self.stream)
            frames: dict[int, Any] = {}
            for frame in self.container.decode(audio=0):
                if frame.pts is None:  # PyTorchVideo's max() fails on it: no audio
                    return None
                if start_pts <= frame.pts < end_pts:
                    frames[frame.pts] = frame
                elif frame.pts >= end_pts:
                    break
        except (av.FFmpegError, OSError, EOFError) as exc:  # PyTorchVideo: no audio either
            logger.debug("fastvid: no audio from %s: %s", self.path, exc)
            return None
        return [(np.mean(frames[pts].to_ndarray(), axis=0), pts) for pts in sorted(frames)]

    def close(self) -> None:
        self._opened.close()


class AudioReader:
    """Decodes clips' audio; keeps the last file open (a task's clips are of one video).

    FFmpeg's AAC decoder carries state across seeks (measured: the same window decoded after
    different earlier windows differs by up to ~4e-4), so PyTorchVideo's samples for a clip
    depend on what it decoded before from the same open file: the earlier clips of the visit
    (``before``). The reader keeps the windows it decoded from its open file; if they are not
    ``before``, it reopens the file and decodes them first (only at a task boundary or a
    worker change, and only for files decoded clip by clip).

    Example::

        reader = AudioReader()
        audio = reader.clip("video.mp4", Fraction(1), Fraction(2))  # ClipAudio or None
    """

    def __init__(self, storage: Storage | None = None) -> None:
        self.storage = storage
        self._open: _OpenFile | None = None
        self._windows: list[Window] = []  # decoded from the open file, in order
        self._last: ClipAudio | None = None  # the last window's audio
        self.decoded_clips = 0  # windows decoded (replays included)

    def clip(
        self,
        path: str,
        start_sec: Fraction | float,
        end_sec: Fraction | float,
        before: Sequence[Window] = (),
    ) -> ClipAudio | None:
        """The audio of ``[start_sec, end_sec)`` of ``path``, or ``None`` if it has none there.

        Args:
            path: The file.
            start_sec: Clip start (seconds, as the clip sampler gave it).
            end_sec: Clip end (exclusive).
            before: The windows PyTorchVideo decoded from the same open file first.
                Default: none (a freshly opened file).

        Raises:
            av.FFmpegError, OSError: The file cannot be opened.
        """
        window = (start_sec, end_sec)
        history = list(before)
        if self._open is None or self._open.path != path:
            self._reopen(path)
        assert self._open is not None
        if not self._open.selective:  # one decode of the whole track: no history
            self.decoded_clips += 1
            return self._open.clip(start_sec, end_sec)
        if self._windows == [*history, window]:  # another augmentation of the last clip
            return self._last
        if self._windows != history:
            self._reopen(path)
            for earlier in history:
                self._decode(earlier)
        return self._decode(window)

    def _decode(self, window: Window) -> ClipAudio | None:
        assert self._open is not None
        self._last = self._open.clip(*window)
        self._windows.append(window)
        self.decoded_clips += 1
        return self._last

    def _reopen(self, path: str) -> None:
        self.close()
        self._open = _OpenFile(path, self.storage)

    def forget(self, path: str) -> None:
        """Close ``path`` if it is open (it failed, or changed)."""
        if self._open is not None and self._open.path == path:
            self.close()

    def close(self) -> None:
        """Close the open file."""
        if self._open is not None:
            self._open.close()
            self._open = None
        self._windows = []
        self._last = None


class TaskAudio:
    """A worker task's decoded audio, per clip (``None``: none), and the seconds it took."""

    def __init__(self, clips: list[ClipAudio | None], seconds: float) -> None:
        self.clips = clips
        self.seconds = seconds

    def sizes(self) -> list[int]:
        """Bytes per clip's samples (0 without audio), to lay out after the video data."""
        return [0 if a is None else a.samples.nbytes for a in self.clips]

    def write(self, buffer: np.ndarray, offsets: list[int]) -> list[tuple[int, int, int]]:
        """Copy the samples to ``offsets`` of ``buffer``; per clip, ``ClipOutput``'s
        ``(audio_offset, audio_samples, sample_rate)`` (``(0, -1, 0)``: no audio)."""
        fields: list[tuple[int, int, int]] = []
        for clip, offset in zip(self.clips, offsets, strict=True):
            if clip is None:
                fields.append((0, -1, 0))
                continue
            data = clip.samples.view(np.uint8)
            buffer[offset : offset + data.size] = data
            fields.append((offset, int(clip.samples.size), clip.sample_rate))
        return fields
