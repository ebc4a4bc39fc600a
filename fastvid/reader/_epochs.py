"""A loader's epoch runs: the one being iterated, and the next one, started as it ends.

When every task of the current epoch is out and a worker could take more, the next epoch's
first tasks are sent (its plan is a pure function of seed and epoch), so workers are not idle
at an epoch's end nor restarted at the next one's start. If ``set_epoch`` picks another epoch,
the run started ahead is dropped. What the runs share (worker pool, DALI graphs, task ids, the
router) is :mod:`fastvid.reader._run_parts`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fastvid.reader.engine import EpochRun
from fastvid.reader.plan import ClipRequest

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
    """The current and the next :class:`~fastvid.reader.engine.EpochRun` of a loader.

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
        self.next: EpochRun | None = None  # the next epoch, started as this one ends
        self._no_next_epoch: int | None = None  # an epoch found to have no clips

    def begin(self, plan: Sequence[ClipRequest], epoch: int) -> EpochRun:
        """The run of ``epoch`` (the one started ahead if it is that epoch), now current."""
        if self.current is not None:  # an earlier epoch's iterator was abandoned mid-way
            self.current.close()
        run, self.next = self.next, None
        if run is not None and run.epoch != epoch:  # set_epoch chose another epoch
            run.close()
            run = None
        if run is None:
            run = self._new_run(plan, epoch)
        run.drained = lambda: self.start_next(epoch + 1)
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
