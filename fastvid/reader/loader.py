"""``ClipLoader``: labelled videos in, PyTorchVideo-style batch dicts out, decoded by DALI.

One epoch: plan the clips (:mod:`fastvid.reader.epoch`), let the DALI graph decode only the
planned frames and run the lowered transforms (:mod:`fastvid.reader.dali_graph`), then hand
torch tensors back as ``{"video": (B, C, T, H, W), "label", "video_name", "video_index",
"clip_index", "aug_index"}``, with any transform that could not be lowered run on each sample
and the per-batch transform run on the batch.

Bad input never hangs or kills the loader: files that cannot be probed are left out when the
index is built; a clip that fails to decode is dropped from its batch and recorded in
:attr:`ClipLoader.skipped` (``on_error="skip"``, the default) or raises
:class:`VideoDecodeError` naming the file (``on_error="raise"``). A DALI worker process that
dies (the out-of-memory killer, say) raises :class:`WorkerDiedError` within seconds instead of
leaving DALI blocked forever.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch
from torch.utils.data import Sampler
from torch.utils.data._utils.collate import default_collate

from fastvid.reader.device import resolve_device
from fastvid.reader.epoch import EpochPlanner, PlannedVideo, shard_count
from fastvid.reader.lowering import LoweredTransform, lower_sample_transform
from fastvid.reader.plan import ClipRequest
from fastvid.reader.source import ClipSource

if TYPE_CHECKING:
    from fastvid.reader.report import SkipReport

__all__ = ["ClipLoader", "SkippedClip", "VideoDecodeError", "WorkerDiedError"]

logger = logging.getLogger(__name__)

DALI_CPU_CODECS = frozenset({"vp8", "vp9", "mjpeg"})
# While DALI runs a batch, check every _WATCHDOG_POLL_S that its worker processes are alive; when
# one died, give DALI _WORKER_DEATH_GRACE_S to fail on its own before giving up on it.
_WATCHDOG_POLL_S = 0.25
_WORKER_DEATH_GRACE_S = 2.0
OnError = Literal["skip", "raise"]
CpuDecoder = Literal["auto", "dali", "pyav"]


class VideoDecodeError(RuntimeError):
    """A clip could not be decoded. ``path`` names the file, ``reason`` says why."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(
            f"cannot decode video {path}: {reason}. Remove or re-encode the file, or pass "
            "on_error='skip' to leave it out and carry on"
        )
        self.path = path
        self.reason = reason


class WorkerDiedError(RuntimeError):
    """A DALI worker process died mid-epoch; ``pids`` and ``exit_codes`` say which and how."""

    def __init__(self, dead: Sequence[tuple[int, int]], epoch: int) -> None:
        # DALI terminates the other workers when one dies: name the first cause first
        dead = sorted(dead, key=lambda item: item[1] == -signal.SIGTERM)
        how = "; ".join(
            f"pid {pid} {_signal_name(-code) if code < 0 else f'exit code {code}'}"
            for pid, code in dead
        )
        super().__init__(
            f"a DALI worker process died ({how}) while preparing clips for epoch "
            f"{epoch}; this epoch cannot go on. A worker killed by SIGKILL is usually the "
            "out-of-memory killer (check `dmesg`): lower num_workers or batch_size. Iterating "
            "the loader again starts new worker processes"
        )
        self.pids = [p for p, _ in dead]
        self.exit_codes = [c for _, c in dead]


def _signal_name(number: int) -> str:
    try:
        return f"killed by {signal.Signals(number).name}"
    except ValueError:
        return f"killed by signal {number}"


@dataclass(frozen=True)
class SkippedClip:
    """A clip or video left out, with the reason (see :attr:`ClipLoader.skipped`)."""

    path: str
    reason: str
    epoch: int | None = None
    clip_index: int | None = None


def _distributed_rank_world() -> tuple[int, int]:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    rank = int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", "0")))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return rank, world


def _validate_choice(name: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} ({value!r}) must be one of {', '.join(map(repr, allowed))}")


class ClipLoader:
    """Iterate batches of decoded, augmented clips.

    Args:
        videos: ``(path, label)`` pairs, or a :class:`~fastvid.data.layout.LabeledVideoList`.
        clip_sampler: A clip sampler (fastvid's, PyTorchVideo's, or a name accepted by
            :func:`fastvid.data.samplers.make_clip_sampler` with ``clip_duration``).
        transform: Per-sample transform on PyTorchVideo's sample dict (Flash's
            ``post_tensor_transform``); known parts run inside DALI. Default: none.
        batch_transform: Applied to each collated batch dict on the output device (Flash's
            ``per_batch_transform_on_device``, e.g. kornia ``VideoSequential``). Default: none.
        batch_size: Clips per batch. Default: 1.
        video_sampler: torch ``Sampler`` class or instance for the video order. Default:
            ``RandomSampler`` (as PyTorchVideo).
        device: ``"auto"``, ``"gpu"`` or ``"cpu"``. Default: ``"auto"``.
        num_workers: Worker processes preparing samples. Default: half the cores on the PyAV
            path (FFmpeg threads use the rest), 1 when DALI decodes.
        num_threads: DALI threads. Default: all cores.
        seed: Seeds video order, random clips and augmentations. Default: 0.
        drop_last: Drop the last incomplete batch. Default: ``False``.
        on_error: ``"skip"`` bad videos/clips with a warning, or ``"raise"``. Default: ``"skip"``.
        cpu_decoder: On the CPU, ``"dali"`` (DALI's CPU decoder: VP8/VP9/MJPEG only),
            ``"pyav"`` (PyAV frame-selective decoding, any codec, then the same DALI ops) or
            ``"auto"`` (PyAV: it measured faster than DALI's CPU decoder on VP9 too).
            Default: ``"auto"``.
        scale_in_decoder: PyAV path only: do a leading short-side resize in FFmpeg's scaler.
            Default: ``True``.
        cache_dir: Metadata index cache folder. Default: fastvid's user cache.
        index: A prebuilt :class:`~fastvid.data.index.VideoIndex`. Default: built here.
        rank: Process rank for sharding. Default: from ``torch.distributed`` or ``RANK``.
        world_size: Number of ranks. Default: from ``torch.distributed`` or ``WORLD_SIZE``.
        annotations: Extra per-video keys copied into each sample dict. Default: none.
        progress: Show a progress bar while indexing. Default: ``True``.
        skip_report_path: Write :meth:`skip_report` here as JSON at the end of every epoch;
            ``{epoch}`` in the path is replaced by the epoch number. Default: ``None``.
    """

    def __init__(
        self,
        videos: Any,
        *,
        clip_sampler: Any,
        transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        batch_transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        batch_size: int = 1,
        video_sampler: type[Sampler[int]] | Sampler[int] | None = None,
        device: str = "auto",
        num_workers: int | None = None,
        num_threads: int | None = None,
        seed: int = 0,
        drop_last: bool = False,
        on_error: OnError = "skip",
        cpu_decoder: CpuDecoder = "auto",
        scale_in_decoder: bool = True,
        cache_dir: str | os.PathLike[str] | None = None,
        index: Any = None,
        rank: int | None = None,
        world_size: int | None = None,
        annotations: Sequence[dict[str, Any]] | None = None,
        progress: bool = True,
        skip_report_path: str | os.PathLike[str] | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size ({batch_size}) must be >= 1")
        _validate_choice("on_error", on_error, ("skip", "raise"))
        _validate_choice("cpu_decoder", cpu_decoder, ("auto", "dali", "pyav"))
        from fastvid.data.samplers import as_clip_sampler

        self._pairs = _as_pairs(videos)
        self._annotations = list(annotations) if annotations is not None else None
        self._sampler_spec = clip_sampler
        as_clip_sampler(clip_sampler)  # validate early, with a clear error
        self.lowered: LoweredTransform = lower_sample_transform(transform)
        if self.lowered.residual_names:
            logger.warning(
                "fastvid: these transforms run in torch on each decoded clip (not lowered into "
                "DALI): %s",
                ", ".join(self.lowered.residual_names),
            )
        self.batch_transform = batch_transform
        self.batch_size = batch_size
        self.device = resolve_device(device)
        self.seed = seed
        self.drop_last = drop_last
        self.on_error: OnError = on_error
        self.skipped: list[SkippedClip] = []
        default_rank, default_world = _distributed_rank_world()
        self.rank = default_rank if rank is None else rank
        self.world_size = default_world if world_size is None else world_size
        self._video_sampler = video_sampler
        self._cpu_decoder = cpu_decoder
        self._scale_in_decoder = scale_in_decoder
        self._num_workers = num_workers
        self._num_threads = num_threads or os.cpu_count() or 1
        self._index = index
        self._cache_dir = cache_dir
        self._progress = progress
        self._skip_report_path = skip_report_path
        self._epoch = 0
        self._planner: EpochPlanner | None = None
        self._source: ClipSource | None = None
        self._pipe: Any = None
        self._pipe_epoch: int | None = None
        self._retry_pipe: Any = None
        self._source_kind: Literal["encoded", "frames"] = "encoded"

    # -- set-up -----------------------------------------------------------------------------
    def setup(self) -> None:
        """Index the videos and plan epochs (runs once, on first use)."""
        if self._planner is not None:
            return
        from fastvid.data.index import VideoIndex

        paths = [p for p, _ in self._pairs]
        index = self._index or VideoIndex.build(
            paths, cache_dir=self._cache_dir, progress=self._progress
        )
        mine = {os.path.abspath(path) for path in paths}  # a shared index= holds other files
        failed = {path: reason for path, reason in index.errors.items() if path in mine}
        for path in mine.difference(failed):
            if path not in index:
                failed[path] = "it is not in the index passed as index=; index every video"
        for path, reason in sorted(failed.items()):
            self._record(SkippedClip(path, reason))
            if self.on_error == "raise":
                raise VideoDecodeError(path, reason)
        planned: list[PlannedVideo] = []
        frame_sizes: dict[int, tuple[int, int]] = {}
        codecs: set[str] = set()
        for position, (path, label) in enumerate(self._pairs):
            meta = index.meta(path) if path in index else None
            extra = tuple((self._annotations[position] if self._annotations else {}).items())
            if meta is None:
                planned.append(PlannedVideo(path, label, None, _NO_FRAMES, extra))
                continue
            planned.append(PlannedVideo(path, label, meta.duration, meta, extra))
            frame_sizes[position] = (meta.height, meta.width)
            codecs.add(meta.codec)
        self._source_kind = self._pick_source_kind(codecs)
        self._planner = EpochPlanner(
            planned,
            _ClipSamplerFactory(self._sampler_spec),
            temporal_subsample=self.lowered.pipeline.temporal_subsample,
            video_sampler=self._video_sampler,
            seed=self.seed,
            rank=self.rank,
            world_size=self.world_size,
        )
        self._source = ClipSource(
            self._planner,
            self.lowered.pipeline.spatial_ops,
            frame_sizes,
            source_kind=self._source_kind,
            batch_size=self.batch_size,
            seed=self.seed,
            scale_in_decoder=self._scale_in_decoder,
            # one worker per core: keep FFmpeg from oversubscribing the cores
            decode_threads=max(1, (os.cpu_count() or 1) // self._workers()),
        )

    def _pick_source_kind(self, codecs: set[str]) -> Literal["encoded", "frames"]:
        if self.device == "gpu" or self._cpu_decoder == "dali":
            return "encoded"
        # "auto" on the CPU: PyAV for every codec. Measured here (benchmarks/results/cpu), PyAV's
        # frame-selective decoding beats DALI's CPU decoder on VP9 too (8 vs 6 clips/s at 720p).
        return "frames"

    @property
    def source_kind(self) -> Literal["encoded", "frames"]:
        """``"encoded"`` (DALI decodes) or ``"frames"`` (PyAV decodes, DALI transforms)."""
        self.setup()
        return self._source_kind

    # -- epochs -----------------------------------------------------------------------------
    def set_epoch(self, epoch: int) -> None:
        """Select the epoch the next iteration yields (reshuffles from the seed)."""
        self._epoch = int(epoch)

    def plan(self, epoch: int | None = None) -> list[ClipRequest]:
        """The clips of an epoch on this rank, in order (no decoding)."""
        self.setup()
        assert self._planner is not None
        return self._planner.plan(self._epoch if epoch is None else epoch)

    def __len__(self) -> int:
        return shard_count(self.plan(), self.batch_size, drop_last=self.drop_last)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        epoch = self._epoch
        self._epoch += 1
        plan = self.plan(epoch)
        if not plan:
            return
        pipe = self._pipeline_for(epoch)
        self._pipe_epoch = None  # mid-epoch until drained: an early break forces a rebuild
        num_batches = -(-len(plan) // self.batch_size)
        for batch_number in range(num_batches):
            samples = self._run_batch(pipe, batch_number, plan, epoch)
            last = batch_number == num_batches - 1
            if last and self.drop_last and len(samples) < self.batch_size:
                break
            if samples:
                yield self._collate(samples)
        self._finish_epoch(pipe, epoch)
        if self._skip_report_path is not None:
            path = os.fspath(self._skip_report_path)
            self.skip_report().write(path.replace("{epoch}", str(epoch)))

    def skip_report(self, epoch: int | None = None) -> SkipReport:
        """A summary of :attr:`skipped`: counts, each file's reasons, counts per kind.

        Args:
            epoch: Only this epoch's clips, plus the videos left out when indexing.
                Default: ``None``, every epoch so far.

        Returns:
            A :class:`~fastvid.reader.report.SkipReport` (``.write(path)`` saves it as JSON).
        """
        from fastvid.reader.report import SkipReport

        entries = [s for s in self.skipped if epoch is None or s.epoch in (None, epoch)]
        return SkipReport.from_skipped(entries, epoch=epoch)

    def _finish_epoch(self, pipe: Any, epoch: int) -> None:
        try:
            self._run_pipe(pipe, epoch)
        except StopIteration:
            pipe.reset()
            self._pipe_epoch = epoch + 1
            return
        self._pipe = None  # out of step with the plan: rebuild next time

    def _pipeline_for(self, epoch: int) -> Any:
        if self._pipe is not None and self._pipe_epoch == epoch:
            return self._pipe
        from fastvid.reader.dali_graph import build_pipeline

        self.close()
        assert self._source is not None
        self._source.first_epoch = epoch
        self._pipe = build_pipeline(
            self._graph_spec(),
            batch_size=self.batch_size,
            source=self._source,
            num_threads=self._num_threads,
            py_num_workers=self._workers(),
            device_id=self._device_id(),
            seed=self.seed,
        )
        self._pipe_epoch = epoch
        return self._pipe

    def _graph_spec(self) -> Any:
        from fastvid.reader.dali_graph import GraphSpec

        pipeline = self.lowered.pipeline
        return GraphSpec(self._source_kind, pipeline.spatial_ops, pipeline.affine, self.device)

    def _workers(self) -> int:
        if self._num_workers is not None:
            return max(int(self._num_workers), 1)
        if self._source_kind == "encoded":
            return 1  # reading file bytes is cheap; DALI's threads decode
        # PyAV decodes in the workers: one per two cores, FFmpeg threads share the rest. Fewer
        # workers keep a video's consecutive clips (one decode run) in one process.
        return max(1, (os.cpu_count() or 1) // 2)

    def _device_id(self) -> int | None:
        if self.device != "gpu":
            return None
        return torch.cuda.current_device()

    # -- one batch --------------------------------------------------------------------------
    def _run_batch(
        self, pipe: Any, batch_number: int, plan: list[ClipRequest], epoch: int
    ) -> list[dict[str, Any]]:
        from fastvid.reader.dali_graph import to_numpy_samples, to_torch_samples

        try:
            video, sample_ids, errors = self._run_pipe(pipe, epoch)
        except StopIteration:
            raise RuntimeError("DALI pipeline ended before the planned epoch did") from None
        except WorkerDiedError:
            raise
        except Exception as exc:  # one bad file fails the whole batch: retry sample by sample
            logger.debug("batch %d failed (%s); retrying its clips one by one", batch_number, exc)
            return self._retry_batch(batch_number, plan, epoch)
        samples = []
        for clip, sample_id, error in zip(
            to_torch_samples(video),
            to_numpy_samples(sample_ids),
            to_numpy_samples(errors),
            strict=True,
        ):
            sample = self._sample_dict(clip, int(sample_id[0]), bytes(error), plan, epoch)
            if sample is not None:
                samples.append(sample)
        return samples

    def _run_pipe(self, pipe: Any, epoch: int) -> Any:
        """``pipe.run()``, but a dead worker process raises :class:`WorkerDiedError`.

        DALI 2.4 can block forever when one of its Python workers dies (a lock the worker held
        is never released), so the run happens in a helper thread while this one watches the
        workers.
        """
        from fastvid.reader.dali_graph import dead_workers

        if dead := dead_workers(pipe):
            raise self._worker_died(pipe, dead, epoch)
        outcome: list[tuple[bool, Any]] = []

        def run() -> None:
            try:
                outcome.append((True, pipe.run()))
            except BaseException as exc:  # re-raised in the caller's thread below
                outcome.append((False, exc))

        thread = threading.Thread(target=run, name="fastvid-dali-run", daemon=True)
        thread.start()
        give_up_at = None
        while thread.is_alive():
            thread.join(_WATCHDOG_POLL_S)
            if give_up_at is None and thread.is_alive() and dead_workers(pipe):
                give_up_at = time.monotonic() + _WORKER_DEATH_GRACE_S
            if give_up_at is not None and time.monotonic() > give_up_at:
                break  # the thread stays blocked inside DALI; the pipeline is abandoned
        if (not outcome or not outcome[0][0]) and (dead := dead_workers(pipe)):
            raise self._worker_died(pipe, dead, epoch)
        ok, value = outcome[0]
        if not ok:
            raise value
        return value

    def _worker_died(self, pipe: Any, dead: list[tuple[int, int]], epoch: int) -> WorkerDiedError:
        from fastvid.reader.dali_graph import stop_workers

        stop_workers(pipe)  # DALI stops the others too, unless the dead one held its lock
        if pipe is self._pipe:
            self._pipe = None  # never reused: the next iteration builds a new pipeline
            self._pipe_epoch = None
        return WorkerDiedError(dead, epoch)

    def _retry_batch(
        self, batch_number: int, plan: list[ClipRequest], epoch: int
    ) -> list[dict[str, Any]]:
        from fastvid.reader.dali_graph import (
            build_pipeline,
            input_names,
            to_numpy_samples,
            to_torch_samples,
        )

        assert self._source is not None
        spec = self._graph_spec()
        if self._retry_pipe is None:
            self._retry_pipe = build_pipeline(
                spec,
                batch_size=1,
                source=None,
                num_threads=1,
                device_id=self._device_id(),
                prefetch_queue_depth=1,
            )
        names = input_names(spec)
        samples = []
        first = batch_number * self.batch_size
        for sample_id in range(first, min(first + self.batch_size, len(plan))):
            request = plan[sample_id]
            try:
                inputs = self._source.sample(request, sample_id, epoch)
                for name, value in zip(names, inputs, strict=True):
                    self._retry_pipe.feed_input(name, [value])
                video, ids, errors = self._retry_pipe.run()
            except Exception as exc:
                self._fail(request, f"{type(exc).__name__}: {_first_line(exc)}", epoch)
                continue
            error = bytes(to_numpy_samples(errors)[0])
            sample = self._sample_dict(
                to_torch_samples(video)[0], int(to_numpy_samples(ids)[0][0]), error, plan, epoch
            )
            if sample is not None:
                samples.append(sample)
        return samples

    def _sample_dict(
        self,
        clip: torch.Tensor,
        sample_id: int,
        error: bytes,
        plan: list[ClipRequest],
        epoch: int,
    ) -> dict[str, Any] | None:
        if sample_id < 0:
            return None
        request = plan[sample_id]
        if error:
            self._fail(request, error.decode("utf-8", "replace"), epoch)
            return None
        sample: dict[str, Any] = {
            "video": clip,
            "video_name": Path(request.path).name,
            "video_index": request.video_index,
            "clip_index": request.clip_index,
            "aug_index": request.aug_index,
            "label": request.label,
        }
        assert self._planner is not None
        sample.update(dict(self._planner.videos[request.video_index].extra))
        if not self.lowered.fully_lowered:
            return self.lowered.apply_residual(sample)
        return sample

    def _fail(self, request: ClipRequest, reason: str, epoch: int) -> None:
        if self.on_error == "raise":
            raise VideoDecodeError(request.path, reason)
        self._record(SkippedClip(request.path, reason, epoch, request.clip_index))

    def _record(self, skipped: SkippedClip) -> None:
        self.skipped.append(skipped)
        logger.warning("fastvid: skipped %s: %s", skipped.path, skipped.reason)

    def _collate(self, samples: list[dict[str, Any]]) -> dict[str, Any]:
        shapes = {tuple(s["video"].shape) for s in samples if torch.is_tensor(s["video"])}
        if len(shapes) > 1:
            clips = ", ".join(f"{s['video_name']} {tuple(s['video'].shape)}" for s in samples)
            raise ValueError(
                f"the clips of one batch differ in shape (C, T, H, W), so they cannot be stacked: "
                f"{clips}. Make the transform output one shape (UniformTemporalSubsample for T; "
                f"a crop such as RandomCrop/CenterCrop or a fixed-size resize for H, W), or use "
                f"batch_size=1"
            )
        batch: dict[str, Any] = default_collate(samples)
        if self.batch_transform is not None:
            batch = self.batch_transform(batch)
        return batch

    def close(self) -> None:
        """Stop DALI's worker processes and free the pipelines."""
        from fastvid.reader.dali_graph import release_pipeline

        for pipe in (self._pipe, self._retry_pipe):
            if pipe is not None:
                release_pipeline(pipe)
        self._pipe = None
        self._retry_pipe = None
        self._pipe_epoch = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


class _ClipSamplerFactory:
    """Picklable: a fresh copy of the user's clip sampler for each video (they are stateful)."""

    def __init__(self, spec: Any) -> None:
        self.spec = spec

    def __call__(self) -> Any:
        from fastvid.data.samplers import as_clip_sampler

        sampler = as_clip_sampler(copy.deepcopy(self.spec))
        # The planner calls this with Python's RNG seeded per (seed, epoch, video): reseed an
        # explicit generator from it, or every video's copy would draw the same clips.
        generator = getattr(sampler, "_generator", None)
        if isinstance(generator, random.Random):
            generator.seed(random.getrandbits(63))
        elif isinstance(generator, torch.Generator):
            generator.manual_seed(random.getrandbits(63))
        return sampler


class _NoFrames:
    """Timing of a video that could not be indexed (it is never planned)."""

    pts = np.zeros(0, dtype=np.int64)
    keyframes = np.zeros(0, dtype=np.int32)
    time_base = Fraction(1, 1)
    start_pts = 0


_NO_FRAMES = _NoFrames()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    useful = [line for line in lines if "Error" in line or "error" in line or "fail" in line]
    return (useful or lines or [type(exc).__name__])[-1][:500]


def _as_pairs(videos: Any) -> list[tuple[str, int]]:
    """``(path, label)`` pairs from a LabeledVideoList or an iterable of pairs."""
    items = getattr(videos, "videos", videos)
    pairs: list[tuple[str, int]] = []
    for item in items:
        if hasattr(item, "path") and hasattr(item, "label"):
            pairs.append((os.fspath(item.path), int(item.label)))
            continue
        path, label = item
        if isinstance(label, dict):
            label = label["label"]
        pairs.append((os.fspath(path), int(label)))
    if not pairs:
        raise ValueError("no videos to load: the video list is empty")
    return pairs
