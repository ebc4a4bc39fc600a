"""The audio track of generated videos: a tone whose pitch tells the time, and its encoder.

Every ``SEGMENT_SECONDS`` (0.1 s) the pitch steps up by 100 Hz: segment ``k`` (time
``[k / 10, (k + 1) / 10)`` s) is a sine at ``tone_hz(k) = 300 + 100 * (k % 40)`` Hz (unique over
4 s, 300-4200 Hz: lossy codecs keep it). Decode any stretch of a segment and
:func:`read_audio_segment` returns ``k``, so a test can check that a clip's audio comes from
its own time window. A stereo track has the tone at amplitude 0.3 on the left and -0.1 on the
right, so averaging the channels (PyTorchVideo's way) gives amplitude 0.1, and a channel
taken alone does not.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from fractions import Fraction
from typing import cast

import av
import numpy as np

__all__ = [
    "AUDIO_CODECS",
    "AUDIO_LAYOUTS",
    "AUDIO_RATE",
    "SEGMENT_SECONDS",
    "AudioTrack",
    "audio_wave",
    "read_audio_segment",
    "tone_hz",
]

AUDIO_RATE = 48000
SEGMENT_SECONDS = Fraction(1, 10)
_SEGMENTS = 40
_BASE_HZ = 300.0
_STEP_HZ = 100.0
_LEFT, _RIGHT = 0.3, -0.1


def tone_hz(segment: int) -> float:
    """The pitch (Hz) of segment ``segment`` (time ``[segment / 10, (segment + 1) / 10)`` s)."""
    return _BASE_HZ + _STEP_HZ * (segment % _SEGMENTS)


def audio_wave(start: int, count: int, channels: int) -> np.ndarray:
    """Samples ``start .. start + count`` of the track, float64 ``(channels, count)``."""
    index = start + np.arange(count)
    seconds = index / AUDIO_RATE
    segment = (index * SEGMENT_SECONDS.denominator) // (AUDIO_RATE * SEGMENT_SECONDS.numerator)
    hz = _BASE_HZ + _STEP_HZ * (segment % _SEGMENTS)
    wave = np.sin(2 * np.pi * hz * seconds)
    gains = (_LEFT,) if channels == 1 else (_LEFT, _RIGHT)
    return np.stack([gain * wave for gain in gains])


def read_audio_segment(samples: np.ndarray, sample_rate: int = AUDIO_RATE) -> int:
    """The segment (``k``, modulo 40) whose pitch dominates ``samples``.

    Args:
        samples: Mono samples from within one segment, at least ~20 ms of them.
        sample_rate: Their rate. Default: 48000.

    Raises:
        ValueError: Too few samples, or no tone of the track in them (silence, noise).
    """
    samples = np.asarray(samples, dtype=np.float64).reshape(-1)
    if samples.size < sample_rate // 50:
        raise ValueError(f"{samples.size} samples are too few: pass at least 20 ms")
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    peak = float(np.fft.rfftfreq(samples.size, 1 / sample_rate)[int(np.argmax(spectrum))])
    segment = round((peak - _BASE_HZ) / _STEP_HZ)
    if not 0 <= segment < _SEGMENTS or abs(tone_hz(segment) - peak) > _STEP_HZ / 3:
        raise ValueError(f"the dominant frequency ({peak:.0f} Hz) is not one of the track's")
    return segment


# --------------------------------------------------------------------------- encoding

AUDIO_LAYOUTS = {1: "mono", 2: "stereo"}
AUDIO_CODECS = {
    "aac": "aac",
    "opus": "libopus",
    "vorbis": "vorbis",
    "pcm": "pcm_s16le",
    "mp3": "libmp3lame",
}
_AUDIO_OPTIONS = {"vorbis": {"strict": "experimental"}}  # FFmpeg's own Vorbis encoder


def _samples(wave: np.ndarray, sample_format: str) -> np.ndarray:
    """``wave`` (-1..1) in an encoder's sample format: 16- or 32-bit integers, else float."""
    if sample_format.startswith("s16"):
        return (wave * 32767).astype(np.int16)
    if sample_format.startswith("s32"):  # libmp3lame
        return (wave * 2147483647).astype(np.int32)
    return wave.astype(np.float32)


def _audio_frames(
    codec_context: av.AudioCodecContext, duration: float, channels: int
) -> Iterator[av.AudioFrame]:
    frame_size = codec_context.frame_size or 1024
    total = round(duration * AUDIO_RATE)
    fmt = codec_context.format
    for start in range(0, total, frame_size):
        wave = audio_wave(start, min(frame_size, total - start), channels)  # (channels, n)
        samples = _samples(wave, fmt.name)
        if not fmt.is_planar:  # packed: one row, channels interleaved
            samples = samples.T.reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples),
            format=fmt.name,
            layout=AUDIO_LAYOUTS[channels],
        )
        frame.sample_rate = AUDIO_RATE
        frame.pts = start
        frame.time_base = Fraction(1, AUDIO_RATE)
        yield frame


class AudioTrack:
    """The time-telling tone (:mod:`fastvid.testing._audio`), encoded in step with the video
    so the muxer can interleave."""

    def __init__(
        self,
        container: av.container.OutputContainer,
        codec: str,
        seconds: float | None,
        channels: int,
    ) -> None:
        self._container = container
        self._seconds = seconds or 0.0
        self._channels = channels
        layout = AUDIO_LAYOUTS[channels]
        self._stream = (
            None
            if seconds is None
            else cast(
                av.AudioStream,
                container.add_stream(
                    codec, rate=AUDIO_RATE, layout=layout, options=_AUDIO_OPTIONS.get(codec, {})
                ),
            )
        )
        self._frames: Iterator[av.AudioFrame] | None = None  # the codec opens with the 1st packet
        self._pending: av.AudioFrame | None = None

    def write_until(self, seconds: float | Fraction) -> None:
        """Encode the tone up to ``seconds``."""
        if self._stream is None:
            return
        if self._frames is None:
            self._frames = _audio_frames(self._stream.codec_context, self._seconds, self._channels)
            self._pending = next(self._frames, None)
        while self._pending is not None and (self._pending.pts or 0) <= seconds * AUDIO_RATE:
            self._container.mux(self._stream.encode(self._pending))
            self._pending = next(self._frames, None)

    def close(self) -> None:
        """Encode the rest of the tone and flush the encoder."""
        if self._stream is None:
            return
        self.write_until(math.inf)
        self._container.mux(self._stream.encode(None))
