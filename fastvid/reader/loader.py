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
import itertools
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

import torch
from torch.utils.data import Sampler

from fastvid._validate import check_choice
from fastvid.data.samplers import as_clip_sampler
from fastvid.reader._inputs import (
    NO_FRAMES,
    ClipSamplerFactory,
    as_pairs,
    distributed_rank_world,
)
from fastvid.reader.batch import make_batch
from fastvid.reader.budget import Budget, choose_budget
from fastvid.reader.device import resolve_device
from fastvid.reader.engine import EpochRun, EpochStats, RunConfig, VideoSource
from fastvid.reader.epoch import EpochPlanner, PlannedVideo, shard_count
from fastvid.reader.errors import SkippedClip, VideoDecodeError, WorkerDiedError
from fastvid.reader.finish import finish_in_torch_possible
from fastvid.reader.lowering import LoweredTransform, lower_sample_transform
from fastvid.reader.plan import ClipRequest
from fastvid.reader.routing import Decoder, Routing, route_videos

if TYPE_CHECKING:
    from fastvid.data.index import VideoIndex
    from fastvid.reader.dali import ClipPipeline
    from fastvid.reader.pool import WorkerPool
    from fastvid.reader.report import SkipReport

__all__ = ["ClipLoader", "SkippedClip", "VideoDecodeError", "WorkerDiedError"]

logger = logging.getLogger(__name__)

OnError = Literal["skip", "raise"]
CpuDecoder = Literal["auto", "dali", "pyav"]


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
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size ({batch_size}) must be >= 1")
        check_choice("on_error", on_error, ("skip", "raise"))
        check_choice("cpu_decoder", cpu_decoder, ("auto", "dali", "pyav"))
        for name, value in (("num_workers", num_workers), ("prefetch_batches", prefetch_batches)):
            if value is not None and value < 1:
                raise ValueError(f"{name} ({value}) must be >= 1")
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
        default_rank, default_world = distributed_rank_world()
        self.rank = default_rank if rank is None else rank
        self.world_size = default_world if world_size is None else world_size
        self._video_sampler = video_sampler
        self._cpu_decoder = cpu_decoder
        self._scale_in_decoder = scale_in_decoder
        self._requested = (num_workers, num_threads, decoder_threads, prefetch_batches)
        self._task_timeout = task_timeout
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
        self._task_ids = itertools.count()
        self._run: EpochRun | None = None
        self._next_run: EpochRun | None = None  # the next epoch, started as this one ends
        self._no_next_epoch: int | None = None  # an epoch found to have no clips
        self._router: dict[int, EpochRun] = {}
        self.last_epoch_stats: EpochStats | None = None

    # -- set-up -----------------------------------------------------------------------------
    def setup(self) -> None:
        """Index the videos, route each to a decoder, and plan epochs (runs once)."""
        if self._planner is not None:
            return
        index = self._build_index()
        planned: list[PlannedVideo] = []
        metas: dict[str, Any] = {}
        for position, (path, label) in enumerate(self._pairs):
            meta = index.meta(path) if path in index else None
            extra = tuple((self._annotations[position] if self._annotations else {}).items())
            if meta is None:
                planned.append(PlannedVideo(path, label, None, NO_FRAMES, extra))
                continue
            planned.append(PlannedVideo(path, label, meta.duration, meta, extra))
            metas[path] = meta
        self._routing = self._route(metas)
        # said once per loader; louder when files could not have the decoder asked for
        log = logger.warning if self._routing.reasons and self.device == "gpu" else logger.info
        log(self._routing.summary())
        self._sources = [
            VideoSource(v.path, v.timing, _ROUTES[self._routing.decoders[v.path]])
            if v.path in metas
            else None
            for v in planned
        ]
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

    def _build_index(self) -> VideoIndex:
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
        return index

    def _route(self, metas: dict[str, Any]) -> Routing:
        if self.device == "gpu":
            from fastvid.reader.nvdec import nvdec_routing

            routing = nvdec_routing(metas, device_id=torch.cuda.current_device())
            if self._device_choice in ("gpu", "cuda") and "nvdec" not in routing.decoders.values():
                raise RuntimeError(
                    "device='gpu' but no video can be decoded on this GPU: "
                    + routing.summary().removeprefix("fastvid: ")
                    + ". Use device='auto' to decode them with PyAV on the CPU instead"
                )
            return routing
        preferred: Decoder = "dali_cpu" if self._cpu_decoder == "dali" else "pyav"
        return route_videos(metas, preferred=preferred)

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
        if self._run is not None:  # an earlier epoch's iterator was abandoned mid-way
            self._run.close()
        run, self._next_run = self._next_run, None
        if run is not None and run.epoch != epoch:  # set_epoch chose another epoch
            run.close()
            run = None
        if run is None:
            run = self._new_run(plan, epoch)
        run.drained = lambda: self._start_next_epoch(epoch + 1)
        self._run = run
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
            run.close()
            if self._run is run:
                self._run = None
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
            next_task_id=lambda: next(self._task_ids),
            warm=lambda: self._warm_pipelines(plan),
            router=self._router,
        )

    def _start_next_epoch(self, epoch: int) -> None:
        """Send the next epoch's first tasks while this one's last batches are assembled.

        Its plan and clips are what iterating it will ask for (a pure function of seed and
        epoch); if ``set_epoch`` picks another epoch, the work is dropped.
        """
        if self._next_run is None:
            if self._no_next_epoch == epoch:
                return
            plan = self.plan(epoch)
            if not plan:
                self._no_next_epoch = epoch
                return
            self._next_run = self._new_run(plan, epoch)
        self._next_run.prefetch()

    def _run_config(self) -> RunConfig:
        assert self._budget is not None
        pipeline = self.lowered.pipeline
        prescale = self._scale_in_decoder and _leading_scale(pipeline.spatial_ops)
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
            )
        return self._pool

    def _pipeline(self, kind: Literal["encoded", "frames"]) -> ClipPipeline:
        pipe = self._pipelines.get(kind)
        if pipe is None:
            from fastvid.reader.dali import ClipPipeline, GraphSpec

            assert self._budget is not None
            lowered = self.lowered.pipeline
            config = self._run_config()
            spec = GraphSpec(
                kind,
                lowered.spatial_ops,
                lowered.affine,
                self.device,
                prescaled=kind == "frames" and config.prescale,
                rearrange=config.rearrange,
            )
            pipe = ClipPipeline(
                spec,
                batch_size=self.batch_size,
                num_threads=self._budget.dali_threads,
                device_id=self._device_id(),
            )
            self._pipelines[kind] = pipe
        return pipe

    def _warm_pipelines(self, plan: Sequence[ClipRequest]) -> None:
        """Build the DALI graphs this epoch needs (while the workers decode its first clips)."""
        routes = {self._source(i).route for i in {r.video_index for r in plan}}
        if "cut" in routes:
            self._pipeline("encoded")
        if "pyav" in routes and not self._run_config().torch_finish:
            self._pipeline("frames")

    def _device_id(self) -> int | None:
        if self.device != "gpu":
            return None
        return torch.cuda.current_device()

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
            raise VideoDecodeError(request.path, reason)
        self._record(SkippedClip(request.path, reason, epoch, request.clip_index))

    def _record(self, skipped: SkippedClip) -> None:
        self.skipped.append(skipped)
        logger.warning("fastvid: skipped %s: %s", skipped.path, skipped.reason)

    # -- release ----------------------------------------------------------------------------
    def _close_pool(self) -> None:
        if self._next_run is not None:  # its tasks went to this pool
            self._next_run.close()
            self._next_run = None
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def close(self) -> None:
        """Stop the worker processes and free the DALI pipelines and shared memory.

        The loader stays usable: the next iteration starts them again.
        """
        for run in (self._run, self._next_run):
            if run is not None:
                run.close()
        self._run = self._next_run = None
        self._close_pool()
        pipelines, self._pipelines = self._pipelines, {}
        for pipe in pipelines.values():
            pipe.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


_ROUTES: dict[str, Literal["cut", "pyav"]] = {"nvdec": "cut", "dali_cpu": "cut", "pyav": "pyav"}


def _leading_scale(ops: Sequence[Any]) -> bool:
    """Whether the ops start with a short-side scale FFmpeg can do while converting frames."""
    from fastvid.reader.augment import ShortSideScaleOp

    return bool(ops) and isinstance(ops[0], ShortSideScaleOp)
