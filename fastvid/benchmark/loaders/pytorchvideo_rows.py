"""The PyTorchVideo row: ``LabeledVideoDataset`` + PyAV + ``DataLoader``, on the planned clips."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from fastvid.benchmark.loaders.harness import (
    _batch_ids,
    _check_clips,
    _check_same_clips,
    two_passes,
)
from fastvid.benchmark.loaders.workload import Workload

__all__ = ["PlannedClipSampler", "pytorchvideo_batches"]


class PlannedClipSampler:
    """A PyTorchVideo clip sampler that replays a fastvid plan, video by video.

    PyTorchVideo's ``RandomClipSampler`` draws from Python's global ``random`` (in each
    DataLoader worker), so its clips cannot match another loader's; this replays the planned
    start and end times instead (each video's annotation carries its ``video_index``). The
    decoding work is PyTorchVideo's own: ``LabeledVideoDataset`` calls ``video.get_clip``.

    Args:
        plan: The planned clips (``video_index``, ``clip_index``, ``aug_index``,
            ``clip_start_sec``, ``clip_end_sec``).
    """

    def __init__(self, plan: Sequence[Any]) -> None:
        self._clips: dict[int, list[Any]] = {}
        for request in plan:
            self._clips.setdefault(int(request.video_index), []).append(request)
        self._position = 0

    def __call__(self, last_clip_time: Any, video_duration: Any, annotation: dict) -> Any:
        from pytorchvideo.data.clip_sampling import ClipInfo

        clips = self._clips[int(annotation["video_index"])]
        request = clips[self._position]
        self._position += 1
        return ClipInfo(
            request.clip_start_sec,
            request.clip_end_sec,
            request.clip_index,
            request.aug_index,
            self._position >= len(clips),
        )

    def reset(self) -> None:
        """Start over (PyTorchVideo calls this after each video's last clip)."""
        self._position = 0


def _pytorchvideo_clip_sampler(work: Workload) -> Any:
    """PyTorchVideo's own sampler where it is deterministic (the same clips as fastvid's plan);
    the plan replayed for ``random``."""
    if work.sampler == "random":
        return PlannedClipSampler(work.plan)
    from pytorchvideo.data.clip_sampling import make_clip_sampler

    return make_clip_sampler(work.sampler, *work.config.sampler_args())


def pytorchvideo_batches(work: Workload, *, num_workers: int) -> Iterator[int | None]:
    """PyTorchVideo ``LabeledVideoDataset`` + PyAV decoder + torch ``DataLoader``.

    What Lightning Flash users ran: every frame of the 2 s clip is decoded and converted to RGB
    float, then ``UniformTemporalSubsample(8)`` keeps 8 and the spatial transforms run in torch.
    The measured pass must load exactly the planned clips (in any order: DataLoader workers
    interleave their videos).
    """
    from pytorchvideo.data import LabeledVideoDataset
    from torch.utils.data import DataLoader, SequentialSampler

    def one_pass() -> Iterator[int]:
        # A new dataset per pass: LabeledVideoDataset keeps its position inside the current
        # video across iter() calls, so a cut warm-up pass would leak clips into the next one.
        dataset = LabeledVideoDataset(
            [
                (path, {"label": label, "video_index": i})
                for i, (path, label) in enumerate(work.pairs)
            ],
            clip_sampler=_pytorchvideo_clip_sampler(work),
            video_sampler=SequentialSampler,
            transform=work.config.sample_transform(),
            decode_audio=False,
            decoder="pyav",
        )
        loader = DataLoader(dataset, batch_size=work.batch_size, num_workers=num_workers)
        seen: list[tuple[int, int]] = []
        for batch in loader:
            seen += _batch_ids(batch) or []
            yield _check_clips(batch["video"], None, "pytorchvideo", work.config)
        _check_same_clips(seen, work.plan, "pytorchvideo", ordered=False)

    yield from two_passes(one_pass, warmup_batches=1)
