"""The audio track of generated videos: a tone whose pitch tells the time.

Every ``SEGMENT_SECONDS`` (0.1 s) the pitch steps up by 100 Hz: segment ``k`` (time
``[k / 10, (k + 1) / 10)`` s) is a sine at ``tone_hz(k) = 300 + 100 * (k % 40)`` Hz (unique over
4 s, 300-4200 Hz: lossy codecs keep it). Decode any stretch of a segment and
:func:`read_audio_segment` returns ``k``, so a test can check that a clip's audio comes from
its own time window. A stereo track has the tone at amplitude 0.3 on the left and -0.1 on the
right, so averaging the channels (PyTorchVideo's way) gives amplitude 0.1, and a channel
taken alone does not.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

__all__ = ["AUDIO_RATE", "SEGMENT_SECONDS", "audio_wave", "read_audio_segment", "tone_hz"]

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
