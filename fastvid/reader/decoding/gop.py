"""GOP-range cuts: the packets a clip needs, stream-copied into a small in-memory container.

DALI's ``fn.decoders.video`` builds no frame index: every sample is decoded from its first
packet up to the highest requested frame, and every skipped frame is colour-converted on the
GPU. Handing it the whole file makes a clip late in a long-GOP video decode the whole prefix.
So fastvid hands it a *cut*: for every needed frame, the packets from the keyframe at or before
it up to it, stream-copied (no re-encode) with PyAV into an in-memory Matroska file, and the
frame positions rebased to the cut.

The cut is exact by construction:

* packets are taken in decode order from each needed keyframe while their ``dts`` is at or
  before the last needed frame of that GOP (a frame can only reference frames decoded before
  it, and ``dts <= pts``), so every reference of every needed frame is in the cut;
* leading pictures of an open GOP (decoded after the keyframe but shown before it: HEVC RASL,
  open-GOP H.264 B-frames) reference the previous GOP and may not be output by a decoder that
  starts at the keyframe, so they are left out and the frame count stays exact;
* codecs that never reorder frames (VP8, VP9, AV1, MJPEG) show frames in decode order, so a
  packet whose pts is not above the one before it has damaged timestamps: left out, it could be
  the reference of the frames after it, so the cut is refused (:class:`GopCutError`) instead;
* a needed frame's position in the cut is the number of cut packets shown before it, counting
  every packet (MP4 edit-list "discard" packets lose their discard flag in the cut, so every
  decoder outputs them and counts them); in AVI files with B-frames, whose frames come out of
  the decoder with timestamps out of order, "before" follows the index's output order
  (``VideoMeta.output_order``), the order the frame plan was made in, and the index keeps
  only the keyframes that split that order cleanly (an open GOP's keyframe chunk can pack a
  B-frame shown before the keyframe);
* timestamps are shifted so the cut starts at 0 (DALI keeps GPU timestamps in an ``int``).

DALI's decoder runs with ``pad_mode="none"``, so a cut that holds fewer frames than planned
raises instead of padding with black frames.
"""

from __future__ import annotations

import io
import os
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import av
import numpy as np

from fastvid.data.storage import FileStat, Storage, is_remote
from fastvid.errors import VideoError
from fastvid.reader.decoding._container import OpenContainer

__all__ = ["GopCut", "GopCutError", "GopCutter", "gop_spans"]

_CONTAINER = "matroska"  # carries every codec DALI decodes; DALI applies the Annex-B filter


class GopCutError(VideoError, ValueError):
    """The file does not hold the packets its index promises (it changed since it was indexed).

    A :class:`~fastvid.errors.VideoError` (``path``, ``reason``, ``kind``, default
    ``"changed"``) and, as before, a ``ValueError``.
    """

    def __init__(self, path: str, reason: str, kind: str = "changed") -> None:
        super().__init__(path, reason, kind)

    def message(self) -> str:
        return (
            f"cannot cut the GOP range of {self.path}: {self.reason}. Build the index again "
            "(a new ClipLoader re-probes changed files)"
        )


@dataclass(frozen=True)
class GopCut:
    """A cut of one video for a set of frames.

    Attributes:
        data: The in-memory container (Matroska).
        frames: Position of each needed frame in the cut (int32, same order as asked).
        packets: Packets in the cut: what a decoder decodes at most.
    """

    data: bytes
    frames: np.ndarray
    packets: int


def gop_spans(needed: np.ndarray, keyframes: np.ndarray) -> list[tuple[int | None, int]]:
    """Group sorted frame positions by the keyframe they decode from.

    Args:
        needed: Sorted unique frame positions (presentation order).
        keyframes: Sorted keyframe positions.

    Returns:
        ``(keyframe position, last needed position)`` per GOP in order; the keyframe is
        ``None`` for frames before the first keyframe (decode from the start of the stream).
    """
    spans: dict[int | None, int] = {}
    k = np.searchsorted(keyframes, needed, side="right") - 1
    for frame, slot in zip(needed.tolist(), k.tolist(), strict=True):
        key = int(keyframes[slot]) if slot >= 0 else None
        spans[key] = frame
    return list(spans.items())


class GopCutter:
    """Cuts GOP ranges out of video files, keeping a few files open between calls.

    Args:
        max_open: Files kept open (least recently used closed first). Default: 4.
        storage: How URLs are read (fsspec options, block cache). Default: ``None``.
    """

    def __init__(self, *, max_open: int = 4, storage: Storage | None = None) -> None:
        self.max_open = max_open
        self.storage = storage
        self._open: OrderedDict[str, Any] = OrderedDict()

    def cut(
        self,
        path: str,
        needed: np.ndarray,
        *,
        pts: np.ndarray,
        keyframes: np.ndarray,
        order: np.ndarray | None = None,
    ) -> GopCut:
        """Cut the packets that frames ``needed`` (sorted unique positions in ``pts``) need.

        ``order``: each position's place in the decoder's output order when that is not ``pts``
        order (AVI with B-frames: :func:`fastvid.reader.planning.frames.output_ranks`); a frame's
        number in the cut is then its place in that order among the cut's frames. Default: ``None``
        (``pts`` order).

        Raises:
            av.FFmpegError: If the file cannot be read.
            GopCutError: If a needed frame's packet is not found where the index says it is
                (the file changed, or the index is of another file).
        """
        if not len(needed):
            raise ValueError("no frames to cut: `needed` is empty")
        container = self._container(path)
        stream = container.streams.video[0]
        in_order = not stream.codec_context.codec.reorder  # frames shown in decode order
        needed_pts = pts[needed]
        chosen: dict[int, Any] = {}  # pts -> packet, for every packet of the cut
        for key, last in gop_spans(needed, keyframes):
            last_pts = int(pts[last])
            first_pts = None if key is None else int(pts[key])
            seek_to = int(pts[0]) if first_pts is None else first_pts
            container.seek(seek_to, stream=stream, backward=True, any_frame=False)
            started = first_pts is None
            previous: int | None = None
            for packet in container.demux(stream):
                if packet.size == 0 or (packet.pts is None and packet.dts is None):
                    continue  # the flush packet
                packet_pts = packet.pts if packet.pts is not None else packet.dts
                decode_ts = packet.dts if packet.dts is not None else packet_pts
                if not started:
                    # the demuxer may land on an earlier keyframe than the index's
                    if not (packet.is_keyframe and packet_pts >= first_pts):
                        continue
                    started = True
                if decode_ts > last_pts:
                    break
                if in_order and previous is not None and packet_pts <= previous:
                    raise GopCutError(
                        path,
                        f"a {stream.codec_context.name} packet with pts {packet_pts} follows one "
                        f"with pts {previous}, but this codec shows frames in decode order: its "
                        "timestamps are damaged",
                        "timestamps",
                    )
                previous = packet_pts
                if first_pts is not None and packet_pts < first_pts:
                    continue  # a leading picture of an open GOP
                chosen.setdefault(int(packet_pts), packet)
        return self._mux(path, stream, chosen, needed_pts, _shown_order(chosen, pts, order))

    def _mux(
        self,
        path: str,
        stream: Any,
        chosen: dict[int, Any],
        needed_pts: np.ndarray,
        shown: np.ndarray,
    ) -> GopCut:
        number = {stamp: i for i, stamp in enumerate(shown.tolist())}
        positions = np.array([number.get(stamp, -1) for stamp in needed_pts.tolist()], np.int64)
        missing = needed_pts[positions < 0]
        if missing.size:
            raise GopCutError(
                path,
                f"frames with pts {missing[:5].tolist()} are not where the index puts them: "
                "its timestamps are damaged, or it was rewritten since it was indexed",
            )
        packets = sorted(chosen.values(), key=_decode_order)
        base = min(_decode_order(p) for p in packets)
        buffer = io.BytesIO()
        with av.open(buffer, "w", format=_CONTAINER) as out:
            out_stream = out.add_stream_from_template(stream)
            for packet in packets:
                if packet.pts is not None:
                    packet.pts -= base
                if packet.dts is not None:
                    packet.dts -= base
                packet.stream = out_stream
                out.mux(packet)
        return GopCut(buffer.getvalue(), positions.astype(np.int32), len(packets))

    def _container(self, path: str) -> Any:
        known: FileStat | None = None
        if is_remote(path):
            # the task's stat (changed_since_indexed) from moments ago: one request per task
            known = (self.storage or Storage()).stat(path, max_age=2.0)
            key = (known.size, known.version_key)
        else:
            stat = os.stat(path)
            key = (stat.st_size, stat.st_mtime_ns)
        entry = self._open.get(path)
        if entry is not None and entry[1] != key:
            self.forget(path)
            entry = None
        if entry is None:
            entry = (OpenContainer(path, self.storage, known=known), key)
            self._open[path] = entry
            while len(self._open) > self.max_open:
                _, oldest = self._open.popitem(last=False)
                _close(oldest)
        self._open.move_to_end(path)
        return entry[0].container

    def forget(self, path: str) -> None:
        """Close ``path`` if it is open (after an error, say)."""
        entry = self._open.pop(path, None)
        if entry is not None:
            _close(entry)

    def close(self) -> None:
        """Close every open file."""
        while self._open:
            _, entry = self._open.popitem(last=False)
            _close(entry)

    def __enter__(self) -> GopCutter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _close(entry: tuple[OpenContainer, Any]) -> None:
    entry[0].close()


def _shown_order(chosen: dict[int, Any], pts: np.ndarray, order: np.ndarray | None) -> np.ndarray:
    """The cut's frame timestamps in the order a decoder outputs them: ``pts`` order, or the
    file's output ``order`` (frames outside the window it covers last, in ``pts`` order)."""
    stamps = np.array(sorted(chosen), dtype=np.int64)
    if order is None or not len(pts):
        return stamps
    at = np.minimum(np.searchsorted(pts, stamps), len(pts) - 1)
    known = pts[at] == stamps
    keys = np.where(known, order[at], int(order.max()) + 1).astype(np.int64)
    return stamps[np.argsort(keys, kind="stable")]


def _decode_order(packet: Any) -> int:
    return int(packet.dts if packet.dts is not None else packet.pts)
