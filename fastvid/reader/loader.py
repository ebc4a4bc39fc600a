"""``ClipLoader``: labelled videos in, PyTorchVideo-style batch dicts out, decoded by DALI.

One epoch (:mod:`fastvid.reader.engine`): plan the clips (:mod:`fastvid.reader.epoch`), group
each video's neighbouring clips into tasks (:mod:`fastvid.reader.schedule`), let persistent
worker processes (:mod:`fastvid.reader.pool`) prepare them into shared memory (decode with PyAV,
or cut the GOP ranges DALI decodes, per file: :mod:`fastvid.reader.routing`), then run the DALI
graph (:mod:`fastvid.reader.dali`) on each batch and hand back ``{"video": (B, C, T, H, W),
"label", "video_name", "video_index", "clip_index", "aug_index"}``, with any transform that
could not be lowered run on each sample and the per-batch transform run on the batch.

Bad input never hangs or kills the loader: files that cannot be probed are left out when the
index is built; a clip that fails to decode is dropped from its batch and recorded in
:attr:`ClipLoader.skipped` (``on_error="skip"``, the default) or raises
:class:`VideoDecodeError` naming the file (``on_error="raise"``). A worker process that dies
raises :class:`WorkerDiedError` at once; a task that hangs past ``task_timeout`` fails its clips
and its worker is replaced.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

import torch
from torch.utils.data import Sampler

from fastvid.data.samplers import as_clip_sampler
from fastvid.data.storage import redact
from fastvid.reader._epochs import EpochRuns, EpochSetter
from fastvid.reader._graphs import build_pipeline, kinds_needed, leading_scale
from fastvid.reader._inputs import (
    CPU_DECODERS,
    ClipSamplerFactory,
    CpuDecoder,
    as_pairs,
    check_loader_options,
    loader_storage,
    resolve_rank_world,
)
from fastvid.reader._setup import build_index, planned_videos, route, video_sources
from fastvid.reader.batch import make_batch
from fastvid.reader.budget import Budget, choose_budget
from fastvid.reader.device import resolve_device
from fastvid.reader.engine import EpochRun, EpochStats, RunConfig, VideoSource
from fastvid.reader.epoch import EpochPlanner, shard_count
from fastvid.reader.errors import SkippedClip, VideoDecodeError, WorkerDiedError
from fastvid.reader.finish import finish_in_torch_possible
from fastvid.reader.lowering import LoweredTransform, lower_sample_transform
from fastvid.reader.plan import ClipRequest
from fastvid.reader.routing import Routing

if TYPE_CHECKING:
    from fastvid.reader.dali import ClipPipeline
    from fastvid.reader.pool import WorkerPool
    from fastvid.reader.report import SkipReport

__all__ = [
    "CPU_DECODERS",
    "ClipLoader",
    "CpuDecoder",
    "SkippedClip",
    "VideoDecodeError",
    "WorkerDiedError",
]

logger = logging.getLogger(__name__)

OnError = Literal["skip", "raise"]


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
        num_workers: Worker processes preparing clips. Default: chosen from the machine (see
            :mod:`fastvid.reader.budget`).
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
        index: A prebuilt :class:`~fastvid.data.index.VideoIndex`. Default: built here.
        rank: Process rank for sharding. Default: from ``torch.distributed`` or ``RANK``.
        world_size: Number of ranks. Default: from ``torch.distributed`` or ``WORLD_SIZE``.
        annotations: Extra per-video keys copied into each sample dict. Default: none.
        progress: Show a progress bar while indexing. Default: ``True``.
        skip_report_path: Write :meth:`skip_report` here as JSON at the end of every epoch;
            ``{epoch}`` in the path is replaced by the epoch number. Default: ``None``.
        prefetch_batches: Batches prepared ahead of the one being returned. Default: chosen
            from the number of workers.
        task_timeout: Seconds one worker may spend on one task (a few clips of one video)
            before its clips fail and it is replaced. ``None``: no limit. Default: 600.
        storage_options: fsspec options for videos given as URLs (``s3://``, ``gs://``,
            ``https://``, any fsspec URL): credentials, ``client_kwargs={"endpoint_url":
            ...}``, as in Flash and pandas; sent to the worker processes. Or a
            :class:`~fastvid.data.storage.Storage`. Default: ``None``.
        cache_size: Keep remote bytes read in a local block cache of at most this size
            (bytes, or a string such as ``"20GB"``), in ``cache_dir/bytes`` (least recently
            used blocks evicted first). ``None``: no disk cache. Default: ``None``.
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
        index: Any = None,
        rank: int | None = None,
        world_size: int | None = None,
        annotations: Sequence[dict[str, Any]] | None = None,
        progress: bool = True,
        skip_report_path: str | os.PathLike[str] | None = None,
        prefetch_batches: int | None = None,
        task_timeout: float | None = 600.0,
        storage_options: Any = None,
        cache_size: int | float | str | None = None,
    ) -> None:
        check_loader_options(batch_size, on_error, cpu_decoder, num_workers, prefetch_batches)
        self._pairs = as_pairs(videos)
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
        self._device_choice = device
        self.device = resolve_device(device)
        self.seed = seed
        self.drop_last = drop_last
        self.on_error: OnError = on_error
        self.skipped: list[SkippedClip] = []
        self._rank_given = (rank, world_size)
        self.rank, self.world_size = resolve_rank_world(rank, world_size)
        self._video_sampler = video_sampler
        self._cpu_decoder = cpu_decoder
        self._scale_in_decoder = scale_in_decoder
        self._requested = (num_workers, num_threads, decoder_threads, prefetch_batches)
        self._task_timeout = task_timeout
        self.storage = loader_storage(storage_options, cache_dir, cache_size)
        self._index = index
        self._cache_dir = cache_dir
        self._progress = progress
        self._skip_report_path = skip_report_path
        self._epoch = 0
        self._planner: EpochPlanner | None = None
        self._sources: list[VideoSource | None] = []
        self._routing: Routing | None = None
        self._budget: Budget | None = None
        self._pool: WorkerPool | None = None
        self._pipelines: dict[str, ClipPipeline] = {}
        self._runs = EpochRuns(self.plan, self._new_run)
        self.last_epoch_stats: EpochStats | None = None

    # -- set-up -----------------------------------------------------------------------------
    def setup(self) -> None:
        """Index the videos, route each to a decoder, and plan epochs (runs once)."""
        if self._planner is not None:
            return
        index = build_index(
            self._pairs,
            self._index,
            cache_dir=self._cache_dir,
            progress=self._progress,
            skip=self._skip_unindexed,
            storage=self.storage,
        )
        planned, metas = planned_videos(self._pairs, self._annotations, index)
        self._routing = route(
            metas,
            device=self.device,
            device_choice=self._device_choice,
            cpu_decoder=self._cpu_decoder,
        )
        # said once per loader; louder when files could not have the decoder asked for
        log = logger.warning if self._routing.reasons and self.device == "gpu" else logger.info
        log(self._routing.summary())
        self._sources = video_sources(planned, metas, self._routing)
        self._budget = choose_budget(
            self.device,
            [m for m in metas.values()],
            self._routing,
            requested=self._requested,
            batch_size=self.batch_size,
        )
        self._planner = EpochPlanner(
            planned,
            ClipSamplerFactory(self._sampler_spec),
            temporal_subsample=self.lowered.pipeline.temporal_subsample,
            video_sampler=self._video_sampler,
            seed=self.seed,
            rank=self.rank,
            world_size=self.world_size,
        )

    def _skip_unindexed(self, path: str, reason: str) -> None:
        """A video that could not be indexed: recorded, or raised with ``on_error="raise"``."""
        self._record(SkippedClip(path, reason))
        if self.on_error == "raise":
            raise VideoDecodeError(redact(path), redact(reason))

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

    # -- epochs -----------------------------------------------------------------------------
    def set_epoch(self, epoch: int) -> None:
        """Select the epoch the next iteration yields (reshuffles from the seed)."""
        self._epoch = int(epoch)

    def plan(self, epoch: int | None = None) -> list[ClipRequest]:
        """The clips of an epoch on this rank, in order (no decoding)."""
        self.setup()
        self._follow_rank()
        assert self._planner is not None
        return self._planner.plan(self._epoch if epoch is None else epoch)

    def _follow_rank(self) -> None:
        """Rank and world size not given: take them from the process group once it exists
        (Lightning starts it after the DataModule may have made this loader)."""
        rank, world = resolve_rank_world(*self._rank_given)
        if (rank, world) != (self.rank, self.world_size):
            assert self._planner is not None
            self.rank, self.world_size = rank, world
            self._planner = self._planner.for_rank(rank, world)
            self._runs.drop_next()  # planned for the old rank

    @property
    def sampler(self) -> EpochSetter:
        """``loader.sampler.set_epoch(e)`` is :meth:`set_epoch`: Lightning and Fabric call it at
        each epoch start (as on a ``DataLoader``'s sampler), with the trainer's epoch."""
        return EpochSetter(self.set_epoch)

    batch_sampler = None
    """``None``, as on a ``DataLoader`` that batches itself (Lightning reads it next to
    :attr:`sampler`)."""

    def __len__(self) -> int:
        return shard_count(self.plan(), self.batch_size, drop_last=self.drop_last)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        epoch = self._epoch
        self._epoch += 1
        plan = self.plan(epoch)
        if not plan:
            return
        run = self._runs.begin(plan, epoch)
        num_batches = -(-len(plan) // self.batch_size)
        try:
            for number, (requests, clips) in enumerate(run.batches()):
                last = number == num_batches - 1
                if last and self.drop_last and len(requests) < self.batch_size:
                    break
                if requests:
                    yield self._batch(requests, clips)
        except WorkerDiedError as exc:
            self._close_pool()
            raise WorkerDiedError(exc.dead, epoch) from None
        finally:
            self._runs.end(run)
            self.last_epoch_stats = run.stats
        if self._skip_report_path is not None:
            path = os.fspath(self._skip_report_path)
            self.skip_report().write(path.replace("{epoch}", str(epoch)))

    def _new_run(self, plan: list[ClipRequest], epoch: int) -> EpochRun:
        return EpochRun(
            plan,
            epoch,
            config=self._run_config(),
            videos=self._source,
            pool=self._worker_pool(),
            pipeline=self._pipeline,
            fail=lambda request, reason: self._fail(request, reason, epoch),
            next_task_id=self._runs.next_task_id,
            warm=lambda: self._warm_pipelines(plan),
            router=self._runs.router,
        )

    def _run_config(self) -> RunConfig:
        assert self._budget is not None
        pipeline = self.lowered.pipeline
        prescale = self._scale_in_decoder and leading_scale(pipeline.spatial_ops)
        return RunConfig(
            batch_size=self.batch_size,
            seed=self.seed,
            spatial_ops=pipeline.spatial_ops,
            rearrange=bool(pipeline.temporal_subsample),
            prescale=prescale,
            # on the CPU the seed-like chains finish in torch (faster than FFmpeg's scaler and
            # DALI's CPU ops here, and closer to PyTorchVideo); the GPU keeps the DALI graph
            torch_finish=self.device == "cpu" and finish_in_torch_possible(pipeline.spatial_ops),
            affine=pipeline.affine,
            prefetch_batches=self._budget.prefetch_batches,
        )

    def _source(self, video_index: int) -> VideoSource:
        source = self._sources[video_index]
        assert source is not None, "a video that could not be indexed was planned"
        return source

    def _worker_pool(self) -> WorkerPool:
        if self._pool is None:
            from fastvid.reader.pool import WorkerPool

            assert self._budget is not None
            self._pool = WorkerPool(
                self._budget.workers,
                threads=self._budget.decoder_threads,
                task_timeout=self._task_timeout,
                storage=self.storage,
            )
        return self._pool

    def _pipeline(self, kind: Literal["encoded", "frames"]) -> ClipPipeline:
        pipe = self._pipelines.get(kind)
        if pipe is None:
            assert self._budget is not None
            pipe = build_pipeline(
                kind,
                self.lowered.pipeline,
                self._run_config(),
                device=self.device,
                batch_size=self.batch_size,
                dali_threads=self._budget.dali_threads,
            )
            self._pipelines[kind] = pipe
        return pipe

    def _warm_pipelines(self, plan: Sequence[ClipRequest]) -> None:
        """Build the DALI graphs this epoch needs (while the workers decode its first clips)."""
        routes = {self._source(i).route for i in {r.video_index for r in plan}}
        for kind in kinds_needed(routes, torch_finish=self._run_config().torch_finish):
            self._pipeline(kind)

    def worker_pids(self) -> list[int]:
        """Process ids of the worker processes (empty before the first epoch or after close)."""
        return [] if self._pool is None else self._pool.pids()

    # -- one batch --------------------------------------------------------------------------
    def _batch(
        self, requests: list[ClipRequest], clips: torch.Tensor | list[torch.Tensor]
    ) -> dict[str, Any]:
        assert self._planner is not None
        return make_batch(requests, clips, self._planner.videos, self.lowered, self.batch_transform)

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

    def _fail(self, request: ClipRequest, reason: str, epoch: int) -> None:
        if self.on_error == "raise":
            raise VideoDecodeError(redact(request.path), redact(reason))
        self._record(SkippedClip(request.path, reason, epoch, request.clip_index))

    def _record(self, skipped: SkippedClip) -> None:
        # credentials in a URL (user:password@, signed queries) are never kept nor printed
        skipped = SkippedClip(
            redact(skipped.path), redact(skipped.reason), skipped.epoch, skipped.clip_index
        )
        self.skipped.append(skipped)
        logger.warning("fastvid: skipped %s: %s", skipped.path, skipped.reason)

    # -- release ----------------------------------------------------------------------------
    def _close_pool(self) -> None:
        self._runs.drop_next()  # its tasks went to this pool
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def close(self) -> None:
        """Stop the worker processes and free the DALI pipelines and shared memory.

        The loader stays usable: the next iteration starts them again.
        """
        self._runs.close()
        self._close_pool()
        pipelines, self._pipelines = self._pipelines, {}
        for pipe in pipelines.values():
            pipe.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()
