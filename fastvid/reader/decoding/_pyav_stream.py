"""One open video and its decoder, which stays where the last request left it.

The decoding engine behind :class:`fastvid.reader.decoding.pyav_source.PyAVFrameReader`: seek to the
keyframe before a run of wanted frames, decode forward, skip the unwanted non-reference frames
where that is exact, match frames to the index by presentation timestamp.

A frame FFmpeg flags corrupt (it concealed a decoding error) is damaged, and so is every frame
decoded after it, or after a packet the decoder rejected, up to the next clean keyframe: they
may be predicted from the concealed pixels, which FFmpeg does not flag, and which depend on
where decoding started (after a seek there is no earlier frame to conceal from), so they would
differ from a sequential decode's.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from fractions import Fraction
from typing import Any, Literal

import av
import numpy as np

from fastvid.data.index import invents_timestamps
from fastvid.data.storage import Storage, is_remote
from fastvid.errors import VideoError, VideoErrorKind, exception_kind
from fastvid.reader.decoding._container import OpenContainer

__all__ = [
    "FrameDecodeError",
    "OpenVideo",
    "damaged_reason",
    "missing_kind",
    "missing_reason",
    "stat_key",
]

# Seek instead of decoding through when the seek skips more than this many frames. A seek costs a
# few frames' worth of work (demuxer seek, decoder flush, refilling the frame-thread pipeline). On
# 720p H.264 with a keyframe every 12 frames, 4-8 beat both "always seek" (0) and "never seek";
# between 4 and 8 the difference was within noise on a shared 2-core machine.
_SEEK_GAP_FRAMES = 4

# Codecs whose "non-reference" frames are never used to predict any other frame, so skipping the
# unrequested ones (AVDISCARD_NONREF) leaves every other frame bit-exact. HEVC is not here: its
# NONREF skips sub-layer non-reference pictures, which higher temporal layers may still use.
_SKIP_NONREF_CODECS = frozenset({"h264", "mpeg4", "mpeg2video", "mpeg1video"})

# A remote object's stat from the task's start (``changed_since_indexed``) is reused this long
# when the reader opens or reuses the object: one request per task, not two.
_STAT_REUSE = 2.0

# The end of the packet stream (what :meth:`OpenVideo._read` returns after the last packet).
_END: Any = object()

# FFmpeg threading: "AUTO" lets the codec pick frame and/or slice threading.
_THREAD_TYPE = "AUTO"

# How far (in frames) a frame may come out of the decoder after frames with later timestamps,
# in files whose timestamps FFmpeg invents (AVI with B-frames): H.264 reorders at most 16.
_REORDER_LOOKAHEAD = 16


class FrameDecodeError(VideoError):
    """A video file could not be decoded into the requested frames.

    Attributes:
        path: The file.
        reason: What went wrong.
        kind: The kind of problem (:data:`fastvid.errors.VideoErrorKind`). Default:
            ``"decode_error"``.
    """

    def __init__(
        self, path: str | os.PathLike[str], reason: str, kind: str = "decode_error"
    ) -> None:
        super().__init__(path, reason, kind)

    def message(self) -> str:
        return (
            f"cannot decode {self.path!r}: {self.reason}. Check that the file plays to the end "
            f"(e.g. `ffprobe {self.path}`); re-encode or remove it, and rebuild the video index "
            f"if the file changed since it was indexed."
        )


class OpenVideo:
    """One open file and its decoder, which stays where the last request left it.

    ``position`` is the index of the last frame the decoder output since the last seek (frames
    come out in presentation order), so any later frame can be reached by decoding on, unless its
    packet was already sent to the decoder with non-reference skipping on (``_skipped``).

    In an AVI file with B-frames, timestamps come out of order (..., 97, 96, 98, 100, 99, ...;
    see :mod:`fastvid.data.index._order`): a frame up to ``_lookahead`` positions before
    ``position`` may still come, unless it already did (``_seen``).
    """

    def __init__(self, path: str, threads: int, storage: Storage | None = None) -> None:
        self.path = path
        self.stat = stat_key(path, storage)
        try:
            self._opened = OpenContainer(path, storage)
        except av.FFmpegError as error:
            # the OS's errors (missing, permission) keep their kind; FFmpeg's mean "no container"
            kind = exception_kind(error) if isinstance(error, OSError) else "not_a_video"
            raise FrameDecodeError(path, f"FFmpeg cannot open it ({error})", kind) from error
        self.container = self._opened.container
        if not self.container.streams.video:
            self._opened.close()
            raise FrameDecodeError(path, "it has no video stream", "no_video_stream")
        self.stream = self.container.streams.video[0]
        self.stream.thread_type = _THREAD_TYPE
        self.stream.codec_context.thread_count = threads
        codec = self.stream.codec_context.codec
        # Intra-only codecs (MJPEG, ...): an unwanted packet is not decoded at all.
        self.intra_only = bool(codec.intra_only)
        self.skip_nonref = codec.name in _SKIP_NONREF_CODECS
        reorders = invents_timestamps(self.container, self.stream)
        # MPEG-4 Part 2 in AVI may pack a B-frame into the chunk of the frame before it (Xvid's
        # packed bitstream, UCF101's files); the decoder outputs it, with the next packet's
        # timestamp, when that packet arrives, and a NONREF skip of the chunk drops it. So a
        # chunk is skipped only when the packet after it is unwanted too.
        self._packed = reorders and codec.name == "mpeg4"
        self._lookahead = _REORDER_LOOKAHEAD if reorders else 0
        self._seen: set[int] = set()  # indices output since the last seek
        self._pts = np.zeros(0, dtype=np.int64)
        self._pts_to_index: dict[int, int] = {}
        self._frames: Generator[av.VideoFrame, None, None] | None = None
        self._floor = 0  # frames before the keyframe we sought to are not trustworthy
        self.position = -1
        self._skipped: set[int] = set()
        self._wanted: set[int] = set()
        self._skip_below = 0
        self._skip_enabled = False
        self.eof = False
        self.tainted = False  # a damaged frame or packet since the last clean keyframe
        self.last_error: str | None = None
        self.decoded = 0  # frames the decoder has output since the file was opened

    # -- bookkeeping

    def use_index(self, pts: np.ndarray, time_base: Fraction | None) -> None:
        """Adopt ``pts`` as the frame index; a different index resets the decoder state."""
        if time_base is not None and self.stream.time_base != time_base:
            raise ValueError(
                f"time_base ({time_base}) does not match the video stream's time base "
                f"({self.stream.time_base}) of {self.path!r}; pts must be in the stream's "
                f"time base"
            )
        if np.array_equal(self._pts, pts):
            return
        self._pts = pts.copy()
        self._pts_to_index = {p: i for i, p in enumerate(pts.tolist())}
        self._drop_decoder()

    def _drop_decoder(self) -> None:
        if self._frames is not None:
            self._frames.close()
        self._frames = None
        self.position = -1

    def close(self) -> None:
        self._drop_decoder()
        self._opened.close()

    # -- decoding

    def _decoded_frames(self) -> Generator[av.VideoFrame, None, None]:
        """Decode forward from the demuxer's position, skipping unwanted frames where exact."""
        codec_context = self.stream.codec_context
        packets = self.container.demux(self.stream)
        queued: list[av.Packet | None] = []  # read ahead: the packet after the current one
        while True:
            packet = queued.pop() if queued else self._read(packets)
            if packet is _END:
                break
            unwanted = self._unwanted_pts(packet) if self._skip_enabled else None
            if unwanted is not None and self._packed:
                queued.append(self._read(packets))
                following = queued[0]
                if isinstance(following, av.Packet) and following.pts in self._wanted:
                    unwanted = None  # its frame may be packed into this packet
                elif isinstance(following, av.Packet) and following.pts is not None:
                    self._skipped.add(int(following.pts))  # a frame packed here is lost too
            if unwanted is not None:
                self._skipped.add(unwanted)
                if self.intra_only:
                    continue
            if self.skip_nonref:
                mode: Literal["DEFAULT", "NONREF"] = "DEFAULT" if unwanted is None else "NONREF"
                if codec_context.skip_frame != mode:
                    codec_context.skip_frame = mode
            try:
                frames = self.stream.decode(packet)
            except av.FFmpegError as error:  # a damaged packet: keep going, as ffmpeg does
                self.last_error = f"the decoder rejected a packet ({error})"
                self.tainted = True  # later frames may be predicted from the lost one
                continue
            self.decoded += len(frames)
            yield from frames
            if packet is None:
                break
        self.eof = True

    def _read(self, packets: Iterator[av.Packet]) -> av.Packet | None:
        """The next packet; ``None`` after a read error (drain what was decoded), :data:`_END`
        at the end of the stream."""
        try:
            return next(packets)
        except StopIteration:
            return _END
        except av.FFmpegError as error:  # read error mid-file: drain what was decoded
            self.last_error = f"reading packets failed ({error})"
            return None

    def _unwanted_pts(self, packet: av.Packet | None) -> int | None:
        """The pts of ``packet`` if its frame may be skipped, else None.

        Only frames before the last wanted one are skipped: the decoder reads a few packets past
        the last wanted frame (reordering, frame threads), and decoding those fully lets the next
        request continue from here instead of seeking back.
        """
        if packet is None or packet.pts is None or (packet.is_keyframe and not self.intra_only):
            return None
        if packet.pts >= self._skip_below or packet.pts in self._wanted:
            return None
        return int(packet.pts)

    def _index_of(self, frame: av.VideoFrame) -> int | None:
        pts = frame.pts if frame.pts is not None else frame.dts
        index = self._pts_to_index.get(pts) if pts is not None else None
        if index is None or index < self._floor:
            return None
        return index

    def _seek(self, target: int, keyframes: np.ndarray) -> Generator[av.VideoFrame, None, None]:
        """Seek to the last keyframe at or before frame ``target`` (the first frame if none)."""
        k = int(np.searchsorted(keyframes, target, side="right")) - 1
        start = int(keyframes[k]) if k >= 0 else 0
        self._drop_decoder()
        try:
            self.container.seek(
                int(self._pts[start]), stream=self.stream, backward=True, any_frame=False
            )
        except av.FFmpegError as error:
            self.last_error = f"seeking failed ({error})"
            self.container.seek(0, backward=True)  # back to the start, then decode forward
            start = 0
        self._floor = start
        self._skipped = set()
        self._seen = set()
        self.eof = False
        self.tainted = False
        self._frames = self._decoded_frames()
        return self._frames

    def _must_seek(self, target: int, keyframes: np.ndarray) -> bool:
        if self._frames is None or target <= self.position - self._lookahead:
            return True
        if target < self._floor:  # before the keyframe of the last seek: never comes out
            return True
        if target in self._seen or (target <= self.position and not self._lookahead):
            return True
        if int(self._pts[target]) in self._skipped:
            return True
        k = int(np.searchsorted(keyframes, target, side="right")) - 1
        keyframe = int(keyframes[k]) if k >= 0 else 0
        return keyframe - self.position > _SEEK_GAP_FRAMES

    def decode(
        self,
        needed: np.ndarray,
        keyframes: np.ndarray,
        deliver: Any,
        *,
        safe: bool = False,
    ) -> list[int]:
        """Decode the sorted unique frame ``needed``, handing each to
        ``deliver(index, frame, damaged)``.

        ``damaged``: FFmpeg flagged the frame corrupt, or it was decoded after a corrupt frame
        or a rejected packet and before the next clean keyframe (see the module docstring).
        With ``safe``, decode sequentially from the first frame with no frame skipping (the
        fallback when the fast path missed a frame). Returns the indices never produced.
        """
        targets = needed.tolist()
        wanted = set(targets)
        self._wanted = {int(self._pts[i]) for i in targets}
        self._skip_below = max(self._wanted)
        self._skip_enabled = (self.skip_nonref or self.intra_only) and not safe
        if safe:
            keyframes = np.zeros(0, dtype=np.int64)  # seek to the start, never seek again
            self._drop_decoder()
        done: set[int] = set()
        sought: set[int] = set()  # targets a seek was made for
        i = 0
        while i < len(targets):
            target = targets[i]
            frames = self._frames
            if frames is None or (not safe and self._must_seek(target, keyframes)):
                if target in sought:  # the seek did not bring it: missing
                    i += 1
                    continue
                sought.add(target)
                frames = self._seek(target, keyframes)
            reached = False
            for frame in frames:
                if frame.is_corrupt:
                    self.tainted = True
                elif frame.key_frame:
                    self.tainted = False
                index = self._index_of(frame)
                if index is None:
                    continue
                self.position = index
                self._seen.add(index)
                if index in wanted and index not in done:
                    deliver(index, frame, self.tainted)
                    done.add(index)
                if index >= target and (target in done or index - target >= self._lookahead):
                    reached = True
                    break
            if not reached:  # end of stream
                self._drop_decoder()
                break
            while i < len(targets) and (
                targets[i] in self._seen or targets[i] <= self.position - self._lookahead
            ):
                i += 1
        return [t for t in targets if t not in done]


def stat_key(path: str, storage: Storage | None = None) -> tuple[int, int]:
    """``(size, mtime_ns)`` of a local file; ``(size, version key)`` of a remote object (what
    the index stores as ``VideoMeta.size``, ``VideoMeta.mtime_ns``)."""
    if not is_remote(path):
        stat = os.stat(path)
        return stat.st_size, stat.st_mtime_ns
    info = (storage or Storage()).stat(path, max_age=_STAT_REUSE)
    return info.size, info.version_key


def damaged_reason(damaged: list[int]) -> str:
    """Why frames FFmpeg decoded with concealed errors are refused (``frame.is_corrupt``)."""
    return (
        f"frames {damaged} are damaged (FFmpeg flagged them, or a frame decoded before them, "
        "corrupt and concealed the errors); re-encode or replace the file"
    )


def missing_kind(video: OpenVideo) -> VideoErrorKind:
    """``"truncated"`` when the stream ended before the missing frames, else ``"decode_error"``."""
    return "truncated" if video.eof else "decode_error"


def missing_reason(video: OpenVideo, missing: list[int], num_frames: int) -> str:
    shown = ", ".join(str(i) for i in missing[:10]) + (", ..." if len(missing) > 10 else "")
    reason = f"frames [{shown}] of {num_frames} were never decoded"
    if video.eof:
        reason += " (the stream ended before them: the file may be truncated)"
    if video.last_error:
        reason += f"; last error: {video.last_error}"
    return reason
