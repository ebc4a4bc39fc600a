"""A loader's epoch and its place in the stream of batches, as Lightning and torchdata see them.

:class:`EpochControl` is the part of :class:`~fastvid.reader.loader.clip_loader.ClipLoader`
that picks the epoch the next iteration yields (``set_epoch``, and ``sampler.set_epoch`` as
Lightning and Fabric call it), saves and restores the position in the stream
(``state_dict`` / ``load_state_dict``, kept by :mod:`fastvid.reader.loader._resume`), and
follows the process group's rank and world size once it exists.
"""

from __future__ import annotations

from typing import Any

from fastvid.reader.loader._options import resolve_rank_world
from fastvid.reader.loader._resume import StreamPosition
from fastvid.reader.loader._run_ahead import EpochRuns, EpochSetter
from fastvid.reader.planning.epoch import EpochPlanner

__all__ = ["EpochControl"]


class EpochControl:
    """``ClipLoader``'s epoch, resume and rank methods (a mixin: the loader sets the state)."""

    _epoch: int
    _position: StreamPosition
    _rank_given: tuple[int | None, int | None]
    _planner: EpochPlanner | None
    _runs: EpochRuns
    rank: int
    world_size: int

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch the next iteration yields (reshuffles from the seed); drops a
        state loaded with :meth:`load_state_dict` unless it is of this epoch."""
        self._epoch = int(epoch)
        self._position.select(self._epoch)

    def state_dict(self) -> dict[str, Any]:
        """Where the stream of batches stands: the epoch and how many of its batches were
        handed out, with a fingerprint of the data and options (torchdata's
        ``StatefulDataLoader`` protocol; Lightning saves it in its checkpoints).

        After an epoch's last batch it points at the next epoch's start.
        """
        self._follow_rank()
        return self._position.state_dict(self._epoch)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Continue from :meth:`state_dict`'s position: the next iteration yields the rest of
        the saved epoch, the same batches (clips, augmentation, order) the saved loader would
        have yielded, whatever the worker counts; the skipped batches are not decoded.

        Raises:
            ValueError: ``state_dict`` is not a loader state, or was saved by a loader with
                other videos, seed, samplers, batch size, ``drop_last`` or world size (any
                rank may load any rank's state: under DDP Lightning saves rank 0's).
        """
        self._follow_rank()
        self._epoch = self._position.load_state_dict(state_dict)

    def _follow_rank(self) -> None:
        """Rank and world size not given: take them from the process group once it exists
        (Lightning starts it after the DataModule may have made this loader)."""
        rank, world = resolve_rank_world(*self._rank_given)
        if (rank, world) != (self.rank, self.world_size):
            self.rank, self.world_size = rank, world
            self._position.follow_rank(rank, world)
            if self._planner is not None:
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
