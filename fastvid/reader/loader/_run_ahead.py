"""A loader's epoch runs: the one being iterated, and the next one, started as it ends.

When every task of the current epoch is out and a worker could take more, the next epoch's
first tasks are sent (its plan is a pure function of seed and epoch), so workers are not idle
at an epoch's end nor restarted at the next one's start. If ``set_epoch`` picks another epoch,
the run started ahead is dropped. An epoch whose plan is still being made (a million videos'
first epoch) runs in two parts: its first batches, planned alone in milliseconds, then the rest,
whose first tasks are sent as the first part's last ones are out
(:meth:`EpochRuns.batches`). What the runs share (worker pool, DALI graphs, task ids, the
router) is :mod:`fastvid.reader.loader._run_parts`'s.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Generator, Sequence
from typing import Any

from fastvid.reader.loader.epoch_run import EpochRun, EpochStats
from fastvid.reader.planning.frames import ClipRequest

Rest = Callable[[bool], Sequence[ClipRequest] | None]
"""``rest(wait)``: an epoch's clips after its first part; ``None`` while they are still being
planned, unless ``wait``."""

__all__ = ["EpochRuns", "EpochSetter"]


class EpochSetter:
    """What Lightning and Fabric look for on a data loader at each epoch start:
    ``loader.sampler.set_epoch(epoch)`` (``lightning_fabric.utilities.data._set_sampler_epoch``).

    Args:
        set_epoch: The loader's ``set_epoch``.
    """

    def __init__(self, set_epoch: Callable[[int], None]) -> None:
        self.set_epoch = set_epoch


class EpochRuns:
    """The current and the next :class:`~fastvid.reader.loader.epoch_run.EpochRun` of a loader.

    Args:
        plan: The clips of an epoch, in order.
        new_run: Makes the run of ``(plan, epoch)``.
    """

    def __init__(
        self,
        plan: Callable[[int], Sequence[ClipRequest]],
        new_run: Callable[[Sequence[ClipRequest], int], EpochRun],
    ) -> None:
        self._plan = plan
        self._new_run = new_run
        self.current: EpochRun | None = None
        self.next: EpochRun | None = None  # the next epoch (or part), started as this one ends
        self._next_at = (0, 0)  # (epoch, first clip) of `next`
        self._no_next_epoch: int | None = None  # an epoch found to have no clips

    def batches(
        self,
        plan: Sequence[ClipRequest],
        epoch: int,
        stats: EpochStats,
        *,
        rest: Rest | None = None,
    ) -> Generator[Any, None, None]:
        """What :meth:`EpochRun.batches <fastvid.reader.loader.epoch_run.EpochRun.batches>` yields,
        for every batch of ``plan``, then of ``rest(True)`` if given (``plan`` is then the epoch's
        first batches); each run's stats are added into ``stats``."""
        offset = 0
        while plan:
            run = self.begin(plan, epoch, offset=offset, rest=rest)
            try:
                yield from run.batches()
            finally:
                self.end(run)
                _add(stats, run.stats)
            if rest is None:
                return
            offset, plan, rest = offset + len(plan), rest(True) or (), None

    def begin(
        self,
        plan: Sequence[ClipRequest],
        epoch: int,
        *,
        offset: int = 0,
        rest: Rest | None = None,
    ) -> EpochRun:
        """The run of ``plan``, ``epoch``'s clips from its ``offset``-th on (the one started
        ahead if it is that one), now current. With ``rest``, the rest of the epoch's tasks
        are sent as ``plan``'s last ones are out, if planned by then."""
        if self.current is not None:  # an earlier epoch's iterator was abandoned mid-way
            self.current.close()
        run, self.next = self.next, None
        if run is not None and self._next_at != (epoch, offset):  # set_epoch chose another
            run.close()
            run = None
        if run is None:
            run = self._new_run(plan, epoch)
        if rest is None:
            run.drained = lambda: self.start_next(epoch + 1)
        else:
            run.drained = lambda: self._start_rest(epoch, offset + len(plan), rest)
        self.current = run
        return run

    def end(self, run: EpochRun) -> None:
        """Close ``run``, which was iterated to its end or abandoned."""
        run.close()
        if self.current is run:
            self.current = None

    def start_next(self, epoch: int) -> None:
        """Send the next epoch's first tasks while this one's last batches are assembled.

        Its plan and clips are what iterating it will ask for (a pure function of seed and
        epoch); if ``set_epoch`` picks another epoch, the work is dropped.
        """
        if self.next is None:
            if self._no_next_epoch == epoch:
                return
            plan = self._plan(epoch)
            if not plan:
                self._no_next_epoch = epoch
                return
            self.next = self._new_run(plan, epoch)
            self._next_at = (epoch, 0)
        self.next.prefetch()

    def _start_rest(self, epoch: int, offset: int, rest: Rest) -> None:
        """Send the first tasks of the rest of ``epoch`` (from clip ``offset``) if it is
        planned already; otherwise its run starts when the first part's last batch is out."""
        if self.next is None:
            plan = rest(False)
            if not plan:
                return
            self.next = self._new_run(plan, epoch)
            self._next_at = (epoch, offset)
        self.next.prefetch()

    def drop_next(self) -> None:
        """Close the run started ahead, if any (its tasks went to a pool being closed)."""
        if self.next is not None:
            self.next.close()
            self.next = None

    def close(self) -> None:
        """Close both runs."""
        for run in (self.current, self.next):
            if run is not None:
                run.close()
        self.current = self.next = None


def _add(total: EpochStats, part: EpochStats) -> None:
    """Add the stats of one run of an epoch (a part of it) into ``total``."""
    for field in dataclasses.fields(total):
        if field.name != "decoded_by_video":
            setattr(total, field.name, getattr(total, field.name) + getattr(part, field.name))
    for video, frames in part.decoded_by_video.items():
        total.decoded_by_video[video] = total.decoded_by_video.get(video, 0) + frames
