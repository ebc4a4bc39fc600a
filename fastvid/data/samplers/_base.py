"""What every clip sampler shares: the ``ClipInfo`` values, the ``ClipSampler`` base class,
argument validation, the adapter for PyTorchVideo's own samplers and :func:`clips_for_video`.

A clip sampler is stateful, exactly like PyTorchVideo's: ``LabeledVideoDataset`` calls
``sampler(last_clip_end_time, video_duration, annotation)`` once per clip, feeding back the end
time of the clip it returned before (``0.0`` for a new video), until the returned clip has
``is_last_clip`` set; then it calls ``sampler.reset()`` and moves on to the next video.
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from fractions import Fraction
from typing import Any, Generic, NamedTuple, TypeVar

from fastvid._validate import check_positive_int, check_positive_real

__all__ = [
    "ClipInfo",
    "ClipInfoList",
    "ClipSampler",
    "PyTorchVideoClipSampler",
    "clips_for_video",
]

#: How many clips :func:`clips_for_video` draws before deciding the sampler never finishes.
DEFAULT_MAX_CLIPS = 1_000_000

_PYTORCHVIDEO_MODULE = "pytorchvideo.data.clip_sampling"


class ClipInfo(NamedTuple):
    """One sampled clip; equal to, and unpacked like, PyTorchVideo's ``ClipInfo``.

    fastvid's samplers always return :class:`~fractions.Fraction` times; a wrapped PyTorchVideo
    sampler's times are passed on unchanged (they may be floats).

    Attributes:
        clip_start_sec: Clip start time in seconds.
        clip_end_sec: Clip end time in seconds.
        clip_index: Index of the clip within the video.
        aug_index: Augmentation index of the clip (several views of the same clip).
        is_last_clip: Whether this is the last clip drawn from the video.
    """

    clip_start_sec: Fraction | float
    clip_end_sec: Fraction | float
    clip_index: int
    aug_index: int
    is_last_clip: bool


class ClipInfoList(NamedTuple):
    """Several clips drawn in one call (``random_multi``), one list per field.

    Equal to, and unpacked like, PyTorchVideo's ``ClipInfoList``. The video is finished when
    ``is_last_clip[-1]`` is true (the rule ``LabeledVideoDataset`` applies).
    """

    clip_start_sec: list[Fraction | float]
    clip_end_sec: list[Fraction | float]
    clip_index: list[int]
    aug_index: list[int]
    is_last_clip: list[bool]


#: What a sampler returns per call: ``ClipInfo`` (most) or ``ClipInfoList`` (multi-clip).
InfoT = TypeVar("InfoT", bound="ClipInfo | ClipInfoList")


class ClipSampler(ABC, Generic[InfoT]):
    """Base class of fastvid's clip samplers; the same interface as PyTorchVideo's.

    Subclasses implement ``__call__`` and, if they keep per-video state, ``reset``.

    Args:
        clip_duration: Length of each clip in seconds (kept as an exact ``Fraction``).
    """

    def __init__(self, clip_duration: float | Fraction) -> None:
        self._clip_duration = Fraction(
            check_positive_real("clip_duration", clip_duration, unit=" seconds")
        )
        self._current_clip_index = 0
        self._current_aug_index = 0

    @property
    def clip_duration(self) -> Fraction:
        """Length of each clip in seconds."""
        return self._clip_duration

    @abstractmethod
    def __call__(
        self,
        last_clip_time: float | Fraction,
        video_duration: float | Fraction,
        annotation: dict[str, Any] | None,
    ) -> InfoT:
        """Draw the next clip of a video.

        Args:
            last_clip_time: End time of the clip drawn before from this video, ``0.0`` for a
                new video.
            video_duration: Duration of the video in seconds.
            annotation: The video's label dictionary (unused by the built-in samplers).

        Returns:
            The next clip (a ``ClipInfoList`` for multi-clip samplers).
        """

    def reset(self) -> None:  # optional hook (PyTorchVideo's interface)
        """Forget per-video state before the next video (no-op for stateless samplers)."""


class _BuiltinSampler(ClipSampler[InfoT]):
    """Base of the samplers fastvid implements itself: one ``__call__`` for all of them.

    Subclasses draw the clip in ``_next_clip``; their class docstrings say which clips they draw
    and when ``is_last_clip`` is set.
    """

    def __call__(
        self,
        last_clip_time: float | Fraction,
        video_duration: float | Fraction,
        annotation: dict[str, Any] | None = None,
    ) -> InfoT:
        """Draw the next clip of a video.

        Args:
            last_clip_time: End time of the clip drawn before from this video, ``0.0`` for a
                new video (only samplers that continue from the last clip, ``uniform``, use it).
            video_duration: Duration of the video in seconds.
            annotation: Unused. Default: ``None``.

        Returns:
            The clip (a ``ClipInfoList`` of several for multi-clip samplers).
        """
        return self._next_clip(last_clip_time, video_duration)

    @abstractmethod
    def _next_clip(
        self, last_clip_time: float | Fraction, video_duration: float | Fraction
    ) -> InfoT:
        """The clip ``__call__`` returns."""


class PyTorchVideoClipSampler(ClipSampler[ClipInfo | ClipInfoList]):
    """Adapts a PyTorchVideo ``ClipSampler`` object to fastvid's interface.

    Calls are forwarded unchanged; the returned ``ClipInfo``/``ClipInfoList`` is rebuilt as
    fastvid's type with the same values.

    Args:
        sampler: A ``pytorchvideo.data.clip_sampling.ClipSampler`` instance.
    """

    def __init__(self, sampler: Any) -> None:
        if not _is_pytorchvideo_sampler(sampler):
            raise TypeError(
                "PyTorchVideoClipSampler wraps pytorchvideo.data.clip_sampling.ClipSampler "
                f"instances, got {type(sampler).__name__}: {sampler!r}"
            )
        self._sampler = sampler
        duration = getattr(sampler, "_clip_duration", None)
        self._clip_duration_or_none = None if duration is None else Fraction(duration)

    @property
    def wrapped(self) -> Any:
        """The PyTorchVideo sampler this adapter forwards to."""
        return self._sampler

    @property
    def clip_duration(self) -> Fraction:
        """The wrapped sampler's clip length in seconds."""
        if self._clip_duration_or_none is None:
            raise AttributeError(
                f"the wrapped sampler {self._sampler!r} has no _clip_duration attribute"
            )
        return self._clip_duration_or_none

    def __call__(
        self,
        last_clip_time: float | Fraction,
        video_duration: float | Fraction,
        annotation: dict[str, Any] | None,
    ) -> ClipInfo | ClipInfoList:
        info = self._sampler(last_clip_time, video_duration, annotation)
        if isinstance(info[0], list):
            return ClipInfoList(*(list(field) for field in info))
        return ClipInfo(*info)

    def reset(self) -> None:
        self._sampler.reset()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._sampler!r})"


def clips_for_video(
    sampler: ClipSampler[InfoT] | Any,
    duration: float | Fraction,
    annotation: dict[str, Any] | None = None,
    *,
    max_clips: int = DEFAULT_MAX_CLIPS,
) -> list[InfoT]:
    """Every clip PyTorchVideo's ``LabeledVideoDataset`` would draw from one video, in order.

    Starts with ``last_clip_time=0.0``, feeds each clip's end time back, stops after the clip
    whose ``is_last_clip`` is true (``is_last_clip[-1]`` for a ``ClipInfoList``) and then
    calls ``sampler.reset()``, as the dataset does.

    Args:
        sampler: A fastvid ``ClipSampler`` or a PyTorchVideo ``ClipSampler`` object (its
            results are returned as fastvid ``ClipInfo``/``ClipInfoList``).
        duration: The video's duration in seconds; must be finite and > 0.
        annotation: Passed to the sampler on every call. Default: ``None`` (an empty dict).
        max_clips: Raise ``RuntimeError`` if the sampler has not finished after this many
            clips. Default: ``1_000_000``.

    Returns:
        The clips in the order they are drawn.

    Raises:
        ValueError: ``duration`` is ``None``, not finite or not positive; ``max_clips < 1``.
        TypeError: ``sampler`` is not a clip sampler.
        RuntimeError: the sampler did not finish within ``max_clips`` clips.
    """
    _validate_video_duration(duration)
    check_positive_int("max_clips", max_clips)
    if _is_pytorchvideo_sampler(sampler):
        sampler = PyTorchVideoClipSampler(sampler)
    if not isinstance(sampler, ClipSampler):
        raise TypeError(
            "sampler must be a fastvid or PyTorchVideo ClipSampler, "
            f"got {type(sampler).__name__}: {sampler!r}"
        )
    info_dict: dict[str, Any] = {} if annotation is None else annotation
    clips: list[InfoT] = []
    last_clip_time: float | Fraction = 0.0
    while len(clips) < max_clips:
        info = sampler(last_clip_time, duration, info_dict)
        clips.append(info)
        last_clip_time = info.clip_end_sec  # type: ignore[assignment]
        is_last = info.is_last_clip
        if is_last[-1] if isinstance(is_last, list) else is_last:
            sampler.reset()
            return clips
    sampler.reset()
    raise RuntimeError(
        f"{sampler!r} drew {max_clips} clips from a video of {duration} s without marking "
        "one as the last; raise max_clips if that many clips is expected"
    )


def _is_pytorchvideo_sampler(obj: object) -> bool:
    # PyTorchVideo is only imported if the caller already has one of its samplers.
    module = sys.modules.get(_PYTORCHVIDEO_MODULE)
    return module is not None and isinstance(obj, module.ClipSampler)


def _validate_video_duration(duration: object) -> None:
    if duration is None:
        raise ValueError(
            "video duration is None: the video's duration is unknown, so clips cannot be "
            "planned (PyTorchVideo would fail here too); re-encode or drop the video"
        )
    check_positive_real("video duration", duration, unit=" seconds")
