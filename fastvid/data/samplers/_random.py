"""``random`` and ``random_multi``: clips at uniformly random start times (PyTorchVideo's
``RandomClipSampler`` and ``RandomMultiClipSampler``).

PyTorchVideo draws start times with Python's global ``random.uniform``; so do these samplers by
default, which makes ``random.seed(s)`` give the same clips in both. Pass ``generator`` (a
``random.Random`` or a ``torch.Generator``) to draw from a source of your own instead.
"""

from __future__ import annotations

import random
import sys
from fractions import Fraction
from typing import TYPE_CHECKING, Any, TypeAlias

from fastvid._validate import check_positive_int
from fastvid.data.samplers._base import ClipInfo, ClipInfoList, InfoT, _BuiltinSampler

if TYPE_CHECKING:
    import torch

__all__ = ["RandomClipSampler", "RandomMultiClipSampler", "RandomSource"]

#: Where random start times come from: ``None`` is Python's global ``random`` module.
RandomSource: TypeAlias = "random.Random | torch.Generator | None"


class _RandomSampler(_BuiltinSampler[InfoT]):
    """Shared part of the random samplers: the generator and one random clip."""

    def __init__(self, clip_duration: float | Fraction, *, generator: RandomSource = None) -> None:
        super().__init__(clip_duration)
        self._generator = _validate_generator(generator)

    @property
    def generator(self) -> RandomSource:
        """The source of random start times (``None``: Python's global ``random``)."""
        return self._generator

    def _uniform(self, high: Any) -> float:
        # ``random.uniform(a, b)`` is ``a + (b - a) * random()``; the torch path keeps that form.
        generator = self._generator
        if generator is None:
            return random.uniform(0, high)
        if isinstance(generator, random.Random):
            return generator.uniform(0, high)
        import torch

        u = float(torch.rand((), generator=generator, dtype=torch.float64, device=generator.device))
        return 0 + (high - 0) * u

    def _random_clip(self, video_duration: float | Fraction) -> ClipInfo:
        # Verbatim PyTorchVideo arithmetic.
        max_possible_clip_start = max(video_duration - self._clip_duration, 0)
        clip_start_sec = Fraction(self._uniform(max_possible_clip_start))
        return ClipInfo(clip_start_sec, clip_start_sec + self._clip_duration, 0, 0, True)


class RandomClipSampler(_RandomSampler[ClipInfo]):
    """One clip per video, starting at a uniformly random time.

    Identical to PyTorchVideo 0.1.5's ``RandomClipSampler``: the start is
    ``Fraction(random.uniform(0, max(video_duration - clip_duration, 0)))``, so a video shorter
    than one clip gives ``[0, clip_duration)``; ``clip_index`` and ``aug_index`` are 0 and
    ``is_last_clip`` is always true.

    Args:
        clip_duration: Length of the clip in seconds; > 0.
        generator: Source of the random start times: a ``random.Random`` (drawn exactly like
            PyTorchVideo's ``random.uniform``) or a ``torch.Generator`` (one float64
            ``torch.rand`` per clip). Keyword-only. Default: ``None`` (Python's global
            ``random``, as PyTorchVideo). A generator object is copied into each DataLoader
            worker with the same state, so seed it per worker (``worker_init_fn``) or keep the
            default, which DataLoader reseeds per worker.

    Raises:
        ValueError: ``clip_duration`` is out of range.
        TypeError: a value has the wrong type.
    """

    def _next_clip(
        self, last_clip_time: float | Fraction, video_duration: float | Fraction
    ) -> ClipInfo:
        return self._random_clip(video_duration)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(clip_duration={self._clip_duration})"


class RandomMultiClipSampler(_RandomSampler[ClipInfoList]):
    """``num_clips`` independent random clips per video, returned together in one call.

    Identical to PyTorchVideo 0.1.5's ``RandomMultiClipSampler``: each call draws ``num_clips``
    clips as ``RandomClipSampler`` does and returns them as a ``ClipInfoList`` whose
    ``is_last_clip`` entries are all true.

    Args:
        clip_duration: Length of each clip in seconds; > 0.
        num_clips: Clips per call; >= 1.
        generator: Source of the random start times, as for :class:`RandomClipSampler` (one
            draw per clip). Keyword-only. Default: ``None`` (Python's global ``random``).

    Raises:
        ValueError: a value is out of range.
        TypeError: a value has the wrong type.
    """

    def __init__(
        self,
        clip_duration: float | Fraction,
        num_clips: int,
        *,
        generator: RandomSource = None,
    ) -> None:
        super().__init__(clip_duration, generator=generator)
        self._num_clips = check_positive_int("num_clips", num_clips)

    @property
    def num_clips(self) -> int:
        """Clips drawn per call."""
        return self._num_clips

    def _next_clip(
        self, last_clip_time: float | Fraction, video_duration: float | Fraction
    ) -> ClipInfoList:
        clips = [self._random_clip(video_duration) for _ in range(self._num_clips)]
        return ClipInfoList(
            [clip.clip_start_sec for clip in clips],
            [clip.clip_end_sec for clip in clips],
            [clip.clip_index for clip in clips],
            [clip.aug_index for clip in clips],
            [clip.is_last_clip for clip in clips],
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(clip_duration={self._clip_duration}, "
            f"num_clips={self._num_clips})"
        )


def _validate_generator(generator: object) -> RandomSource:
    if generator is None or isinstance(generator, random.Random):
        return generator
    torch = sys.modules.get("torch")  # a torch.Generator implies torch is imported
    if torch is not None and isinstance(generator, torch.Generator):
        return generator
    raise TypeError(
        "generator must be None (Python's global random), a random.Random or a "
        f"torch.Generator, got {type(generator).__name__}: {generator!r}"
    )
