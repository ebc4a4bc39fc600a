"""``VideoPathsDataset``: PyTorchVideo's ``LabeledVideoDataset`` loop, run in the caller's process.

Frame-folder videos (and any list mixing folders and files) are read here: each clip is read
with :meth:`Video.get_clip` (:class:`FrameVideo`: DALI's image decoder; :class:`EncodedVideo`:
fastvid's PyAV decoder) in the iterating process, so torch's ``DataLoader`` with workers
shards it exactly as PyTorchVideo's dataset is sharded (:class:`MultiProcessSampler`, the
same video sampler seed in every worker). The order of videos and clips, the retry rule and
the sample dicts are PyTorchVideo 0.1.5's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
import torch.utils.data
from torch.utils.data import RandomSampler, Sampler

from fastvid.data.samplers import MultiProcessSampler, as_clip_sampler
from fastvid.integrations.pytorchvideo_data._video import Video, check_decoder, video_from_path

__all__ = ["VideoPathsDataset"]

logger = logging.getLogger(__name__)


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
        video_sampler: torch ``Sampler`` class over the videos. Default: ``RandomSampler``.
        transform: Applied to each sample dict; returning ``None`` skips the sample.
            Default: none.
        decode_audio: Also read audio (files only). Default: ``True``.
        decoder: PyTorchVideo's decoder name (``"frame"`` for frame folders). Default:
            ``"pyav"``.
        fps: Frame rate of frame folders. Default: ``30`` (PyTorchVideo's).
    """

    #: Consecutive failed videos before giving up (PyTorchVideo's ``_MAX_CONSECUTIVE_FAILURES``).
    _MAX_CONSECUTIVE_FAILURES = 10

    def __init__(
        self,
        labeled_video_paths: Sequence[tuple[str, dict[str, Any] | None]],
        clip_sampler: Any,
        video_sampler: type[Sampler[int]] = RandomSampler,
        transform: Callable[[dict[str, Any]], Any] | None = None,
        decode_audio: bool = True,
        decoder: str = "pyav",
        *,
        fps: float = 30,
    ) -> None:
        self._labeled_videos = labeled_video_paths
        self._clip_sampler = as_clip_sampler(clip_sampler)
        self._transform = transform
        self._decode_audio = decode_audio
        self._decoder = check_decoder(decoder)
        self._fps = fps
        # One generator for RandomSampler, reseeded alike in every DataLoader worker so that
        # all workers see one order and MultiProcessSampler splits it.
        self._video_random_generator: torch.Generator | None = None
        if video_sampler is RandomSampler:
            self._video_random_generator = torch.Generator()
            self._video_sampler: Sampler[int] = RandomSampler(
                self._labeled_videos,
                generator=self._video_random_generator,
            )
        else:
            self._video_sampler = video_sampler(self._labeled_videos)  # type: ignore[call-arg]
        self._video_sampler_iter: Iterator[int] | None = None
        self._loaded: tuple[Video, dict[str, Any], int] | None = None
        self._loaded_clip: dict[str, Any] | None = None
        self._next_clip_start_time: Any = 0.0
        self._path_order_cache: dict[str, list[str]] = {}

    @property
    def video_sampler(self) -> Sampler[int]:
        """The video sampler instance (call ``set_epoch`` on a ``DistributedSampler``)."""
        return self._video_sampler

    @property
    def num_videos(self) -> int:
        """Number of videos."""
        return len(self._video_sampler)  # type: ignore[arg-type]

    def __iter__(self) -> VideoPathsDataset:
        self._video_sampler_iter = None
        worker = torch.utils.data.get_worker_info()
        if self._video_random_generator is not None and worker is not None:
            self._video_random_generator.manual_seed(worker.seed - worker.id)
        return self

    def __next__(self) -> dict[str, Any]:
        if self._video_sampler_iter is None:
            # Here, not in __init__: only now are we inside the DataLoader worker.
            self._video_sampler_iter = iter(MultiProcessSampler(self._video_sampler))
        for attempt in range(self._MAX_CONSECUTIVE_FAILURES):
            if self._loaded is None:
                video_index = next(self._video_sampler_iter)  # StopIteration ends the epoch
                try:
                    path, info = self._labeled_videos[video_index]
                    video = video_from_path(
                        path,
                        decode_audio=self._decode_audio,
                        decoder=self._decoder,
                        fps=self._fps,
                        path_order_cache=self._path_order_cache,
                    )
                except Exception as exc:  # PyTorchVideo: log, try the next video
                    logger.debug("Failed to load video %s: %s; trial %d", video_index, exc, attempt)
                    continue
                self._loaded = (video, dict(info or {}), video_index)
            video, info, video_index = self._loaded
            start, end, clip_index, aug_index, is_last = self._clip_sampler(
                self._next_clip_start_time, video.duration, info
            )
            self._read_clip(video, start, end, aug_index)
            self._next_clip_start_time = end
            missing = self._loaded_clip is None or self._loaded_clip["video"] is None
            if (is_last[-1] if isinstance(is_last, list) else is_last) or missing:
                video.close()
                self._loaded = None
                self._next_clip_start_time = 0.0
                self._clip_sampler.reset()
                if missing:
                    logger.debug("Failed to load clip %s; trial %d", video.name, attempt)
                    continue
            assert self._loaded_clip is not None
            audio = self._loaded_clip["audio"]
            sample: Any = {
                "video": self._loaded_clip["video"],
                "video_name": video.name,
                "video_index": video_index,
                "clip_index": clip_index,
                "aug_index": aug_index,
                **info,
                **({"audio": audio} if audio is not None else {}),
            }
            if self._transform is not None:
                sample = self._transform(sample)
                if sample is None:  # the transform asked to skip this clip
                    continue
            return sample
        raise RuntimeError(
            f"Failed to load video after {self._MAX_CONSECUTIVE_FAILURES} retries "
            f"(set logging to DEBUG for the reasons)"
        )

    def _read_clip(self, video: Video, start: Any, end: Any, aug_index: Any) -> None:
        """Read the clip(s) once per clip; further augmentations reuse them."""
        if isinstance(start, list):  # several clips per sample
            if aug_index[0] != 0:
                return
            clips = []
            for clip_start, clip_end in zip(start, end, strict=True):
                clip = video.get_clip(clip_start, clip_end)
                if clip is None or clip["video"] is None:
                    self._loaded_clip = None
                    return
                clips.append(clip)
            self._loaded_clip = {key: [clip[key] for clip in clips] for key in clips[0]}
        elif aug_index == 0:
            self._loaded_clip = video.get_clip(start, end)
