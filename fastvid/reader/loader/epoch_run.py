"""One epoch, executed: tasks out to the workers, clips back, batches through DALI, in order.

The loader's parent process does little per clip: it draws the clip's augmentation parameters
(so they do not depend on which worker prepares it), sends tasks a few batches ahead of the
batch it is assembling, and, once every clip of that batch is back, feeds DALI zero-copy views
of the workers' shared memory and returns DALI's output as the batch. Workers stay busy while
the parent runs DALI and while the training step runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch

from fastvid.errors import VideoErrorKind
from fastvid.reader.dali import ClipPipeline
from fastvid.reader.decoding.audio import ClipAudio, VisitWindows
from fastvid.reader.loader._assemble import BatchAssembly
from fastvid.reader.loader._run_types import (
    EpochStats,
    Kind,
    RunConfig,
    Slot,
    TaskState,
    VideoSource,
)
from fastvid.reader.planning.epoch import mix_seed
from fastvid.reader.planning.frames import REORDER_MARGIN, ClipRequest, output_ranks
from fastvid.reader.planning.schedule import TaskPlan, group_clips
from fastvid.reader.transforms.augment import sample_steps
from fastvid.reader.workers.pool import WorkerPool
from fastvid.reader.workers.shm import SegmentViews
from fastvid.reader.workers.tasks import ClipJob, Task, TaskResult, VideoWindow

# RunConfig, VideoSource and EpochStats live in _run_types; imported from here as before
__all__ = ["EpochRun", "EpochStats", "RunConfig", "VideoSource"]


class EpochRun(BatchAssembly):
    """Runs one epoch's plan; iterate :meth:`batches` for the clips of each batch.

    Args:
        plan: The epoch's clips in order.
        epoch: The epoch number (seeds the augmentation parameters).
        config: How to run.
        videos: Per ``video_index``, its :class:`VideoSource`.
        pool: The worker processes.
        pipeline: Returns the DALI graph for ``"encoded"`` or ``"frames"`` input.
        fail: Called with a clip that could not be prepared, the reason and its kind
            (:data:`fastvid.errors.VideoErrorKind`; may raise).
        next_task_id: Source of loader-wide unique task ids.
        warm: Called once the first tasks are out (build the DALI graphs while workers decode).
        router: Task id -> the run that sent it, shared by a loader's runs, so that answers for
            the next epoch's tasks (sent ahead, see ``drained``) reach their run.
        drained: Called whenever every task of this epoch is out and a worker could take
            more (the loader sends the next epoch's first tasks: no idle workers at an epoch's
            end, no restart at the next one's start).
    """

    def __init__(
        self,
        plan: Sequence[ClipRequest],
        epoch: int,
        *,
        config: RunConfig,
        videos: Callable[[int], VideoSource],
        pool: WorkerPool,
        pipeline: Callable[[Kind], ClipPipeline],
        fail: Callable[[ClipRequest, str, VideoErrorKind], None],
        next_task_id: Callable[[], int],
        warm: Callable[[], None] | None = None,
        router: dict[int, EpochRun] | None = None,
        drained: Callable[[], None] | None = None,
    ) -> None:
        self.plan = plan
        self.epoch = epoch
        self.config = config
        self._videos = videos
        self._pool = pool
        self._pipeline = pipeline
        self._fail = fail
        self._next_task_id = next_task_id
        self._tasks = group_clips(
            plan,
            max_clips=config.max_task_clips,
            first_slots=config.batch_size,
            first_clips=-(-config.batch_size // pool.num_workers),
        )
        self._warm = warm
        self._router: dict[int, EpochRun] = {} if router is None else router
        self.drained = drained
        self._next_task = 0
        self._slots: dict[int, Slot] = {}
        self._task_info: dict[int, TaskState] = {}
        self._last_worker: dict[int, int] = {}
        self._views = SegmentViews()
        self._visits = VisitWindows(plan)  # audio windows per clip (made when first needed)
        self.stats = EpochStats()

    # -- public -------------------------------------------------------------------------------
    def batches(
        self,
    ) -> Iterator[
        tuple[list[ClipRequest], torch.Tensor | list[torch.Tensor], list[ClipAudio | None] | None]
    ]:
        """``(requests, clips, audio)`` per batch, in plan order; failed clips are left out.

        ``clips`` is a ``(n, C, T, H, W)`` tensor when all clips share a shape, else a list.
        ``audio`` is each clip's audio (``None``: it has none) with ``config.decode_audio``,
        else ``None``.
        """
        size = self.config.batch_size
        try:
            self._dispatch(0)
            if self._warm is not None:
                self._warm()
            for start in range(0, len(self.plan), size):
                stop = min(start + size, len(self.plan))
                self._wait_for(start, stop)
                began = time.perf_counter()
                requests, clips, audio = self._assemble(range(start, stop))
                self.stats.parent_seconds += time.perf_counter() - began
                self.stats.clips += len(requests)
                yield requests, clips, audio
        finally:
            self.close()

    def prefetch(self) -> None:
        """Send this epoch's first tasks now (it runs next; the current epoch is winding down)."""
        self._dispatch(0)

    def close(self) -> None:
        """Free what this epoch still holds (results in flight are freed as they arrive)."""
        for task_id, state in list(self._task_info.items()):
            # a task still running is freed when its final answer arrives, unclaimed
            if state.final and state.segment is not None:
                self._pool.free(state.worker, state.segment)
            self._task_info.pop(task_id, None)
            if self._router.get(task_id) is self:
                del self._router[task_id]
        self._views.close()

    # -- dispatch -----------------------------------------------------------------------------
    def _dispatch(self, current_slot: int) -> None:
        began = time.perf_counter()
        horizon = current_slot + self.config.prefetch_batches * self.config.batch_size
        while self._next_task < len(self._tasks):
            plan = self._tasks[self._next_task]
            if plan.slots[0] >= max(horizon, current_slot + 1):
                break
            worker = self._pick_worker(plan.video_index)
            if worker is None:
                break
            self._send(worker, plan)
            self._next_task += 1
        self.stats.parent_seconds += time.perf_counter() - began
        if self._next_task == len(self._tasks) and self.drained is not None:
            self.drained()

    def _pick_worker(self, video_index: int) -> int | None:
        loads = [self._pool.inflight(w) for w in range(self._pool.num_workers)]
        least = min(loads)
        if least >= self.config.max_inflight:
            return None
        last = self._last_worker.get(video_index)
        if last is not None and loads[last] == least:
            return last  # the worker that has this file open
        return loads.index(least)

    def _send(self, worker: int, plan: TaskPlan) -> None:
        source = self._videos(plan.video_index)
        meta = source.meta
        slots = [self._new_slot(s, source) for s in plan.slots]
        union = np.unique(np.concatenate([slot.needed for slot in slots]))
        keyframes = np.asarray(meta.keyframes, dtype=np.int64)
        k = int(np.searchsorted(keyframes, union[0], side="right")) - 1
        first = int(keyframes[k]) if k >= 0 else 0
        last = int(union[-1]) + 1
        ranks = output_ranks(meta)
        if ranks is not None:  # a cut may hold a few frames shown after the last one needed
            last = min(len(meta.pts), last + REORDER_MARGIN)
        window = VideoWindow(
            path=source.path,
            size=getattr(meta, "size", None),
            mtime_ns=getattr(meta, "mtime_ns", None),
            first=first,
            pts=np.asarray(meta.pts[first:last], dtype=np.int64),
            keyframes=keyframes[(keyframes >= first) & (keyframes < last)] - first,
            height=int(meta.height),
            width=int(meta.width),
            order=None if ranks is None else ranks[first:last],
        )
        task_id = self._next_task_id()
        jobs = []
        for slot_number, slot in zip(plan.slots, slots, strict=True):
            frames = slot.needed - first
            size = None
            if slot.route == "pyav" and self.config.prescale and not self.config.torch_finish:
                size = (int(slot.params[0][0]), int(slot.params[0][1]))
            audio = self._visits.job(slot_number) if self.config.decode_audio else (None, ())
            jobs.append(ClipJob(slot_number, frames, size, *audio))
            slot.task_id = task_id
            self._slots[slot_number] = slot
        self._router[task_id] = self
        self._pool.submit(worker, Task(task_id, source.route, window, tuple(jobs)))
        self._task_info[task_id] = TaskState(worker, plan.video_index, len(jobs))
        self._last_worker[plan.video_index] = worker
        self.stats.tasks += 1

    def _new_slot(self, slot: int, source: VideoSource) -> Slot:
        request = self.plan[slot]
        needed, order = np.unique(request.frame_indices, return_inverse=True)
        generator = torch.Generator().manual_seed(
            mix_seed(
                self.config.seed,
                self.epoch,
                request.video_index,
                request.clip_index,
                request.aug_index,
            )
        )
        meta = source.meta
        steps = sample_steps(self.config.spatial_ops, int(meta.height), int(meta.width), generator)
        return Slot(request, needed, order.astype(np.int32), steps.params, source.route)

    # -- collecting ---------------------------------------------------------------------------
    def _wait_for(self, start: int, stop: int) -> None:
        self._dispatch(start)
        while any(
            slot not in self._slots or self._slots[slot].output is None
            for slot in range(start, stop)
        ):
            began = time.perf_counter()
            results = list(self._pool.results(timeout=1.0))
            self.stats.wait_seconds += time.perf_counter() - began
            for worker, result in results:
                owner = self._router.get(result.task_id)
                if owner is None:  # a task of an abandoned epoch: give its memory back
                    if result.segment is not None and result.final and worker >= 0:
                        self._pool.free(worker, result.segment)
                else:
                    owner._receive(worker, result)
            self._dispatch(start)

    def _receive(self, worker: int, result: TaskResult) -> None:
        state = self._task_info[result.task_id]
        if result.final:
            self._router.pop(result.task_id, None)
        if result.segment is not None:
            state.segment = result.segment
        state.final = result.final
        self.stats.decoded_frames += result.decoded
        self.stats.worker_seconds += result.seconds
        self.stats.decode_seconds += result.decode_seconds
        by_video = self.stats.decoded_by_video
        by_video[state.video_index] = by_video.get(state.video_index, 0) + result.decoded
        for output in result.clips:
            self._slots[output.slot].output = output
        self._release_if_done(result.task_id, state)

    def _consumed(self, slot: Slot) -> None:
        state = self._task_info[slot.task_id]
        state.left -= 1
        self._release_if_done(slot.task_id, state)

    def _release_if_done(self, task_id: int, state: TaskState) -> None:
        """Give the task's segment back once every clip is used and the worker is done."""
        if state.left == 0 and state.final:
            if state.segment is not None:
                self._pool.free(state.worker, state.segment)
            del self._task_info[task_id]
