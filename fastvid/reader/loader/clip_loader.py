"""``ClipLoader``: labelled videos in, PyTorchVideo-style batch dicts out, decoded by DALI.

One epoch (:mod:`fastvid.reader.loader.epoch_run`): plan the clips
(:mod:`fastvid.reader.planning.epoch`), group each video's neighbouring clips into tasks
(:mod:`fastvid.reader.planning.schedule`), let persistent worker processes
(:mod:`fastvid.reader.workers.pool`) prepare them into shared memory (decode with PyAV, or cut the
GOP ranges DALI decodes, per file: :mod:`fastvid.reader.decoding.routing`), then run the DALI graph
(:mod:`fastvid.reader.dali`) on each batch and hand back ``{"video": (B, C, T, H, W), "label",
"video_name", "video_index", "clip_index", "aug_index"}``, with any transform that could not be
lowered run on each sample and the per-batch transform run on the batch.

Bad input never hangs or kills the loader: files that cannot be probed are left out when the
index is built; a clip that fails to decode is dropped from its batch and recorded in
:attr:`ClipLoader.skipped` (``on_error="skip"``, the default) or raises
:class:`VideoDecodeError` naming the file (``on_error="raise"``), each with its ``kind``
(:data:`fastvid.errors.VideoErrorKind`). A worker process that dies raises
:class:`WorkerDiedError` at once; a task that hangs past ``task_timeout`` fails its clips and its
worker is replaced.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

import torch
from torch.utils.data import Sampler

from fastvid._validate import check_bool
from fastvid.data.samplers import as_clip_sampler
from fastvid.reader.decoding.routing import Routing
from fastvid.reader.device import resolve_device
from fastvid.reader.errors import SkippedClip, VideoDecodeError, WorkerDiedError
from fastvid.reader.loader._epoch_control import EpochControl
from fastvid.reader.loader._options import (
    CPU_DECODERS,
    ClipSamplerFactory,
    CpuDecoder,
    as_pairs,
    check_loader_options,
    check_memory_format,
    loader_storage,
    lowered_transform,
    resolve_rank_world,
    with_targets,
)
from fastvid.reader.loader._resume import loader_position
from fastvid.reader.loader._run_ahead import EpochRuns
from fastvid.reader.loader._run_parts import RunParts
from fastvid.reader.loader._setup import set_up
from fastvid.reader.loader._skips import OnError, SkipQueries, Skips
from fastvid.reader.loader.batch import loader_batch
from fastvid.reader.loader.epoch_run import EpochStats
from fastvid.reader.planning.epoch import EpochPlan, EpochPlanner, shard_count
from fastvid.reader.transforms.lowering import LoweredTransform
from fastvid.reader.workers.budget import Budget, known_before_routing

if TYPE_CHECKING:
    pass

__all__ = [
    "CPU_DECODERS",
    "ClipLoader",
    "CpuDecoder",
    "SkippedClip",
    "VideoDecodeError",
    "WorkerDiedError",
]

logger = logging.getLogger("fastvid.reader.loader")  # its name before the rooms

HEAD_BATCHES = 16
"""An epoch not planned yet starts with this many batches (or more) planned alone, enough to
keep the workers busy while the rest is planned (a million videos: about a second)."""


class ClipLoader(EpochControl, SkipQueries):
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
        num_workers: Worker processes preparing clips. Default: chosen from the machine (see
            :mod:`fastvid.reader.workers.budget`).
        num_threads: DALI threads. Default: chosen from the machine.
        decoder_threads: FFmpeg threads per worker. Default: chosen from the machine.
        seed: Seeds video order, random clips and augmentations. Default: 0.
        drop_last: Drop the last incomplete batch. Default: ``False``.
        on_error: ``"skip"`` bad videos/clips with a warning, or ``"raise"``. Default: ``"skip"``.
        cpu_decoder: On the CPU, ``"pyav"`` (PyAV decodes every file, then DALI's ops),
            ``"dali"`` (DALI's CPU decoder for VP8/VP9/MJPEG files, PyAV for the rest) or
            ``"auto"`` (PyAV: measured faster, see ``benchmarks/results``). On the GPU, files
            NVDEC cannot decode always go to PyAV. Default: ``"auto"``.
        scale_in_decoder: PyAV route: do a leading short-side resize in FFmpeg's scaler.
            Default: ``True``.
        cache_dir: Metadata index cache folder. Default: fastvid's user cache.
        index_fingerprint: Also key the index cache on a hash of each file's first and last
            64 KiB, so a file rewritten with the same size and mtime is probed again (costs
            ~0.2 ms per file per build; see ``VideoIndex.build``). Default: ``False``.
        index: A prebuilt :class:`~fastvid.data.index.VideoIndex`, or an index file written
            by ``fastvid index`` (mapped read-only, shared by every process). Default:
            ``None``: a ``fastvid.index`` file beside the videos if there is one, else built
            here (under DDP, once per node into the cache folder, mapped by every rank).
        rank: Process rank for sharding. Default: from ``torch.distributed`` or ``RANK``.
        world_size: Number of ranks. Default: from ``torch.distributed`` or ``WORLD_SIZE``.
        annotations: Extra per-video keys copied into each sample dict. Default: none. (A
            multi-label ``LabeledVideoList`` adds its target vectors as ``"label"``.)
        progress: Show a progress bar while indexing. Default: ``True``.
        skip_report_path: Write :meth:`skip_report` here as JSON at the end of every epoch;
            ``{epoch}`` in the path is replaced by the epoch number. Default: ``None``.
        prefetch_batches: Batches prepared ahead of the one being returned. Default: chosen
            from the number of workers.
        task_timeout: Seconds one worker may spend on one task (a few clips of one video)
            before its clips fail and it is replaced. ``None``: no limit. Default: 600.
        decode_audio: Also decode each clip's audio with PyAV in the workers, as PyTorchVideo's
            ``decode_audio=True`` does (same samples, and clips planned on its duration: the longer
            of video and audio); batches get ``"audio"`` (zero-padded ``(B, N)``),
            ``"audio_lengths"`` and ``"audio_sample_rate"`` (see
            :mod:`fastvid.reader.decoding.audio`). ``False`` decodes no audio at all. Default:
            ``False``.
        storage_options: fsspec options for videos given as URLs (``s3://``, ``gs://``,
            ``https://``, any fsspec URL): credentials, ``client_kwargs={"endpoint_url":
            ...}``, as in Flash and pandas; sent to the worker processes. Or a
            :class:`~fastvid.data.storage.Storage`. Default: ``None``.
        cache_size: Keep remote bytes read in a local block cache of at most this size
            (bytes, or a string such as ``"20GB"``), in ``cache_dir/bytes`` (least recently
            used blocks evicted first). ``None``: no disk cache. Default: ``None``.
        memory_format: ``torch.channels_last_3d`` lays each ``(B, C, T, H, W)`` batch out as
            ``(B, T, H, W, C)`` in memory (what cuDNN's 3-D convolutions prefer; on the CPU the
            torch finish then writes whole pixel rows, with no channel split). The values and
            shape are the same. Default: ``torch.contiguous_format``.
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
        decoder_threads: int | None = None,
        seed: int = 0,
        drop_last: bool = False,
        on_error: OnError = "skip",
        cpu_decoder: CpuDecoder = "auto",
        scale_in_decoder: bool = True,
        cache_dir: str | os.PathLike[str] | None = None,
        index_fingerprint: bool = False,
        index: Any = None,
        rank: int | None = None,
        world_size: int | None = None,
        annotations: Sequence[dict[str, Any]] | None = None,
        progress: bool = True,
        skip_report_path: str | os.PathLike[str] | None = None,
        prefetch_batches: int | None = None,
        task_timeout: float | None = 600.0,
        decode_audio: bool = False,
        storage_options: Any = None,
        cache_size: int | float | str | None = None,
        memory_format: torch.memory_format | str = torch.contiguous_format,
    ) -> None:
        check_loader_options(batch_size, on_error, cpu_decoder, num_workers, prefetch_batches)
        self._pairs = as_pairs(videos)
        self._annotations = with_targets(videos, annotations)
        self._sampler_spec = clip_sampler
        as_clip_sampler(clip_sampler)  # validate early, with a clear error
        self.lowered: LoweredTransform = lowered_transform(transform)
        self.batch_transform = batch_transform
        self.batch_size = batch_size
        self._device_choice = device
        self.device = resolve_device(device)
        self.seed = seed
        self.drop_last = drop_last
        self.on_error: OnError = on_error
        self._skips = Skips(lambda: self.on_error, skip_report_path)
        self._rank_given = (rank, world_size)
        self.rank, self.world_size = resolve_rank_world(rank, world_size)
        self._video_sampler = video_sampler
        self._cpu_decoder = cpu_decoder
        self._requested = (num_workers, num_threads, decoder_threads, prefetch_batches)
        self.decode_audio = check_bool("decode_audio", decode_audio)
        self.channels_last = check_memory_format(memory_format)
        self.storage = loader_storage(storage_options, cache_dir, cache_size)
        self._index = index
        self._cache_dir = cache_dir
        self._index_fingerprint = index_fingerprint
        self._progress = progress
        self._epoch = 0
        self._planner: EpochPlanner | None = None
        self._routing: Routing | None = None
        self._budget: Budget | None = None
        self._parts = RunParts(
            self.lowered.pipeline,
            device=self.device,
            batch_size=batch_size,
            seed=seed,
            scale_in_decoder=scale_in_decoder,
            decode_audio=self.decode_audio,
            task_timeout=task_timeout,
            fail=self._skips.fail,
            storage=self.storage,
            channels_last=self.channels_last,
        )
        self._runs = EpochRuns(self.plan, self._parts.new_run)
        self.last_epoch_stats: EpochStats | None = None
        self._position = loader_position(
            self._pairs,
            self.plan,
            clip_sampler=as_clip_sampler(clip_sampler),
            video_sampler=video_sampler,
            seed=seed,
            batch_size=batch_size,
            drop_last=drop_last,
            rank=self.rank,
            world_size=self.world_size,
        )

    # -- set-up -----------------------------------------------------------------------------
    def setup(self) -> None:
        """Index the videos, route each to a decoder, and plan epochs (runs once)."""
        if self._planner is not None:
            return
        self._follow_rank()  # DDP: one rank per node builds a missing index, the others map it
        early = known_before_routing(
            self.device, self._cpu_decoder, requested=self._requested, batch_size=self.batch_size
        )
        with self._parts.started_early(early):  # the workers import while the videos set up
            done = set_up(
                self._pairs,
                self._annotations,
                self._index,
                cache_dir=self._cache_dir,
                progress=self._progress,
                skip=self._skips.unindexed,
                fingerprint=self._index_fingerprint,
                decode_audio=self.decode_audio,
                storage=self.storage,
                device=self.device,
                device_choice=self._device_choice,
                cpu_decoder=self._cpu_decoder,
                requested=self._requested,
                batch_size=self.batch_size,
                world_size=self.world_size,
            )
        self._routing, self._budget = done.routing, done.budget
        self._parts.set_up(done.budget, done.sources)
        self._planner = EpochPlanner(
            done.planned,
            ClipSamplerFactory(self._sampler_spec),
            temporal_subsample=self.lowered.pipeline.temporal_subsample,
            video_sampler=self._video_sampler,
            seed=self.seed,
            rank=self.rank,
            world_size=self.world_size,
        )

    @property
    def routing(self) -> Routing:
        """Which decoder each video goes to, and why a video did not get the preferred one."""
        self.setup()
        assert self._routing is not None
        return self._routing

    @property
    def budget(self) -> Budget:
        """The worker / thread counts in use and the rule that chose them."""
        self.setup()
        assert self._budget is not None
        return self._budget

    @property
    def source_kind(self) -> Literal["encoded", "frames", "mixed"]:
        """``"encoded"`` (DALI decodes every file), ``"frames"`` (PyAV decodes every file) or
        ``"mixed"``."""
        decoders = set(self.routing.decoders.values())
        if decoders <= {"pyav"}:
            return "frames"
        return "encoded" if "pyav" not in decoders else "mixed"

    # -- epochs (set_epoch, state_dict, load_state_dict, sampler: EpochControl) ------------
    def plan(self, epoch: int | None = None) -> EpochPlan:
        """The clips of an epoch on this rank, in order (no decoding): a sequence of
        :class:`~fastvid.reader.planning.frames.ClipRequest` stored as columns (made in about a
        second for a million videos with the ``uniform`` and ``constant_clips_per_video``
        samplers)."""
        self.setup()
        self._follow_rank()
        assert self._planner is not None
        return self._planner.plan(self._epoch if epoch is None else epoch)

    def __len__(self) -> int:
        return shard_count(self.plan(), self.batch_size, drop_last=self.drop_last)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        epoch = self._epoch
        self._epoch += 1
        head = self._head(epoch)  # a large first epoch: its first batches now, the rest planned
        plan = self.plan(epoch) if head is None else head  # in the background meanwhile
        assert self._planner is not None
        if head is None:  # else once this epoch's plan is made (the rest of it starts)
            self._planner.plan_ahead(epoch + 1)  # in the background: ready when it ends
        first = self._position.start(epoch, lambda: self.plan(epoch))
        if first:  # resumed mid-epoch: plan (and decode) only the batches not handed out
            self._runs.drop_next()
            plan = plan[first * self.batch_size :]
        self._skips.log.begin(epoch)
        if not plan:
            return
        rest = None if head is None else self._planner.rest(epoch, len(head))
        stats = EpochStats()
        batches = self._runs.batches(plan, epoch, stats, rest=rest)
        try:
            for number, (requests, clips, audio) in enumerate(batches, start=first):
                short = self.drop_last and len(requests) < self.batch_size  # last, or failures
                if short and number == -(-len(self.plan(epoch)) // self.batch_size) - 1:
                    break
                self._position.handed_out(number + 1)
                if requests:
                    yield loader_batch(
                        requests,
                        clips,
                        self._planner.videos,
                        self.lowered,
                        self.batch_transform,
                        audio,
                        seed=self.seed,
                        epoch=epoch,
                        number=number,
                        cuda=self.device == "gpu",
                        channels_last=self.channels_last,
                    )
        except WorkerDiedError as exc:
            self._close_pool()
            raise WorkerDiedError(exc.dead, epoch) from None
        finally:
            batches.close()
            self.last_epoch_stats = stats
        self._skips.epoch_done(epoch)

    def _head(self, epoch: int) -> EpochPlan | None:
        """The first batches of ``epoch`` if its plan is not made yet (``None``: plan it)."""
        self.setup()
        self._follow_rank()
        assert self._planner is not None and self._budget is not None
        if self._position.resumes(epoch):
            return None
        batches = max(HEAD_BATCHES, 2 * self._budget.prefetch_batches)
        return self._planner.head(epoch, batches * self.batch_size, whole=self.batch_size)

    def worker_pids(self) -> list[int]:
        """Process ids of the worker processes (empty before the first epoch or after close)."""
        return self._parts.worker_pids()

    # -- release ----------------------------------------------------------------------------
    def _close_pool(self) -> None:
        self._runs.drop_next()  # its tasks went to this pool
        self._parts.close_pool()

    def close(self) -> None:
        """Stop the worker processes and free the DALI pipelines and shared memory.

        The loader stays usable: the next iteration starts them again.
        """
        self._runs.close()
        self._parts.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()
