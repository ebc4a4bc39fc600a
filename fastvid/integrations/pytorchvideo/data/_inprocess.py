"""``VideoPathsDataset``: PyTorchVideo's ``LabeledVideoDataset`` over ``Video`` objects.

Frame-folder videos (and any list mixing folders and files) are read here: the iteration is
fastvid's one PyTorchVideo loop (:class:`~fastvid.integrations.pytorchvideo._stream.SampleStream`,
in the iterating process, so torch's ``DataLoader`` with workers shards it exactly as PyTorchVideo's
dataset is sharded), and :class:`VideoSource` reads each clip with :meth:`Video.get_clip`
(:class:`FrameVideo`: DALI's image decoder; :class:`EncodedVideo`: fastvid's PyAV decoder). The
order of videos and clips, the retry rule and the sample dicts are PyTorchVideo 0.1.5's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import torch.utils.data
from torch.utils.data import RandomSampler, Sampler

from fastvid.data.samplers import as_clip_sampler
from fastvid.integrations.pytorchvideo._stream import (
    MAX_CONSECUTIVE_FAILURES,
    SampleStream,
    make_video_sampler,
    reseed_in_worker,
)
from fastvid.integrations.pytorchvideo.data._video import Video, check_decoder, video_from_path

__all__ = ["VideoPathsDataset", "VideoSource"]

logger = logging.getLogger(__name__)

Transform = Callable[[dict[str, Any]], Any]


class VideoSource:
    """Videos opened with :func:`video_from_path` and read with :meth:`Video.get_clip`, as
    PyTorchVideo reads them: a video that fails to open is logged (``DEBUG``) and left out; a
    clip whose ``"video"`` is ``None`` ends its video.

    Args:
        transform: Applied to each sample dict, or ``None``.
        decode_audio: Also read audio (files only).
        decoder: PyTorchVideo's decoder name (checked).
        fps: Frame rate of frame folders.
    """

    failure_hint = " (set logging to DEBUG for the reasons)"

    def __init__(
        self, *, transform: Transform | None, decode_audio: bool, decoder: str, fps: float
    ) -> None:
        self._transform = transform
        self._decode_audio = decode_audio
        self._decoder = decoder
        self._fps = fps
        self._path_order_cache: dict[str, list[str]] = {}

    def open(self, path: str) -> Video | None:
        try:
            return video_from_path(
                path,
                decode_audio=self._decode_audio,
                decoder=self._decoder,
                fps=self._fps,
                path_order_cache=self._path_order_cache,
            )
        except Exception as exc:  # PyTorchVideo: log, try the next video
            logger.debug("Failed to load video %s: %s", path, exc)
            return None

    def duration(self, video: Video) -> Fraction | float:
        return video.duration

    def name(self, video: Video, path: str) -> str | None:
        return video.name

    def load(
        self, video: Video, path: str, starts: Sequence[Any], ends: Sequence[Any], *, multi: bool
    ) -> dict[str, Any] | None:
        """The clip (or the clips, as lists per key); ``None`` if one has no frames."""
        clips = []
        for start, end in zip(starts, ends, strict=True):
            clip = video.get_clip(start, end)
            if clip is None or clip["video"] is None:
                return None
            clips.append(clip)
        if not multi:
            return clips[0]
        return {key: [clip[key] for clip in clips] for key in clips[0]}

    def finish(
        self, loaded: dict[str, Any], *, multi: bool
    ) -> tuple[Any, dict[str, Any], Transform | None]:
        audio = loaded["audio"]
        return loaded["video"], ({"audio": audio} if audio is not None else {}), self._transform

    def close(self, video: Video) -> None:
        video.close()


class VideoPathsDataset(torch.utils.data.IterableDataset[dict[str, Any]]):
    """Clips of the videos in ``labeled_video_paths``, read in the iterating process.

    Same signature and samples as PyTorchVideo's ``LabeledVideoDataset``: iterating (or
    ``next(dataset)``) yields ``{"video", "video_name", "video_index", "clip_index",
    "aug_index", **info, "audio"?}`` per clip; with a multi-clip sampler (``random_multi``)
    ``"video"`` is a list of clips.

    Args:
        labeled_video_paths: ``(path, info dict)`` pairs (``LabeledVideoPaths``); a path is a
            video file or a folder of frame images.
        clip_sampler: A clip sampler (fastvid's or PyTorchVideo's).
        video_sampler: torch ``Sampler`` class over the videos (or an instance). Default:
            ``RandomSampler``.
        transform: Applied to each sample dict; returning ``None`` skips the sample.
            Default: none.
        decode_audio: Also read audio (files only). Default: ``True``.
        decoder: PyTorchVideo's decoder name (``"frame"`` for frame folders). Default:
            ``"pyav"``.
        fps: Frame rate of frame folders. Default: ``30`` (PyTorchVideo's).
    """

    #: Consecutive failed videos before giving up (PyTorchVideo's ``_MAX_CONSECUTIVE_FAILURES``).
    _MAX_CONSECUTIVE_FAILURES = MAX_CONSECUTIVE_FAILURES

    def __init__(
        self,
        labeled_video_paths: Sequence[tuple[str, dict[str, Any] | None]],
        clip_sampler: Any,
        video_sampler: type[Sampler[int]] | Sampler[int] = RandomSampler,
        transform: Callable[[dict[str, Any]], Any] | None = None,
        decode_audio: bool = True,
        decoder: str = "pyav",
        *,
        fps: float = 30,
    ) -> None:
        self._labeled_videos = labeled_video_paths
        self._clip_sampler = as_clip_sampler(clip_sampler)
        self._decoder = check_decoder(decoder)
        self._video_sampler, self._video_random_generator = make_video_sampler(
            video_sampler, self._labeled_videos
        )
        self._stream = SampleStream(
            labeled_video_paths,
            video_sampler=self._video_sampler,
            clip_sampler=self._clip_sampler,
            source=VideoSource(
                transform=transform, decode_audio=decode_audio, decoder=self._decoder, fps=fps
            ),
        )

    @property
    def video_sampler(self) -> Sampler[int]:
        """The video sampler instance (call ``set_epoch`` on a ``DistributedSampler``)."""
        return self._video_sampler

    @property
    def num_videos(self) -> int:
        """Number of videos."""
        return len(self._video_sampler)  # type: ignore[arg-type]

    def __iter__(self) -> VideoPathsDataset:
        self._stream.restart()
        reseed_in_worker(self._video_random_generator)
        return self

    def __next__(self) -> dict[str, Any]:
        return next(self._stream)
