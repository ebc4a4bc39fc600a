"""A loader's videos as columns of its index: what the planner and the engine read, per video,
without a Python object per video until one is asked for.

:class:`IndexedVideos` is the ``Sequence[PlannedVideo]`` the planner gets from the loader's
set-up: its :meth:`~IndexedVideos.timing` columns come straight from the index table (a
million videos: tens of milliseconds), and ``videos[i]`` makes one video's
:class:`~fastvid.reader.planning.epoch.PlannedVideo` (with its :class:`VideoMeta`) when read.
:func:`~fastvid.reader.planning._vector_plan.timing_of` gives the same columns for any list of
planned videos (tests, custom planners).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from fastvid.reader.loader._options import NO_FRAMES
from fastvid.reader.loader._run_types import VideoSource
from fastvid.reader.planning._timing import Timing, dense_ids, timing_classes
from fastvid.reader.planning.epoch import PlannedVideo

if TYPE_CHECKING:
    from fastvid.data.index import VideoIndex

__all__ = ["IndexedSources", "IndexedVideos"]


class IndexedVideos(Sequence[PlannedVideo]):
    """The loader's videos, backed by its index.

    Args:
        paths: Path of each video, in dataset order.
        labels: Label of each video.
        annotations: Per-video annotations, or ``None``.
        index: The index (:attr:`meta_index`).
        rows: Row of each video in the index's table, -1 for a video it does not hold.
        decode_audio: Plan on PyTorchVideo's duration with audio.
    """

    def __init__(
        self,
        paths: list[str],
        labels: list[int],
        annotations: Sequence[dict[str, Any]] | None,
        index: VideoIndex,
        rows: np.ndarray,
        *,
        decode_audio: bool,
    ) -> None:
        self.paths = paths
        self.labels = labels
        self._annotations = annotations
        self.meta_index = index
        self.rows = rows
        self._audio = decode_audio
        self._timing: Timing | None = None
        self._formats: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.paths)

    @overload
    def __getitem__(self, item: int) -> PlannedVideo: ...

    @overload
    def __getitem__(self, item: slice) -> list[PlannedVideo]: ...

    def __getitem__(self, item: int | slice) -> PlannedVideo | list[PlannedVideo]:
        if isinstance(item, slice):
            return [self[i] for i in range(*item.indices(len(self)))]
        path, label = self.paths[item], self.labels[item]
        extra = tuple((self._annotations[item] if self._annotations else {}).items())
        row = int(self.rows[item])
        if row < 0:
            return PlannedVideo(path, label, None, NO_FRAMES, extra)
        meta = self.meta_index.table.meta(row)
        duration = meta.duration_with_audio if self._audio else meta.duration
        return PlannedVideo(path, label, duration, meta, extra)

    def __iter__(self) -> Iterator[PlannedVideo]:
        return (self[i] for i in range(len(self)))

    def meta(self, item: int) -> Any:
        """Video ``item``'s :class:`VideoMeta` (it must be indexed)."""
        return self.meta_index.table.meta(int(self.rows[item]))

    def timing(self) -> Timing:
        """The planner's columns, read from the index table (made once)."""
        if self._timing is None:
            self._timing = self._columns()
        return self._timing

    def timing_at(self, positions: np.ndarray) -> Timing:
        """The planner's columns of the videos at ``positions`` only (row ``i``: video
        ``positions[i]``; not kept)."""
        return self._columns(np.asarray(positions, np.int64))

    def _columns(self, positions: np.ndarray | None = None) -> Timing:
        from fastvid.data.index._table import COLUMN

        rows = self.rows if positions is None else self.rows[positions]
        indexed = rows >= 0
        ints = self.meta_index.table.ints
        every = (
            positions is None
            and len(rows) == len(ints)
            and bool((rows == np.arange(len(ints))).all())
        )
        num, den = ("adur_num", "adur_den") if self._audio else ("dur_num", "dur_den")
        names = [num, den, "tb_num", "tb_den", "start_pts", "pts_first", "pts_step"]
        names += ["num_frames", "pts_kind", "order_count"]
        wanted = [COLUMN[name] for name in names]
        if not len(ints):
            block = np.zeros((len(rows), len(wanted)), np.int64)
        elif every:  # the loader's videos are the index's, in order: one pass over the table
            block = ints[:, wanted]
        else:
            block = ints[np.ix_(np.where(indexed, rows, 0), np.array(wanted))]
            block[~indexed] = 0
        columns = {name: block[:, i] for i, name in enumerate(names)}

        def column(name: str) -> np.ndarray:
            return columns[name]

        has = indexed & (column(den) != 0)
        dur_keys, dur_ids = dense_ids(np.stack([column(num)[has], column(den)[has]], axis=1))
        dur_id = np.full(len(rows), -1, np.int64)
        dur_id[has] = dur_ids
        tb_keys, tb_id = dense_ids(np.stack([column("tb_num"), column("tb_den")], axis=1))
        start_pts, first, step = column("start_pts"), column("pts_first"), column("pts_step")
        frames = column("num_frames")
        # AVI with B-frames (an output order) follows PyTorchVideo's stop rule: per video
        constant = (column("pts_kind") == 0) & (column("order_count") == 0)
        return Timing(
            dur_id=dur_id,
            durations=[Fraction(int(n), int(d)) for n, d in dur_keys.tolist()],
            tb_id=tb_id,
            time_bases=[Fraction(int(n), max(1, int(d))) for n, d in tb_keys.tolist()],
            start_pts=start_pts,
            first=first,
            step=step,
            num_frames=frames,
            constant=constant,
            cls_id=timing_classes(tb_id, start_pts, first, step, frames, constant),
            timed=(
                (lambda i: self[i].timing)
                if positions is None
                else (lambda i: self[int(positions[i])].timing)
            ),
        )

    def format_classes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(positions, classes, firsts)``: the indexed videos, the format class of each
        (codec, pixel format, width, height: what routing reads) and the first video of each
        class (made once)."""
        if self._formats is None:
            from fastvid.data.index._table import COLUMN

            positions = np.flatnonzero(self.rows >= 0)
            columns = [COLUMN[name] for name in ("codec", "pix_fmt", "width", "height")]
            ints, rows = self.meta_index.table.ints, self.rows[positions]
            keys = np.stack([ints[rows, c] for c in columns], axis=1)
            _, classes = dense_ids(keys)
            firsts = np.full(int(classes.max()) + 1 if len(classes) else 0, len(positions))
            firsts[classes[::-1]] = np.arange(len(positions) - 1, -1, -1)  # the first of each
            self._formats = (positions, classes, positions[firsts])
        return self._formats


class IndexedSources(Sequence["VideoSource | None"]):
    """What the engine sees of each video (``None``: not indexed, never planned), made when
    read; the route of every video as one array.

    Args:
        videos: The loader's videos.
        routing: Their decoders.
        routes: Decoder -> what a worker does for it (``ROUTES``).
    """

    def __init__(self, videos: IndexedVideos, routing: Any, routes: Mapping[str, str]) -> None:
        self._videos = videos
        self._routing = routing
        self._routes = routes
        self._codes: np.ndarray | None = None
        self._names: list[str] = sorted(set(routes.values()))

    def __len__(self) -> int:
        return len(self._videos)

    @overload
    def __getitem__(self, item: int) -> VideoSource | None: ...

    @overload
    def __getitem__(self, item: slice) -> list[VideoSource | None]: ...

    def __getitem__(self, item: int | slice) -> VideoSource | list[VideoSource | None] | None:
        if isinstance(item, slice):
            return [self[i] for i in range(*item.indices(len(self)))]
        if self._videos.rows[item] < 0:
            return None
        route = self._names[int(self._route_codes()[item])]
        return VideoSource(self._videos.paths[item], self._videos.meta(item), route)  # type: ignore[arg-type]

    def routes(self, video_indices: np.ndarray) -> set[str]:
        """The routes of these videos (vectorised)."""
        codes = np.unique(self._route_codes()[np.asarray(video_indices, np.int64)])
        return {self._names[c] for c in codes.tolist() if c >= 0}

    def _route_codes(self) -> np.ndarray:
        """Per video, its route's position in ``_names`` (-1: not indexed); made once, from
        the route of one video per format."""
        decoders = self._routing.decoders
        if self._codes is None and isinstance(decoders, SameForAll):  # one route: no formats
            code = self._names.index(self._routes[decoders.value])
            self._codes = np.where(self._videos.rows >= 0, code, -1).astype(np.int64)
        if self._codes is None:
            positions, classes, firsts = self._videos.format_classes()
            paths = self._videos.paths
            per_class = np.array(
                [
                    self._names.index(self._routes[self._routing.decoders[paths[i]]])
                    for i in firsts.tolist()
                ]
                or [0],
                np.int64,
            )
            self._codes = np.full(len(self._videos), -1, np.int64)
            self._codes[positions] = per_class[classes] if len(classes) else 0
        return self._codes


class SameForAll(Mapping[str, Any]):
    """``{path: value}`` with one value for every path, without a dict of a million entries
    (a loader's routing when all its videos have one format).

    Args:
        paths: The keys.
        value: The value of each.
    """

    def __init__(self, paths: Sequence[str], value: Any) -> None:
        self._paths = paths
        self._value = value
        self._keys: set[str] | None = None

    @property
    def value(self) -> Any:
        """The one value."""
        return self._value

    def counts(self) -> dict[Any, int]:
        """``Counter(self.values())``, without a list of a million values."""
        return {self._value: len(self._paths)} if self._paths else {}

    def __getitem__(self, path: str) -> Any:
        if self._keys is None:
            self._keys = set(self._paths)
        if path not in self._keys:
            raise KeyError(path)
        return self._value

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)

    def values(self) -> list[Any]:  # type: ignore[override]
        """The value once per path (a list: ``Counter`` and ``count`` run in C)."""
        return [self._value] * len(self._paths)
