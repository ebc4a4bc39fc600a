"""Compact columnar storage of many :class:`VideoMeta`: a few NumPy arrays, no per-video objects.

One int64 row per video holds the scalar fields; codec and pixel-format names are indices into
short name lists; timestamps are stored as ``first + step * arange(n)`` when the frame rate is
constant, else as deltas in the smallest unsigned integer type that holds them (about 0.1-1 KB
per 300-frame video). The on-disk form is :mod:`fastvid.data.index._cache`.
"""

from __future__ import annotations

import array
import sys
from collections.abc import Iterable, Iterator, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from fastvid.data.index._meta import VideoMeta

__all__ = ["COLUMN", "COLUMNS", "DELTA_DTYPES", "Table"]

# Integer columns of Table.ints, one row per video.
COLUMNS = (
    "size",
    "mtime_ns",
    "width",
    "height",
    "rotation",
    "tb_num",
    "tb_den",
    "start_pts",
    "num_frames",
    "dur_num",
    "dur_den",  # 0: duration is None
    "has_audio",
    "adur_num",  # duration_with_audio
    "adur_den",  # 0: duration_with_audio is None
    "codec",  # index into Table.codecs
    "pix_fmt",  # index into Table.pix_fmts
    "pts_first",
    "pts_step",  # the constant pts step when pts_kind == 0
    "pts_kind",  # 0: first + step * arange(n); k > 0: n - 1 deltas in DELTA_DTYPES[k]
    "pts_offset",  # into the deltas buffer of pts_kind
    "kf_offset",  # into Table.keyframes
    "kf_count",
    "fingerprint",  # VideoMeta.fingerprint (0: none)
    "order_offset",  # into Table.orders (VideoMeta.output_order)
    "order_count",  # 0: frames are output in pts order (all but AVI files with B-frames)
)
COLUMN = {name: index for index, name in enumerate(COLUMNS)}
DELTA_DTYPES: dict[int, type[np.unsignedinteger[Any]]] = {
    1: np.uint8,
    2: np.uint16,
    3: np.uint32,
    4: np.uint64,
}
_DELTA_TYPECODES = {1: "B", 2: "H", 3: "I", 4: "Q"}  # array.array codes of DELTA_DTYPES


class Table:
    """Columnar, compact storage of many VideoMeta: a few numpy arrays, no per-video objects
    beyond the path string."""

    def __init__(
        self,
        paths: Sequence[str],
        ints: np.ndarray,
        avg_fps: np.ndarray,
        codecs: list[str],
        pix_fmts: list[str],
        deltas: dict[int, np.ndarray],
        keyframes: np.ndarray,
        orders: np.ndarray | None = None,
    ) -> None:
        self.paths = paths
        self.ints = ints
        self.avg_fps = avg_fps
        self.codecs = codecs
        self.pix_fmts = pix_fmts
        self.deltas = {
            kind: deltas.get(kind, np.empty(0, dtype)) for kind, dtype in DELTA_DTYPES.items()
        }
        self.keyframes = keyframes
        self.orders = np.empty(0, np.int32) if orders is None else orders
        self._rows: dict[str, int] | None = None

    @property
    def rows(self) -> dict[str, int]:
        """``{path: row}``, made when first asked for (a million paths: ~0.3 s, ~100 MB)."""
        if self._rows is None:
            listed = self.paths.tolist() if hasattr(self.paths, "tolist") else self.paths
            self._rows = {path: row for row, path in enumerate(listed)}
        return self._rows

    def rows_of(self, paths: Sequence[str]) -> np.ndarray:
        """The row of each of ``paths`` (normalized), -1 where it is not in the table.

        The same paths in the same order (an index built from this listing) are recognised in
        one buffer comparison, without a ``{path: row}`` dict.
        """
        same_as = getattr(self.paths, "same_as", None)
        same = same_as(paths) if callable(same_as) else list(paths) == list(self.paths)
        if same:
            return np.arange(len(paths), dtype=np.int64)
        rows = self.rows
        return np.fromiter((rows.get(p, -1) for p in paths), np.int64, len(paths))

    def __len__(self) -> int:
        return len(self.paths)

    @classmethod
    def from_metas(cls, metas: Iterable[VideoMeta]) -> Table:
        """A table of ``metas``, in order (a generator is consumed once, never held whole)."""
        # Typed growable buffers, not lists of small arrays: building 100k entries must not
        # need several times the final size.
        paths: list[str] = []
        ints = array.array("q")
        fps = array.array("d")
        codecs: dict[str, int] = {}
        pix_fmts: dict[str, int] = {}
        deltas = {kind: array.array(code) for kind, code in _DELTA_TYPECODES.items()}
        keyframes = array.array("i")
        orders = array.array("i")
        for meta in metas:
            pts = np.asarray(meta.pts, dtype=np.int64)
            kind, step, encoded = _encode_pts(pts)
            offset = 0
            if encoded is not None:
                offset = len(deltas[kind])
                deltas[kind].frombytes(encoded.tobytes())
            duration = meta.duration
            with_audio = meta.duration_with_audio
            time_base = Fraction(meta.time_base)
            paths.append(meta.path)
            fps.append(meta.avg_fps)
            ints.extend(
                (
                    meta.size,
                    meta.mtime_ns,
                    meta.width,
                    meta.height,
                    meta.rotation,
                    time_base.numerator,
                    time_base.denominator,
                    meta.start_pts,
                    len(pts),
                    0 if duration is None else duration.numerator,
                    0 if duration is None else duration.denominator,
                    int(meta.has_audio),
                    0 if with_audio is None else with_audio.numerator,
                    0 if with_audio is None else with_audio.denominator,
                    codecs.setdefault(meta.codec, len(codecs)),
                    pix_fmts.setdefault(meta.pix_fmt, len(pix_fmts)),
                    int(pts[0]) if len(pts) else 0,
                    step,
                    kind,
                    offset,
                    len(keyframes),
                    len(meta.keyframes),
                    meta.fingerprint,
                    len(orders),
                    len(meta.output_order),
                )
            )
            keyframes.frombytes(np.asarray(meta.keyframes, dtype=np.int32).tobytes())
            orders.frombytes(np.asarray(meta.output_order, dtype=np.int32).tobytes())
        return cls(
            paths,
            np.frombuffer(ints, np.int64).reshape(len(paths), len(COLUMNS)),
            np.frombuffer(fps, np.float64),
            list(codecs),
            list(pix_fmts),
            {kind: np.frombuffer(buf, DELTA_DTYPES[kind]) for kind, buf in deltas.items()},
            np.frombuffer(keyframes, np.int32),
            np.frombuffer(orders, np.int32),
        )

    def meta(self, row: int) -> VideoMeta:
        """The :class:`VideoMeta` of one row (a fresh object with read-only arrays)."""
        (
            size,
            mtime_ns,
            width,
            height,
            rotation,
            tb_num,
            tb_den,
            start_pts,
            num_frames,
            dur_num,
            dur_den,
            has_audio,
            adur_num,
            adur_den,
            codec,
            pix_fmt,
            pts_first,
            pts_step,
            pts_kind,
            pts_offset,
            kf_offset,
            kf_count,
            fingerprint,
            order_offset,
            order_count,
        ) = self.ints[row].tolist()
        if pts_kind == 0:
            pts = pts_first + pts_step * np.arange(num_frames, dtype=np.int64)
        else:
            pts = np.empty(num_frames, np.int64)
            pts[0] = pts_first
            encoded = self.deltas[pts_kind][pts_offset : pts_offset + num_frames - 1]
            np.cumsum(encoded, dtype=np.int64, out=pts[1:])
            pts[1:] += pts_first
        keyframes = self.keyframes[kf_offset : kf_offset + kf_count].copy()
        return VideoMeta(
            path=self.paths[row],
            size=size,
            mtime_ns=mtime_ns,
            codec=self.codecs[codec],
            width=width,
            height=height,
            rotation=rotation,
            time_base=Fraction(tb_num, tb_den),
            start_pts=start_pts,
            pts=_read_only(pts),
            keyframes=_read_only(keyframes),
            avg_fps=float(self.avg_fps[row]),
            num_frames=num_frames,
            duration=None if dur_den == 0 else Fraction(dur_num, dur_den),
            has_audio=bool(has_audio),
            pix_fmt=self.pix_fmts[pix_fmt],
            fingerprint=fingerprint,
            duration_with_audio=None if adur_den == 0 else Fraction(adur_num, adur_den),
            output_order=_read_only(self.orders[order_offset : order_offset + order_count].copy()),
        )

    def select(self, rows: Sequence[int] | np.ndarray) -> Table:
        """A new table of these rows, in this order (vectorised: no per-video Python work)."""
        rows = np.asarray(rows, dtype=np.int64)
        ints = self.ints[rows]
        deltas = {}
        for kind, buffer in self.deltas.items():
            mine = ints[:, COLUMN["pts_kind"]] == kind
            lengths = np.where(mine, ints[:, COLUMN["num_frames"]] - 1, 0)
            deltas[kind], starts = _gather(buffer, ints[:, COLUMN["pts_offset"]], lengths)
            ints[mine, COLUMN["pts_offset"]] = starts[mine]
        keyframes, starts = _gather(
            self.keyframes, ints[:, COLUMN["kf_offset"]], ints[:, COLUMN["kf_count"]]
        )
        ints[:, COLUMN["kf_offset"]] = starts
        orders, starts = _gather(
            self.orders, ints[:, COLUMN["order_offset"]], ints[:, COLUMN["order_count"]]
        )
        ints[:, COLUMN["order_offset"]] = starts
        listed = self.paths.tolist() if hasattr(self.paths, "tolist") else self.paths
        paths = [listed[row] for row in rows.tolist()]
        return Table(
            paths, ints, self.avg_fps[rows], self.codecs, self.pix_fmts, deltas, keyframes, orders
        )

    @classmethod
    def concat(cls, first: Table, second: Table) -> Table:
        """``first``'s rows, then ``second``'s."""
        ints = second.ints.copy()
        codecs = _merge_names(first.codecs, second.codecs, ints, COLUMN["codec"])
        pix_fmts = _merge_names(first.pix_fmts, second.pix_fmts, ints, COLUMN["pix_fmt"])
        for kind in DELTA_DTYPES:
            mine = ints[:, COLUMN["pts_kind"]] == kind
            ints[mine, COLUMN["pts_offset"]] += len(first.deltas[kind])
        ints[:, COLUMN["kf_offset"]] += len(first.keyframes)
        ints[:, COLUMN["order_offset"]] += len(first.orders)
        return cls(
            [*first.paths, *second.paths],
            np.concatenate([first.ints, ints]),
            np.concatenate([first.avg_fps, second.avg_fps]),
            codecs,
            pix_fmts,
            {k: np.concatenate([first.deltas[k], second.deltas[k]]) for k in DELTA_DTYPES},
            np.concatenate([first.keyframes, second.keyframes]),
            np.concatenate([first.orders, second.orders]),
        )

    def metas(self) -> Iterator[VideoMeta]:
        """Every row's :class:`VideoMeta`, in order, one at a time."""
        return (self.meta(row) for row in range(len(self.paths)))

    def nbytes(self) -> int:
        """Estimated memory in bytes: the arrays, the path strings and the lookup dict."""
        arrays = [self.ints, self.avg_fps, self.keyframes, self.orders, *self.deltas.values()]
        blob = getattr(self.paths, "blob", None)
        if blob is not None:  # a mapped PathList: its buffers (and the dict, once made)
            rows = 0 if self._rows is None else sys.getsizeof(self._rows)
            offsets = self.paths.offsets  # type: ignore[attr-defined]
            return sum(a.nbytes for a in arrays) + blob.nbytes + offsets.nbytes + rows
        # a str object (49 B + text) and a list slot (8 B) and a dict slot (~100 B) per path
        path_bytes = sum(sys.getsizeof(path) + 8 for path in self.paths)
        return sum(a.nbytes for a in arrays) + path_bytes + sys.getsizeof(self.rows)

    def check(self) -> None:
        """ValueError unless every row's offsets lie inside its buffers (a damaged cache)."""
        rows = len(self.paths)
        if self.ints.shape != (rows, len(COLUMNS)) or self.avg_fps.shape != (rows,):
            raise ValueError("cache arrays have inconsistent shapes")
        if (
            self.ints.dtype != np.int64
            or self.keyframes.dtype != np.int32
            or self.orders.dtype != np.int32
        ):
            raise ValueError("cache arrays have unexpected dtypes")
        column = {name: self.ints[:, index] for name, index in COLUMN.items()}
        if ((column["codec"] < 0) | (column["codec"] >= len(self.codecs))).any():
            raise ValueError("cache rows name unknown codecs")
        if ((column["pix_fmt"] < 0) | (column["pix_fmt"] >= len(self.pix_fmts))).any():
            raise ValueError("cache rows name unknown pixel formats")
        kf_end = column["kf_offset"] + column["kf_count"]
        if ((column["kf_offset"] < 0) | (kf_end > len(self.keyframes))).any():
            raise ValueError("cache keyframe offsets are out of range")
        order_end = column["order_offset"] + column["order_count"]
        if ((column["order_offset"] < 0) | (order_end > len(self.orders))).any():
            raise ValueError("cache output-order offsets are out of range")
        counts = column["order_count"]
        if ((counts != 0) & (counts != column["num_frames"])).any():
            raise ValueError("cache output orders do not cover their videos' frames")
        kinds = column["pts_kind"]
        if ((kinds < 0) | (kinds > max(DELTA_DTYPES))).any():
            raise ValueError("cache rows have unknown timestamp encodings")
        for kind, buffer in self.deltas.items():
            if buffer.dtype != DELTA_DTYPES[kind]:
                raise ValueError("cache timestamp deltas have unexpected dtypes")
            mine = kinds == kind
            end = column["pts_offset"][mine] + column["num_frames"][mine] - 1
            if (column["pts_offset"][mine] < 0).any() or (end > len(buffer)).any():
                raise ValueError("cache timestamp offsets are out of range")


def _encode_pts(pts: np.ndarray) -> tuple[int, int, np.ndarray | None]:
    """(kind, step, deltas): the smallest exact encoding of ascending timestamps."""
    if len(pts) < 2:
        return 0, 0, None
    deltas = np.diff(pts)
    step = int(deltas[0])
    if (deltas == step).all():
        return 0, step, None
    largest = int(deltas.max())
    for kind, dtype in DELTA_DTYPES.items():
        if largest <= np.iinfo(dtype).max:
            return kind, 0, deltas.astype(dtype)
    raise AssertionError("unreachable: uint64 holds any int64 difference of sorted values")


def _read_only(values: np.ndarray) -> np.ndarray:
    values.flags.writeable = False
    return values


def _merge_names(first: list[str], second: list[str], ints: np.ndarray, column: int) -> list[str]:
    """``first`` plus the names only ``second`` has; renumbers ``ints[:, column]`` (in place)
    from ``second``'s list to the merged one."""
    merged = list(first)
    merged.extend(name for name in dict.fromkeys(second) if name not in merged)
    remap = np.array([merged.index(name) for name in second] or [0], np.int64)
    ints[:, column] = remap[ints[:, column]]
    return merged


def _gather(
    buffer: np.ndarray, starts: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate ``buffer[start : start + length]`` segments; return it and the new starts."""
    new_starts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=new_starts[1:])
    total = int(lengths.sum())
    # position k of the output comes from starts[i] + (k - new_starts[i]) for its segment i
    shift = np.repeat(starts - new_starts, lengths)
    return buffer[np.arange(total, dtype=np.int64) + shift], new_starts
