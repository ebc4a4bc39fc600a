"""Epoch plan: which clips of which videos, in which order, for one epoch on one rank.

PyTorchVideo's ``LabeledVideoDataset`` walks its ``video_sampler`` and, for each video, calls
the clip sampler until it says ``is_last_clip``. fastvid does the same walk *ahead of time*
from the metadata index (no decoding), so each clip's frames are known before the DALI graph
asks for them. The plan is a pure function of ``(seed, epoch, rank)``: every DALI worker
process rebuilds the same plan on its own, and two runs with one seed see the same clips.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from torch.utils.data import DistributedSampler, RandomSampler, Sampler, SequentialSampler

from fastvid.reader.planning._private_draws import private_draws
from fastvid.reader.planning._table import EpochPlan
from fastvid.reader.planning._timing import Timing, dense_ids, timing_at, timing_of
from fastvid.reader.planning._vector_plan import (
    duration_only,
    plan_visits,
    rows_from_clips,
    template_rows,
    walk_sampler,
)
from fastvid.reader.planning._video_order import for_rank, mix_seed, seeded_global_rngs, video_order
from fastvid.reader.planning.frames import (
    ClipRequest,
    TimedVideo,
    clip_frame_indices,
    temporal_subsample,
)

__all__ = ["EpochPlan", "EpochPlanner", "PlannedVideo", "mix_seed", "shard_count"]


@dataclass(frozen=True)
class PlannedVideo:
    """A video as the planner needs it: where it is, its label and its timing."""

    path: str
    label: int
    duration: Fraction | float | None
    timing: TimedVideo
    extra: tuple[tuple[str, Any], ...] = ()


ClipSamplerFn = Callable[..., Any]


class EpochPlanner:
    """Builds the list of :class:`ClipRequest` for an epoch.

    Args:
        videos: The dataset's videos, in dataset order (``video_index`` is the position).
        clip_sampler_factory: Returns a fresh clip sampler (PyTorchVideo protocol:
            ``sampler(last_clip_end_time, video_duration, annotation)`` and ``reset()``).
        temporal_subsample: ``UniformTemporalSubsample`` sizes applied to each clip's frames.
        video_sampler: torch ``Sampler`` class or instance giving the video order, or an
            object whose ``order_for(seed=, epoch=, rank=, world_size=)`` gives each rank's
            share itself (:class:`fastvid.data.shards.ShardSampler`). Default:
            ``RandomSampler`` (PyTorchVideo's default).
        seed: Seed for the video order and random clip samplers.
        rank: This process's rank. Default: 0.
        world_size: Number of ranks; each gets a disjoint share of the videos and the same
            number of clips (the shorter shares repeat clips, like ``DistributedSampler``).
            Default: 1.
    """

    def __init__(
        self,
        videos: Sequence[PlannedVideo],
        clip_sampler_factory: Callable[[], ClipSamplerFn],
        *,
        temporal_subsample: Sequence[int] = (),
        video_sampler: type[Sampler[int]] | Sampler[int] | None = None,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if world_size < 1 or not 0 <= rank < world_size:
            raise ValueError(f"rank ({rank}) must be in [0, world_size ({world_size}))")
        self.videos: Sequence[PlannedVideo] = (
            videos if callable(getattr(videos, "timing", None)) else tuple(videos)
        )
        self._paths: Sequence[str] = getattr(videos, "paths", None) or [v.path for v in self.videos]
        self._labels: Sequence[int] = getattr(videos, "labels", None) or [
            v.label for v in self.videos
        ]
        self._columns: Timing | None = None
        self._columns_lock = threading.Lock()
        self._clip_sampler_factory = clip_sampler_factory
        self._draws = private_draws(clip_sampler_factory(), seed)  # random: no global RNGs
        self._temporal = tuple(temporal_subsample)
        self._video_sampler = video_sampler
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self._cache: dict[int, EpochPlan] = {}
        self._ahead: dict[int, Future[EpochPlan]] = {}

    def for_rank(self, rank: int, world_size: int) -> EpochPlanner:
        """The same planner for another rank / world size."""
        return EpochPlanner(
            self.videos,
            self._clip_sampler_factory,
            temporal_subsample=self._temporal,
            video_sampler=self._video_sampler,
            seed=self.seed,
            rank=rank,
            world_size=world_size,
        )

    def clips_for_video(self, video_index: int, *, epoch: int) -> list[ClipRequest]:
        """The clips PyTorchVideo would draw from one video (empty clips dropped, as it does)."""
        video = self.videos[video_index]
        if video.duration is None:
            return []
        annotation = {"label": video.label, **dict(video.extra)}
        requests: list[ClipRequest] = []
        last_end: Fraction | float = 0.0
        with seeded_global_rngs(mix_seed(self.seed, epoch, video_index)):
            sampler = self._clip_sampler_factory()
            for _ in range(1_000_000):
                start, end, clip_index, aug_index, is_last = sampler(
                    last_end, video.duration, annotation
                )
                starts = start if isinstance(start, list) else [start]
                ends = end if isinstance(end, list) else [end]
                clip_ids = clip_index if isinstance(clip_index, list) else [clip_index]
                aug_ids = aug_index if isinstance(aug_index, list) else [aug_index]
                last = is_last[-1] if isinstance(is_last, list) else is_last
                frames = [
                    clip_frame_indices(video.timing, s, e)
                    for s, e in zip(starts, ends, strict=True)
                ]
                if any(f.size == 0 for f in frames):
                    break  # PyTorchVideo drops the rest of a video whose clip is empty
                for s, e, c, a, f in zip(starts, ends, clip_ids, aug_ids, frames, strict=True):
                    for size in self._temporal:
                        f = temporal_subsample(f, size)
                    requests.append(
                        ClipRequest(video_index, video.path, video.label, c, a, s, e, f)
                    )
                last_end = ends[-1]
                if last:
                    break
            else:  # pragma: no cover - a sampler that never ends
                raise RuntimeError(f"clip sampler never ended for video {video.path}")
        if hasattr(sampler, "reset"):
            sampler.reset()
        return requests

    def plan(self, epoch: int) -> EpochPlan:
        """This rank's clips for ``epoch``, in order (cached per epoch)."""
        ahead = self._ahead.pop(epoch, None)
        if ahead is not None and epoch not in self._cache:
            self._keep(epoch, ahead.result())  # planned in the background (plan_ahead)
        if epoch not in self._cache:
            self._keep(epoch, self._build(epoch))
        return self._cache[epoch]

    def _keep(self, epoch: int, plan: EpochPlan) -> None:
        if len(self._cache) >= 2:  # this epoch and the next (the loader starts it early)
            del self._cache[min(self._cache)]
        self._cache[epoch] = plan

    def plan_ahead(self, epoch: int) -> None:
        """Start planning ``epoch`` in a background thread, so that asking for it later does
        not block the training loop's thread (NumPy releases the GIL for most of the work).

        Only where planning touches no global state: a duration-only clip sampler and a
        video order from fastvid's own generator (no sampler instance, no custom class, which
        draw from the global RNGs). Otherwise :meth:`plan` plans on first use, as before.
        """
        for stale in [e for e in self._ahead if e < epoch - 1]:  # set_epoch went elsewhere
            del self._ahead[stale]
        if epoch in self._cache or epoch in self._ahead or len(self._ahead) >= 2:
            return
        if not self._plans_in_background():
            return
        future: Future[EpochPlan] = Future()

        def run() -> None:
            try:
                future.set_result(self._build(epoch))
            except BaseException as error:  # re-raised by plan() in the caller's thread
                future.set_exception(error)

        threading.Thread(target=run, name=f"fastvid-plan-{epoch}", daemon=True).start()
        self._ahead[epoch] = future

    def ready(self, epoch: int) -> bool:
        """Whether :meth:`plan` of ``epoch`` returns without planning or waiting."""
        ahead = self._ahead.get(epoch)
        return epoch in self._cache or (ahead is not None and ahead.done())

    def head(self, epoch: int, clips: int, *, whole: int = 1) -> EpochPlan | None:
        """The first ``clips`` clips of ``epoch`` (fewer if this rank has fewer), planned from
        the first videos of this rank's share alone: milliseconds, whatever the number of
        videos. The whole plan is made meanwhile in a background thread (:meth:`plan` waits
        for it, :meth:`ready` says whether it is done); it starts with these clips.

        Args:
            epoch: The epoch.
            clips: How many clips.
            whole: Cut the head to a multiple of this many clips (whole batches).

        Returns:
            The clips, or ``None`` where :meth:`plan` should be called instead: the plan is
            made already, cannot be made in the background (see :meth:`plan_ahead`), or the
            share's first videos have fewer than ``whole`` clips.
        """
        if self.ready(epoch) or not self._plans_in_background():
            return None
        self.plan_ahead(epoch)
        order, sharded = video_order(
            self._video_sampler,
            len(self.videos),
            seed=self.seed,
            epoch=epoch,
            rank=self.rank,
            world_size=self.world_size,
        )
        mine = order if self.world_size == 1 or sharded else order[self.rank :: self.world_size]
        visited = max(1, clips)
        while True:  # a video gives one clip or more, or none: visit more until enough
            plan = self._first_visits(mine[:visited], epoch)
            if len(plan) >= clips or visited >= len(mine):
                break
            visited *= 4
        kept = min(clips, len(plan)) // whole * whole
        return plan[:kept] if kept else None

    def rest(self, epoch: int, start: int) -> Callable[[bool], EpochPlan | None]:
        """``rest(wait)``: ``epoch``'s clips from the ``start``-th on, once planned (``None``
        while the background thread plans, unless ``wait``); the next epoch is then planned
        ahead."""

        def rest(wait: bool) -> EpochPlan | None:
            if not (wait or self.ready(epoch)):
                return None
            plan = self.plan(epoch)[start:]
            self.plan_ahead(epoch + 1)  # the next epoch in the background, from now on
            return plan

        return rest

    def _first_visits(self, visits: np.ndarray, epoch: int) -> EpochPlan:
        """The clips of ``visits``, timed from their own rows of the index unless the whole
        dataset's columns are read already."""
        columns = self._columns
        if columns is not None:
            return self._plan_visits(visits, epoch, timing=columns)[0]
        local = np.arange(len(visits), dtype=np.int64)
        timing = timing_at(self.videos, visits)
        plan = self._plan_visits(local, epoch, timing=timing, video_ids=visits)[0]
        return EpochPlan(
            visits[plan.video_indices].astype(np.int32),
            plan.entry,
            plan.entries,
            plan.times,
            plan.subsample,
            paths=self._paths,
            labels=self._labels,
        )

    def _plans_in_background(self) -> bool:
        """Whether planning touches no global state (see :meth:`plan_ahead`)."""
        order = self._video_sampler
        own_order = order is None or (
            isinstance(order, type)
            and issubclass(order, RandomSampler | SequentialSampler | DistributedSampler)
        )
        return own_order and (
            self._draws is not None or duration_only(self._clip_sampler_factory())
        )

    def _build(self, epoch: int) -> EpochPlan:
        order, sharded = video_order(
            self._video_sampler,
            len(self.videos),
            seed=self.seed,
            epoch=epoch,
            rank=self.rank,
            world_size=self.world_size,
        )
        if self.world_size == 1:
            return self._plan_visits(order, epoch)[0]
        if sharded:  # the sampler shares out the videos: plan the other ranks' shares too
            orders = [
                video_order(
                    for_rank(self._video_sampler, r),
                    len(self.videos),
                    seed=self.seed,
                    epoch=epoch,
                    rank=r,
                    world_size=self.world_size,
                )[0]
                if r != self.rank
                else order
                for r in range(self.world_size)
            ]
        else:
            orders = [order[r :: self.world_size] for r in range(self.world_size)]
        bounds = np.cumsum([0] + [len(o) for o in orders])
        visits = np.concatenate(orders)
        # every share's clip count, but the clips of this rank's share only
        mine = (int(bounds[self.rank]), int(bounds[self.rank + 1]))
        plan, per_visit = self._plan_visits(visits, epoch, expand=mine)
        sizes = np.add.reduceat(np.r_[per_visit, 0], bounds[:-1]) * (np.diff(bounds) > 0)
        longest = int(sizes.max())
        # Every rank runs `longest` clips (DDP needs equal steps): a short share repeats its own
        # clips; an empty one borrows everyone's, as DistributedSampler pads from the dataset.
        if not len(plan):
            plan = self._plan_visits(visits, epoch)[0]
        if not len(plan):
            return plan
        return plan.take(np.arange(longest) % len(plan))

    def _plan_visits(
        self,
        visits: np.ndarray,
        epoch: int,
        expand: tuple[int, int] | None = None,
        timing: Timing | None = None,
        video_ids: np.ndarray | None = None,
    ) -> tuple[EpochPlan, np.ndarray]:
        """The clips of the videos ``visits[start:stop]`` (``expand``; default all), in
        order, and the clip count of every visit (``timing``: columns whose row ``v`` is
        visit ``v``'s video, default the dataset's; ``video_ids``: each visit's position in
        the dataset where ``timing`` is not the dataset's)."""
        timing = timing or self._timing()
        if duration_only(self._clip_sampler_factory()):
            # the same clips for every video of one duration and timing class: plan each
            # (duration, class) once on its first video, then give its clips to every visit
            keys = np.stack([timing.dur_id[visits], timing.cls_id[visits]], axis=1)
            combos, unit_of_visit = dense_ids(keys)
            units = np.zeros(len(combos), np.int64)
            units[unit_of_visit[::-1]] = visits[::-1]  # the first visit of each combination
            rows = template_rows(units, timing, self._clip_sampler_factory)
        else:
            units, unit_of_visit = visits, np.arange(len(visits), dtype=np.int64)
            ids = (visits if video_ids is None else video_ids).tolist()
            if self._draws is not None:  # the same clips, no global RNG: durations suffice
                known = timing.durations
                durations = [known[d] if d >= 0 else None for d in timing.dur_id[visits].tolist()]
                sampled = self._draws.many(ids, epoch, durations)
            else:
                sampled = [self._sampled(i, epoch) for i in ids]
            rows = rows_from_clips(sampled)
        return plan_visits(
            rows,
            units,
            unit_of_visit,
            visits,
            timing,
            self._temporal,
            paths=self._paths,
            labels=self._labels,
            expand=expand,
        )

    def _sampled(self, video_index: int, epoch: int) -> list[tuple[Any, ...]]:
        """``(start, end, clip, aug, call)`` of every clip the sampler draws from one video,
        under the video's seed (empty clips are cut later, with the frames)."""
        video = self.videos[video_index]
        if video.duration is None:
            return []
        annotation = {"label": video.label, **dict(video.extra)}
        with seeded_global_rngs(mix_seed(self.seed, epoch, video_index)):
            return walk_sampler(self._clip_sampler_factory(), video.duration, annotation)

    def _timing(self) -> Timing:
        with self._columns_lock:  # read once, by whichever thread plans first
            if self._columns is None:
                self._columns = timing_of(self.videos)
            return self._columns


def shard_count(plan: Sequence[ClipRequest], batch_size: int, *, drop_last: bool) -> int:
    """Number of batches a plan yields."""
    if drop_last:
        return len(plan) // batch_size
    return -(-len(plan) // batch_size)
