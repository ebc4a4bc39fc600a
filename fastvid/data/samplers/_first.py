"""``FirstClipSampler``: one clip per video, the first one another sampler draws.

Lightning Flash 0.8 predicts one clip per video: its predict inputs call the clip sampler the
user configured once, as ``sampler(0.0, video.duration, None)``, and keep that clip
(``VideoClassificationPathsPredictInput.predict_load_sample``). Wrapping that sampler in
``FirstClipSampler`` gives the same clip through fastvid's loader: ``[0, d)`` for
``"uniform"``, a random window for ``"random"``, the first of N for
``"constant_clips_per_video"``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from fastvid.data.samplers._base import ClipInfo, ClipInfoList, ClipSampler

__all__ = ["FirstClipSampler"]


class FirstClipSampler(ClipSampler[Any]):
    """The first clip ``sampler`` draws from each video, marked as the video's last.

    Args:
        sampler: A fastvid ``ClipSampler`` (see :func:`~fastvid.data.samplers.as_clip_sampler`
            for turning PyTorchVideo's into one).

    Raises:
        TypeError: ``sampler`` is not a fastvid ``ClipSampler``.
    """

    def __init__(self, sampler: ClipSampler[Any]) -> None:
        if not isinstance(sampler, ClipSampler):
            raise TypeError(
                f"FirstClipSampler wraps a fastvid ClipSampler, got {type(sampler).__name__}: "
                f"{sampler!r}; convert it with fastvid.data.samplers.as_clip_sampler first"
            )
        self._sampler = sampler

    @property
    def wrapped(self) -> ClipSampler[Any]:
        """The sampler whose first clip is kept."""
        return self._sampler

    @property
    def clip_duration(self) -> Fraction:
        """The wrapped sampler's clip length in seconds."""
        return self._sampler.clip_duration

    def __call__(
        self,
        last_clip_time: float | Fraction,
        video_duration: float | Fraction,
        annotation: dict[str, Any] | None,
    ) -> ClipInfo | ClipInfoList:
        info = self._sampler(last_clip_time, video_duration, annotation)
        if isinstance(info, ClipInfoList):
            return info._replace(is_last_clip=[*info.is_last_clip[:-1], True])
        return info._replace(is_last_clip=True)

    def reset(self) -> None:
        """Reset the wrapped sampler before the next video."""
        self._sampler.reset()

    def __repr__(self) -> str:
        return f"FirstClipSampler({self._sampler!r})"
