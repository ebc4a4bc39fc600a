"""What a loader's epoch runs are made of, and share: made on first use, kept across epochs.

Every :class:`~fastvid.reader.loader.epoch_run.EpochRun` of a loader (the epoch being iterated, and
the next one started as it ends: :mod:`fastvid.reader.loader._run_ahead`) gets the same parts from
:class:`RunParts`: the run configuration (the loader's options and its budget), what the engine sees
of each video, the worker pool (started on first use, restarted after a worker died), one DALI graph
per input kind (:mod:`fastvid.reader.loader._graphs`), loader-wide task ids and the router (task id
-> the run that sent it, so answers for the next epoch's tasks reach its run).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Literal

from fastvid.errors import VideoErrorKind
from fastvid.reader.loader._graphs import build_pipeline, kinds_needed, leading_scale
from fastvid.reader.loader._run_types import RunConfig, VideoSource
from fastvid.reader.loader.epoch_run import EpochRun
from fastvid.reader.planning.frames import ClipRequest
from fastvid.reader.transforms.finish import finish_in_torch_possible
from fastvid.reader.transforms.lowering import LoweredPipeline
from fastvid.reader.workers.budget import Budget

if TYPE_CHECKING:
    from fastvid.data.storage import Storage
    from fastvid.reader.dali import ClipPipeline
    from fastvid.reader.workers.pool import WorkerPool

__all__ = ["RunParts"]

Fail = Callable[[ClipRequest, str, VideoErrorKind, int], None]


class RunParts:
    """The parts a loader's epoch runs are made of; :meth:`new_run` makes one.

    Args:
        lowered: The lowered transform's DALI part.
        device: ``"gpu"`` or ``"cpu"`` (resolved).
        batch_size: Clips per batch.
        seed: The loader's seed.
        scale_in_decoder: PyAV route: do a leading short-side resize in FFmpeg's scaler.
        decode_audio: Also decode each clip's audio.
        task_timeout: Seconds one worker may spend on one task (``None``: no limit).
        fail: ``fail(request, reason, kind, epoch)``: a clip that could not be prepared.
        storage: How the workers read URLs. Default: ``None``, local defaults.
        channels_last: Batches in ``torch.channels_last_3d`` memory. Default: ``False``.
    """

    def __init__(
        self,
        lowered: LoweredPipeline,
        *,
        device: Literal["gpu", "cpu"],
        batch_size: int,
        seed: int,
        scale_in_decoder: bool,
        decode_audio: bool,
        task_timeout: float | None,
        fail: Fail,
        storage: Storage | None = None,
        channels_last: bool = False,
    ) -> None:
        self._lowered = lowered
        self._device = device
        self._batch_size = batch_size
        self._seed = seed
        self._scale_in_decoder = scale_in_decoder
        self._decode_audio = decode_audio
        self._task_timeout = task_timeout
        self._fail = fail
        self._storage = storage
        self._channels_last = channels_last
        self._budget: Budget | None = None
        self._sources: Sequence[VideoSource | None] = []
        self.pool: WorkerPool | None = None
        self._pipelines: dict[str, ClipPipeline] = {}
        self.router: dict[int, EpochRun] = {}
        self._task_ids = itertools.count()

    def set_up(self, budget: Budget, sources: Sequence[VideoSource | None]) -> None:
        """The loader's set-up is done: its worker / thread counts and its videos' sources
        (workers started early with other counts are stopped: they start again on use)."""
        self._budget, self._sources = budget, sources
        pool = self.pool
        if pool is not None and (pool.num_workers, pool.threads) != (
            budget.workers,
            budget.decoder_threads,
        ):
            self.close_pool()

    @contextlib.contextmanager
    def started_early(self, budget: Budget | None) -> Iterator[None]:
        """Start the worker processes now with ``budget``'s counts (``None``: not yet), for
        a block that sets the loader up: the spawned interpreters import meanwhile. They
        stop if the block fails."""
        if self.pool is None and budget is not None:
            self.pool = self._new_pool(budget)
        try:
            yield
        except BaseException:
            self.close_pool()
            raise

    def config(self) -> RunConfig:
        """The engine's configuration of every run."""
        assert self._budget is not None, "RunParts.set_up first"
        pipeline = self._lowered
        return RunConfig(
            batch_size=self._batch_size,
            seed=self._seed,
            spatial_ops=pipeline.spatial_ops,
            rearrange=bool(pipeline.temporal_subsample),
            prescale=self._scale_in_decoder and leading_scale(pipeline.spatial_ops),
            # on the CPU the seed-like chains finish in torch (faster than FFmpeg's scaler and
            # DALI's CPU ops here, and closer to PyTorchVideo); the GPU keeps the DALI graph
            torch_finish=self._device == "cpu" and finish_in_torch_possible(pipeline.spatial_ops),
            affine=pipeline.affine,
            prefetch_batches=self._budget.prefetch_batches,
            decode_audio=self._decode_audio,
            channels_last=self._channels_last,
        )

    def new_run(self, plan: Sequence[ClipRequest], epoch: int) -> EpochRun:
        """The run of ``epoch``'s ``plan`` (starts the worker pool if none is running)."""
        return EpochRun(
            plan,
            epoch,
            config=self.config(),
            videos=self.source,
            pool=self.worker_pool(),
            pipeline=self.pipeline,
            fail=lambda request, reason, kind: self._fail(request, reason, kind, epoch),
            next_task_id=self.next_task_id,
            warm=lambda: self.warm(plan),
            router=self.router,
        )

    def next_task_id(self) -> int:
        """A task id no run of this loader used before."""
        return next(self._task_ids)

    def source(self, video_index: int) -> VideoSource:
        """What the engine sees of a video."""
        source = self._sources[video_index]
        assert source is not None, "a video that could not be indexed was planned"
        return source

    def worker_pool(self) -> WorkerPool:
        """The worker processes, started on first use."""
        if self.pool is None:
            assert self._budget is not None, "RunParts.set_up first"
            self.pool = self._new_pool(self._budget)
        return self.pool

    def _new_pool(self, budget: Budget) -> WorkerPool:
        from fastvid.reader.workers.pool import WorkerPool

        return WorkerPool(
            budget.workers,
            threads=budget.decoder_threads,
            task_timeout=self._task_timeout,
            storage=self._storage,
        )

    def pipeline(self, kind: Literal["encoded", "frames"]) -> ClipPipeline:
        """The DALI graph for ``kind`` input, built on first use."""
        pipe = self._pipelines.get(kind)
        if pipe is None:
            assert self._budget is not None, "RunParts.set_up first"
            pipe = build_pipeline(
                kind,
                self._lowered,
                self.config(),
                device=self._device,
                batch_size=self._batch_size,
                dali_threads=self._budget.dali_threads,
            )
            self._pipelines[kind] = pipe
        return pipe

    def warm(self, plan: Sequence[ClipRequest]) -> None:
        """Build the DALI graphs this epoch needs (while the workers decode its first clips)."""
        routes_of = getattr(self._sources, "routes", None)
        indices = getattr(plan, "video_indices", None)
        if callable(routes_of) and indices is not None:  # columns: no object per clip
            routes = routes_of(indices)
        else:
            routes = {self.source(i).route for i in {r.video_index for r in plan}}
        for kind in kinds_needed(routes, torch_finish=self.config().torch_finish):
            self.pipeline(kind)

    def worker_pids(self) -> list[int]:
        """Process ids of the worker processes (empty when none is running)."""
        return [] if self.pool is None else self.pool.pids()

    def close_pool(self) -> None:
        """Stop the worker processes (the next run starts new ones)."""
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.close()

    def close(self) -> None:
        """Stop the worker processes and free the DALI graphs."""
        self.close_pool()
        pipelines, self._pipelines = self._pipelines, {}
        for pipe in pipelines.values():
            pipe.close()
