"""``constant_clips_per_video``: a fixed number of evenly spaced clips per video (PyTorchVideo's
``ConstantClipsPerVideoSampler``, the usual evaluation sampler)."""

from __future__ import annotations

from fractions import Fraction

from fastvid._validate import check_positive_int
from fastvid.data.samplers._base import ClipInfo, _BuiltinSampler

__all__ = ["ConstantClipsPerVideoSampler"]


class ConstantClipsPerVideoSampler(_BuiltinSampler[ClipInfo]):
    """``clips_per_video`` clips starting at evenly spaced times, each drawn ``augs_per_clip``
    times.

    Identical to PyTorchVideo 0.1.5's ``ConstantClipsPerVideoSampler``: with
    ``span = max(video_duration - clip_duration, 0)`` clip ``i`` starts at
    ``i * span / clips_per_video`` (so the last clip does not reach the end of the video), and
    each clip is returned ``augs_per_clip`` times in a row with ``aug_index`` 0, 1, ...;
    ``is_last_clip`` is true for the last view of the last clip.
    A video shorter than one clip gives ``clips_per_video`` clips all starting at 0.

    Args:
        clip_duration: Length of each clip in seconds; > 0.
        clips_per_video: Clips per video; >= 1.
        augs_per_clip: Views returned for each clip; >= 1. Default: ``1``.

    Raises:
        ValueError: a value is out of range.
        TypeError: a value has the wrong type.
    """

    def __init__(
        self,
        clip_duration: float | Fraction,
        clips_per_video: int,
        augs_per_clip: int = 1,
    ) -> None:
        super().__init__(clip_duration)
        self._clips_per_video = check_positive_int("clips_per_video", clips_per_video)
        self._augs_per_clip = check_positive_int("augs_per_clip", augs_per_clip)

    @property
    def clips_per_video(self) -> int:
        """Clips drawn per video."""
        return self._clips_per_video

    @property
    def augs_per_clip(self) -> int:
        """Views returned for each clip."""
        return self._augs_per_clip

    def _next_clip(
        self, last_clip_time: float | Fraction, video_duration: float | Fraction
    ) -> ClipInfo:
        # The next (clip, view): verbatim PyTorchVideo arithmetic and state machine.
        max_possible_clip_start = Fraction(max(video_duration - self._clip_duration, 0))
        uniform_clip = Fraction(max_possible_clip_start, self._clips_per_video)
        clip_start_sec = uniform_clip * self._current_clip_index
        clip_index = self._current_clip_index
        aug_index = self._current_aug_index

        self._current_aug_index += 1
        if self._current_aug_index >= self._augs_per_clip:
            self._current_clip_index += 1
            self._current_aug_index = 0

        is_last_clip = (
            self._current_clip_index >= self._clips_per_video
            or uniform_clip * self._current_clip_index > max_possible_clip_start
        )
        if is_last_clip:
            self.reset()
        return ClipInfo(
            clip_start_sec,
            clip_start_sec + self._clip_duration,
            clip_index,
            aug_index,
            is_last_clip,
        )

    def reset(self) -> None:
        """Start the next video at clip 0, view 0."""
        self._current_clip_index = 0
        self._current_aug_index = 0

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(clip_duration={self._clip_duration}, "
            f"clips_per_video={self._clips_per_video}, augs_per_clip={self._augs_per_clip})"
        )
