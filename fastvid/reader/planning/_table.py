"""An epoch plan as columns: a ``Sequence[ClipRequest]`` without a Python object per clip.

A million clips as :class:`~fastvid.reader.planning.frames.ClipRequest` objects cost seconds to make
and hundreds of MB; :class:`EpochPlan` keeps NumPy columns (video, clip and aug index, start and end
times, frames) and makes a ``ClipRequest`` only when one is read. Slices and :meth:`EpochPlan.take`
are column operations, and :meth:`EpochPlan.digest` hashes the columns.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from typing import NamedTuple, overload

import numpy as np

from fastvid.reader.planning.frames import ClipRequest

__all__ = ["ClipEntries", "ClipTimes", "EpochPlan"]


class ClipTimes(NamedTuple):
    """The distinct clips (times and indices) a plan's clips refer to by ``time_id``."""

    starts: np.ndarray  # object: the sampler's Fraction/float start times
    ends: np.ndarray  # object
    clip_index: np.ndarray  # int64
    aug_index: np.ndarray  # int64


class ClipEntries(NamedTuple):
    """The distinct planned clips a plan's clips point at by ``entry``: which clip of
    ``times``, and its frames (``explicit`` if set, else ``first + subsample[length]`` with a
    subsample table, else the range ``first`` ... ``first + length - 1``)."""

    time_id: np.ndarray  # int64, rows of ClipTimes
    first: np.ndarray  # int64
    length: np.ndarray  # int64: frames in the range
    explicit: np.ndarray | None  # object: None or an int64 array per entry


class EpochPlan(Sequence[ClipRequest]):
    """The clips of an epoch, in order, stored as columns: 12 bytes per clip.

    Clip ``i`` is of video ``video[i]`` and is entry ``entry[i]`` of ``entries``: clips of
    videos with the same duration and timing share entries (the same clip times and frames).

    Args:
        video: Video of each clip (position in the dataset), int32.
        entry: Row of ``entries`` of each clip, int64.
        entries: The distinct planned clips.
        times: The distinct clip times and indices.
        subsample: ``(max count + 1, T)`` int64 offsets of ``UniformTemporalSubsample``
            per clip length, or ``None`` (no temporal subsample).
        paths: Path of every video of the dataset.
        labels: Label of every video of the dataset.
    """

    def __init__(
        self,
        video: np.ndarray,
        entry: np.ndarray,
        entries: ClipEntries,
        times: ClipTimes,
        subsample: np.ndarray | None,
        *,
        paths: Sequence[str],
        labels: Sequence[int],
    ) -> None:
        self.video_indices = video
        self.entry = entry
        self.entries = entries
        self.times = times
        self.subsample = subsample
        self.paths = paths
        self.labels = labels

    @classmethod
    def from_requests(
        cls, requests: Sequence[ClipRequest], *, paths: Sequence[str], labels: Sequence[int]
    ) -> EpochPlan:
        """A plan of these clips (small plans, tests)."""
        n = len(requests)
        explicit = np.empty(n, object)
        starts = np.empty(n, object)
        ends = np.empty(n, object)
        for i, r in enumerate(requests):
            explicit[i] = np.asarray(r.frame_indices, np.int64)
            starts[i], ends[i] = r.clip_start_sec, r.clip_end_sec
        times = ClipTimes(
            starts,
            ends,
            np.fromiter((r.clip_index for r in requests), np.int64, n),
            np.fromiter((r.aug_index for r in requests), np.int64, n),
        )
        zeros = np.zeros(n, np.int64)
        entries = ClipEntries(np.arange(n, dtype=np.int64), zeros, zeros, explicit)
        video = np.fromiter((r.video_index for r in requests), np.int32, n)
        return cls(
            video, np.arange(n, dtype=np.int64), entries, times, None, paths=paths, labels=labels
        )

    def __len__(self) -> int:
        return len(self.video_indices)

    @overload
    def __getitem__(self, item: int) -> ClipRequest: ...

    @overload
    def __getitem__(self, item: slice) -> EpochPlan: ...

    def __getitem__(self, item: int | slice) -> ClipRequest | EpochPlan:
        if isinstance(item, slice):
            return self.take(np.arange(len(self))[item])
        i = int(item)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"clip {item} of a plan of {len(self)}")
        video = int(self.video_indices[i])
        e = int(self.entry[i])
        t = int(self.entries.time_id[e])
        return ClipRequest(
            video,
            self.paths[video],
            self.labels[video],
            int(self.times.clip_index[t]),
            int(self.times.aug_index[t]),
            self.times.starts[t],
            self.times.ends[t],
            self._frames(e),
        )

    def __iter__(self) -> Iterator[ClipRequest]:
        return (self[i] for i in range(len(self)))

    def _frames(self, e: int) -> np.ndarray:
        """Entry ``e``'s frame positions (int64)."""
        explicit = self.entries.explicit
        if explicit is not None and explicit[e] is not None:
            frames: np.ndarray = explicit[e]
            return frames
        first, length = int(self.entries.first[e]), int(self.entries.length[e])
        if self.subsample is not None:
            return first + self.subsample[length]
        return np.arange(first, first + length, dtype=np.int64)

    def take(self, rows: np.ndarray) -> EpochPlan:
        """The clips at ``rows`` (positions in this plan), in that order."""
        rows = np.asarray(rows, np.int64)
        return EpochPlan(
            self.video_indices[rows],
            self.entry[rows],
            self.entries,
            self.times,
            self.subsample,
            paths=self.paths,
            labels=self.labels,
        )

    def digest(self) -> str:
        """A digest of every clip's video, clip and aug index, times and frames."""
        digest = hashlib.blake2b(digest_size=16)
        used, inverse = np.unique(self.entry, return_inverse=True)
        digest.update(np.ascontiguousarray(self.video_indices, np.int64).tobytes())
        digest.update(np.ascontiguousarray(inverse, np.int64).tobytes())
        times = self.times
        for e in used.tolist():
            t = int(self.entries.time_id[e])
            digest.update(
                f"{times.clip_index[t]},{times.aug_index[t]},{times.starts[t]},"
                f"{times.ends[t]};".encode()
            )
            digest.update(self._frames(e).tobytes())
        return digest.hexdigest()

    def __repr__(self) -> str:
        return f"EpochPlan({len(self)} clips)"
