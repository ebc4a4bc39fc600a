"""The order FFmpeg's decoder outputs frames in, for files whose timestamps it invents (AVI).

An AVI file stores no presentation timestamps. With B-frames FFmpeg's AVI demuxer derives a
packet's pts from its position, and the decoder gives each frame the pts of the packet it was
decoded *from*: H.264 frames carry their decode-order timestamps, and Xvid's packed B-frames
(UCF101, HMDB51) carry the timestamp of the packet that released them. Frames come out in
display order with timestamps out of order (..., 97, 96, 98, 100, 99, 101, ...).
PyTorchVideo keys frames by these timestamps and stops collecting a clip at the first frame
*output* at or past the clip's end, so the plan needs that output order
(:func:`fastvid.reader.planning.frames.clip_frame_indices`).

No demux-only rule gives it exactly (it depends on the decoder's reorder delay and on how it
unpacks packed B-frames), so such files are decoded once when they are indexed (loop filter
and IDCT skipped: timestamps do not depend on pixels; ~12-16 ms of CPU for a 7 s 320x240
UCF101 clip) and the result is cached with the index. Other files, and AVI files
whose codec never reorders frames (MJPEG, ...) or whose stream has no B-frames, are not
decoded.
"""

from __future__ import annotations

from typing import Any

import av
import numpy as np

__all__ = ["decoder_order", "invents_timestamps"]

# Containers whose demuxer derives video timestamps from packet positions (no stored pts).
_POSITIONAL_CONTAINERS = frozenset({"avi"})

# Decoding options that save work without changing which frames come out, or their timestamps.
_CHEAP_DECODE = {"skip_loop_filter": "all", "skip_idct": "all"}


def invents_timestamps(container: Any, stream: Any) -> bool:
    """Whether the decoder may output ``stream``'s frames with timestamps out of order: a
    container without stored pts, a codec that reorders frames, and a stream that may use
    that (FFmpeg's ``has_b_frames``: MPEG-4's VOL ``low_delay`` flag, H.264's reorder depth;
    0 for streams without B-frames)."""
    names = set(container.format.name.split(","))
    context = stream.codec_context
    if context is None or not names & _POSITIONAL_CONTAINERS:
        return False
    return bool(context.codec.reorder) and int(context.has_b_frames) > 0


def decoder_order(
    container: Any, stream: Any, pts: np.ndarray, keyframes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode ``stream`` once and return ``(pts, keyframes, output_order)``.

    ``pts`` becomes the timestamps of the frames the decoder actually outputs, sorted (a Xvid
    "N-VOP" placeholder packet, say, yields no frame of its own), ``keyframes`` the positions
    in it of the demuxer's keyframes that are exact seek points (:func:`_clean_cuts`), and
    ``output_order`` the positions in decoder output order; empty when that is ``pts``
    order. Frames the decoder never reached (a decoding error) keep the demuxer's timestamps
    and follow in ``pts`` order.

    Args:
        container: The open container (any position: it is rewound).
        stream: Its first video stream.
        pts: The demuxer's sorted packet timestamps.
        keyframes: Positions in ``pts`` of the demuxer's keyframes.
    """
    output: list[int] = []
    try:
        container.seek(0)
        stream.codec_context.thread_count = 1
        stream.codec_context.options = dict(_CHEAP_DECODE)
        for frame in container.decode(stream):
            stamp = frame.pts if frame.pts is not None else frame.dts
            if stamp is not None:
                output.append(int(stamp))
    except av.FFmpegError:
        pass  # keep what was decoded; the rest follows in pts order
    emitted = np.asarray(output, dtype=np.int64)
    if emitted.size and np.unique(emitted).size == emitted.size:
        rest = np.setdiff1d(pts, emitted) if emitted.size < pts.size else pts[:0]
        emitted = np.concatenate([emitted, rest[rest > emitted.max()]])
    else:  # nothing decoded, or repeated timestamps: keep the demuxer's view
        emitted = pts
    new_pts = np.sort(emitted)
    order = np.searchsorted(new_pts, emitted).astype(np.int32)
    if np.array_equal(order, np.arange(order.size)):
        order = order[:0]
    kept = np.isin(pts[keyframes], new_pts)
    new_keyframes = np.searchsorted(new_pts, pts[keyframes][kept]).astype(np.int32)
    if order.size:
        new_keyframes = new_keyframes[_clean_cuts(order, new_keyframes)]
    for array in (new_pts, new_keyframes, order):
        array.flags.writeable = False
    return new_pts, new_keyframes, order


def _clean_cuts(order: np.ndarray, keyframes: np.ndarray) -> np.ndarray:
    """Which keyframes split the output order cleanly: every frame before the keyframe (in
    ``pts`` order) is output before it and every later one after it.

    A keyframe of an open GOP fails this: a B-frame packed into its chunk (Xvid) is shown
    before it yet carries a later timestamp, and it predicts from the previous GOP. Decoding
    from such a keyframe (a seek, a GOP cut) cannot reproduce a sequential decode, so it is
    not kept as a seek point; the first frame always is one.
    """
    prefix_max = np.maximum.accumulate(order)
    keep = []
    for k in keyframes.tolist():
        keep.append(k == 0 or (order[k] == k and prefix_max[k - 1] == k - 1))
    return np.asarray(keep, dtype=bool)
