"""``uniform``: consecutive clips from the start of the video (PyTorchVideo's
``UniformClipSampler``, same arithmetic, same clips)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from fastvid._validate import check_bool, check_positive_real, check_real
from fastvid.data.samplers._base import ClipInfo, _BuiltinSampler

__all__ = ["UniformClipSampler"]


class UniformClipSampler(_BuiltinSampler[ClipInfo]):
    """Splits the video into consecutive clips of ``clip_duration`` seconds, ``stride`` apart.

    Each call returns the clip that follows the one ending at ``last_clip_time``, with
    ``is_last_clip`` true when no further clip fits. Identical to PyTorchVideo 0.1.5's
    ``UniformClipSampler``, quirks included:

    * Without ``backpad_last`` the last partial clip is dropped: a 5.3 s video with 2 s clips
      gives ``[0, 2)`` and ``[2, 4)``. A video shorter than one clip still gives ``[0, clip)``.
    * With ``backpad_last`` the last clip is shifted back to end at the video's end
      (``[3.3, 5.3)`` above), and a clip is the last one when the next would end within
      ``eps`` of it.
    * ``stride`` is used as given (a float stride makes the start times float arithmetic
      before they are turned into ``Fraction``), so pass ``Fraction`` values for exact frames.

    Args:
        clip_duration: Length of each clip in seconds; > 0.
        stride: Seconds between clip starts; ``0 < stride <= clip_duration``.
            Default: ``None`` (``clip_duration``: clips do not overlap).
        backpad_last: Add the back-padded last clip described above. Default: ``False``.
        eps: Tolerance of the back-padded last-clip test; > 0. Default: ``1e-6``.

    Raises:
        ValueError: a value is out of range.
        TypeError: a value has the wrong type.
    """

    def __init__(
        self,
        clip_duration: float | Fraction,
        stride: float | Fraction | None = None,
        backpad_last: bool = False,
        eps: float | Fraction = 1e-6,
    ) -> None:
        super().__init__(clip_duration)
        # PyTorchVideo keeps the stride (or the raw clip_duration) unconverted; so do we, so
        # that float strides round exactly as they do there.
        self._stride = clip_duration if stride is None else _validate_stride(stride, clip_duration)
        self._backpad_last = check_bool("backpad_last", backpad_last)
        self._eps = check_positive_real("eps", eps)

    @property
    def stride(self) -> float | Fraction:
        """Seconds between clip starts."""
        return self._stride

    @property
    def backpad_last(self) -> bool:
        """Whether the last partial clip is back-padded into the video."""
        return self._backpad_last

    def _clip_start_end(
        self,
        last_clip_time: float | Fraction,
        video_duration: float | Fraction,
        backpad_last: bool,
    ) -> tuple[Fraction, Fraction]:
        # Verbatim PyTorchVideo arithmetic: float and Fraction mix on purpose (a float stride or
        # duration rounds as it does there), hence the ``Any`` locals.
        overlap: Any = max(0, self._clip_duration - self._stride)
        start: Any = max(last_clip_time - overlap, 0)
        clip_start = Fraction(start)
        clip_end = Fraction(clip_start + self._clip_duration)
        if backpad_last:
            buffer_amount: Any = max(0, clip_end - video_duration)
            start = clip_start - buffer_amount
            clip_start = Fraction(max(0, start))  # handle rounding
            clip_end = Fraction(clip_start + self._clip_duration)
        return clip_start, clip_end

    def _next_clip(
        self, last_clip_time: float | Fraction, video_duration: float | Fraction
    ) -> ClipInfo:
        # The clip that follows the one ending at ``last_clip_time``.
        clip_start, clip_end = self._clip_start_end(
            last_clip_time, video_duration, backpad_last=self._backpad_last
        )
        # The clip is the last one if the next would end past the video (or, back-padded,
        # at the same time as this one).
        _, next_clip_end = self._clip_start_end(
            clip_end, video_duration, backpad_last=self._backpad_last
        )
        if self._backpad_last:
            is_last_clip = abs(next_clip_end - clip_end) < self._eps
        else:
            is_last_clip = next_clip_end > video_duration

        clip_index = self._current_clip_index
        self._current_clip_index += 1
        if is_last_clip:
            self.reset()
        return ClipInfo(clip_start, clip_end, clip_index, 0, is_last_clip)

    def reset(self) -> None:
        """Start the next video at clip index 0."""
        self._current_clip_index = 0

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(clip_duration={self._clip_duration}, stride={self._stride}, "
            f"backpad_last={self._backpad_last}, eps={self._eps})"
        )


def _validate_stride(stride: object, clip_duration: float | Fraction) -> float | Fraction:
    value = check_real("stride", stride)
    if not 0 < value <= clip_duration:
        raise ValueError(
            f"stride ({stride}) must be > 0 and <= clip_duration ({clip_duration}) seconds"
        )
    return value
