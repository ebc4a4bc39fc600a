"""Where a loader's stream of batches stands, saved and restored: exact mid-epoch resume.

An epoch's batches are a pure function of the loader's configuration and the epoch number:
the plan comes from ``(seed, epoch, rank)`` (:mod:`fastvid.reader.planning.epoch`), each clip's
augmentation parameters from ``(seed, epoch, video, clip, aug)`` (the engine seeds a generator
per clip), and which worker prepares a clip never changes it. The state of the stream is
therefore small: the epoch and how many of its batches were handed out. A resumed loader plans
the same epoch, drops the batches already handed out *from the plan* (so the engine sends
tasks from the resumed batch on, and decodes nothing of the skipped prefix), and goes on.

A state carries a fingerprint of what the plan depends on (the videos and labels, seed, clip
and video sampler, batch size, ``drop_last`` and world size) and a digest of the epoch's plan
(both made by :mod:`fastvid.reader.loader._fingerprint`);
loading it into a loader whose fingerprint or plan differs raises ``ValueError`` naming the
difference. Worker and thread counts, device and decoder choice are not part of it: a run may
resume with other ones. Nor is the rank: under DDP Lightning saves rank 0's state and every
rank loads it (all ranks run the same number of batches per epoch); the plan digest is then
checked only on the rank that saved it.

Transforms that could not be lowered, and the loader's ``batch_transform``, run in torch in the
loader's process; :func:`seeded_rngs` seeds Python's, NumPy's and torch's global generators
from the batch's position around them, so their draws resume exactly too.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from fastvid.reader.loader._fingerprint import fingerprint, plan_digest
from fastvid.reader.planning.epoch import mix_seed, shard_count
from fastvid.reader.planning.frames import ClipRequest

__all__ = ["STATE_FORMAT", "StreamPosition", "fingerprint", "loader_position", "seeded_rngs"]

STATE_FORMAT = "fastvid.ClipLoader/1"
"""Tag and version of :meth:`ClipLoader.state_dict`'s dictionary."""

_TORCH_SIDE = 0x7E5  # mixed into the seed of the torch-side transforms of a batch


@dataclass
class _Resumed:
    """A loaded state not yet started: epoch, batches already handed out, plan digest and
    the rank that saved it."""

    epoch: int
    batch: int
    digest: str | None
    rank: int


@dataclass
class _Live:
    """The epoch being iterated: its batches, and how many were handed out."""

    epoch: int
    batch: int
    total: Callable[[], int]  # its batches (waits for its plan if that is still being made)


class StreamPosition:
    """A loader's position in its stream of batches, as a state dict and back.

    Args:
        fingerprint: :func:`fingerprint` of the loader, or a function that makes it (called
            when a state is first saved or loaded: a million videos' listing is not hashed
            before it is needed).
        plan: The clips of an epoch on this rank (the loader's :meth:`plan`).
        rank: This loader's rank.
        batch_size: Clips per batch.
        drop_last: Whether the last incomplete batch is dropped.
    """

    def __init__(
        self,
        fingerprint: dict[str, Any] | Callable[[], dict[str, Any]],
        plan: Callable[[int], Sequence[ClipRequest]],
        *,
        rank: int,
        batch_size: int,
        drop_last: bool,
    ) -> None:
        self._fingerprint = fingerprint if isinstance(fingerprint, dict) else None
        self._make = fingerprint if callable(fingerprint) else None
        self._world: int | None = None
        self._rank = rank
        self._plan = plan
        self._batch_size = batch_size
        self._drop_last = drop_last
        self._resumed: _Resumed | None = None
        self._live: _Live | None = None
        self._digests: dict[int, str] = {}

    def follow_rank(self, rank: int, world_size: int) -> None:
        """The loader learnt its rank late (the process group started after it was made)."""
        self._rank = rank
        if self._fingerprint is None:
            self._world = int(world_size)
        else:
            self._fingerprint = {**self._fingerprint, "world_size": int(world_size)}

    @property
    def fingerprint(self) -> dict[str, Any]:
        """What the loader's plans depend on (:func:`fingerprint`), made when first asked."""
        if self._fingerprint is None:
            assert self._make is not None
            made = dict(self._make())
            if self._world is not None:
                made["world_size"] = self._world
            self._fingerprint = made
        return self._fingerprint

    def select(self, epoch: int) -> None:
        """``set_epoch(epoch)``: forget the last iteration, and a loaded state of another
        epoch (one of ``epoch`` still resumes: ``load_state_dict`` then ``set_epoch``)."""
        if self._resumed is not None and self._resumed.epoch != epoch:
            self._resumed = None
        self._live = None

    def resumes(self, epoch: int) -> bool:
        """Whether an iteration of ``epoch`` would continue a loaded state (skip batches)."""
        resumed = self._resumed
        return resumed is not None and resumed.epoch == epoch and resumed.batch > 0

    def start(self, epoch: int, plan: Callable[[], Sequence[ClipRequest]]) -> int:
        """An iteration of ``epoch`` begins: the number of its batches to skip (0 unless a
        state of this epoch was loaded). Raises ``ValueError`` if the plan is not the saved one.

        ``plan`` gives the epoch's whole plan; it is asked for only when a loaded state is
        checked, or when :meth:`state_dict` needs the epoch's length (the loader's first
        batches may be running while the rest of the plan is still being made).
        """
        resumes = self.resumes(epoch)
        resumed, self._resumed = self._resumed, None

        def total() -> int:
            return shard_count(plan(), self._batch_size, drop_last=self._drop_last)

        first = 0
        if resumes and resumed is not None:
            mine = resumed.rank == self._rank  # another rank's plan cannot be checked here
            if (mine and resumed.digest != self._digest(epoch)) or resumed.batch > total():
                raise ValueError(
                    f"cannot resume epoch {epoch} at batch {resumed.batch}: this loader plans "
                    f"other clips for it ({total()} batches) than the loader whose state was "
                    "saved (the videos' index, the clip sampler or the video sampler differ). "
                    "Resume with the same data and options, or start the epoch afresh "
                    "(set_epoch)"
                )
            first = resumed.batch
        self._live = _Live(epoch, first, total)
        return first

    def handed_out(self, batches: int) -> None:
        """The live epoch has handed out (or, all clips failing, passed) ``batches`` batches."""
        if self._live is not None:
            self._live.batch = batches

    def state_dict(self, next_epoch: int) -> dict[str, Any]:
        """Where the stream stands; ``next_epoch`` is the epoch a new iteration would run."""
        epoch, batch = next_epoch, 0
        if self._resumed is not None:
            epoch, batch = self._resumed.epoch, self._resumed.batch
        elif self._live is not None and self._live.batch < self._live.total():
            epoch, batch = self._live.epoch, self._live.batch
        elif self._live is not None:  # the epoch was handed out in full
            epoch = self._live.epoch + 1
        return {
            "format": STATE_FORMAT,
            "epoch": epoch,
            "batch": batch,
            "plan_digest": self._digest(epoch) if batch else None,
            "rank": self._rank,
            "fingerprint": dict(self.fingerprint),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> int:
        """Check ``state`` against this loader and keep it for the next iteration.

        Returns:
            The epoch the next iteration runs.
        """
        if not isinstance(state, Mapping) or state.get("format") != STATE_FORMAT:
            found = state.get("format") if isinstance(state, Mapping) else type(state).__name__
            raise ValueError(
                f"not a ClipLoader state: expected format {STATE_FORMAT!r}, got {found!r}. "
                "Pass what ClipLoader.state_dict() returned"
            )
        saved = state["fingerprint"]
        differ = [
            f"{key}: saved {saved.get(key)!r}, this loader {value!r}"
            for key, value in self.fingerprint.items()
            if saved.get(key) != value
        ]
        if differ:
            raise ValueError(
                "cannot resume from this loader state: it was saved by a loader with other "
                f"data or options ({'; '.join(differ)}). Resume with the same videos, seed, "
                "samplers, batch size, drop_last and world size (worker counts, device and "
                "decoder may differ), or start without the state (with Lightning: from the "
                "checkpoint's weights only)"
            )
        epoch, batch = int(state["epoch"]), int(state["batch"])
        if epoch < 0 or batch < 0:
            raise ValueError(f"bad ClipLoader state: epoch ({epoch}) and batch ({batch}) < 0")
        rank = int(state.get("rank", self._rank))
        self._resumed = _Resumed(epoch, batch, state.get("plan_digest"), rank)
        self._live = None
        return epoch

    def _digest(self, epoch: int) -> str:
        if epoch not in self._digests:
            if len(self._digests) >= 2:
                del self._digests[min(self._digests)]
            self._digests[epoch] = plan_digest(self._plan(epoch))
        return self._digests[epoch]


def loader_position(
    pairs: Sequence[tuple[str, int]],
    plan: Callable[[int], Sequence[ClipRequest]],
    *,
    clip_sampler: Any,
    video_sampler: Any,
    seed: int,
    batch_size: int,
    drop_last: bool,
    rank: int,
    world_size: int,
) -> StreamPosition:
    """A new loader's position (the start of epoch 0), with the :func:`fingerprint` of its
    data and options."""
    return StreamPosition(
        lambda: fingerprint(
            pairs,
            clip_sampler=clip_sampler,
            video_sampler=video_sampler,
            seed=seed,
            batch_size=batch_size,
            drop_last=drop_last,
            world_size=world_size,
        ),
        plan,
        rank=rank,
        batch_size=batch_size,
        drop_last=drop_last,
    )


@contextlib.contextmanager
def seeded_rngs(
    seed: int, epoch: int, batch: int, *, cuda: bool = False, active: bool = True
) -> Iterator[None]:
    """Seed Python's, NumPy's and torch's global generators from a batch's position for a
    block, then restore them (the torch-side transforms draw the same on resume).

    Args:
        seed: The loader's seed.
        epoch: The epoch.
        batch: The batch's number in the epoch.
        cuda: Also fork and seed the current CUDA device's generator (when CUDA is in use).
        active: ``False``: leave the generators alone (nothing random runs in torch).
    """
    if not active:
        yield
        return
    cuda = cuda and torch.cuda.is_initialized()
    value = mix_seed(seed, epoch, batch, _TORCH_SIDE)
    python_state = random.getstate()
    numpy_state = np.random.get_state()
    devices = [torch.cuda.current_device()] if cuda else []
    with torch.random.fork_rng(devices=devices):
        random.seed(value)
        np.random.seed(value & 0xFFFFFFFF)
        torch.random.default_generator.manual_seed(value)
        if cuda:
            torch.cuda.manual_seed(value)  # the current device only
        try:
            yield
        finally:
            random.setstate(python_state)
            np.random.set_state(numpy_state)
