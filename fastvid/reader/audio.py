"""A clip's audio, decoded in the worker exactly as PyTorchVideo's PyAV decoder does it.

PyTorchVideo's ``EncodedVideoPyAV(decode_audio=True).get_clip(start, end)["audio"]`` is:

- the audio frames of the file's first audio stream whose pts lie in
  ``[ceil(start / time_base) + start_pts, ceil(end / time_base) + start_pts)`` (whole frames:
  its length is a sum of frame sizes, so clips of one duration can differ by a frame);
- each frame averaged over its channels (``np.mean(frame.to_ndarray(), axis=0)``: mono for
  the planar formats AAC, Opus and Vorbis decode to), concatenated, as float32 samples in the
  decoder's range (-1..1 for float formats, -32768..32767 for 16-bit PCM);
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
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
import numpy as np

__all__ = ["AudioReader", "ClipAudio", "TaskAudio", "audio_window_pts"]

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

    def __init__(self, path: str) -> None:
        self.path = path
        self.container = av.open(path)
        streams = self.container.streams
        self.stream = streams.audio[0] if streams.audio else None
        self.decoded: list[tuple[np.ndarray, int]] | None = None
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
        self.container.close()


class AudioReader:
    """Decodes clips' audio; keeps the last file open (a task's clips are of one video).

    Example::

        reader = AudioReader()
        audio = reader.clip("video.mp4", Fraction(1), Fraction(2))  # ClipAudio or None
    """

    def __init__(self) -> None:
        self._open: _OpenFile | None = None
        self.decoded_clips = 0  # clips whose audio was asked for (tests count these)

    def clip(
        self, path: str, start_sec: Fraction | float, end_sec: Fraction | float
    ) -> ClipAudio | None:
        """The audio of ``[start_sec, end_sec)`` of ``path``, or ``None`` if it has none there.

        Raises:
            av.FFmpegError, OSError: The file cannot be opened.
        """
        if self._open is None or self._open.path != path:
            self.close()
            self._open = _OpenFile(path)
        self.decoded_clips += 1
        return self._open.clip(start_sec, end_sec)

    def forget(self, path: str) -> None:
        """Close ``path`` if it is open (it failed, or changed)."""
        if self._open is not None and self._open.path == path:
            self.close()

    def close(self) -> None:
        """Close the open file."""
        if self._open is not None:
            self._open.close()
            self._open = None


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
