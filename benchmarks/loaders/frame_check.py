"""Do the frame-decoding rows return the frames fastvid returns? Checked on each workload.

For the first and the last planned clip of a workload, every row that decodes the planned
frames itself (torchcodec, decord, SPDL) decodes them as RGB at full size, and fastvid's own
decoder (:class:`fastvid.reader.pyav_source.PyAVFrameReader`, what its CPU workers run) does
too. Each frame is compared with fastvid's: the mean absolute difference over its pixels
(0..255). A row that returns another frame differs by tens on this moving, textured content; the
same frame through another YUV-to-RGB conversion differs by about 1 at most. A difference above
:data:`SAME_FRAME_MAX_DIFF` fails the row in ``results.json`` (the row's ``frame_check``), whose
``offsets`` then say which frames it returned instead: ``[1]`` the frame after the planned one,
``[-1, 1]`` sometimes the one before and sometimes the one after, ``None`` none of the
planned frame's :data:`NEIGHBOURS` neighbours on either side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.loaders.frame_decoders import DecordClips, TorchcodecClips
from benchmarks.loaders.spdl_rows import SpdlClips
from benchmarks.loaders.workload import Workload

__all__ = ["NEIGHBOURS", "SAME_FRAME_MAX_DIFF", "check_frames"]

SAME_FRAME_MAX_DIFF = 3.0
#: How far from a planned frame the frame check looks for the frame a row returned instead.
NEIGHBOURS = 4


def _decoders() -> dict[str, Callable[[Any], np.ndarray]]:
    """``(T, H, W, 3)`` uint8 frames of a planned clip, per row that decodes them itself."""
    return {
        "torchcodec": lambda r: TorchcodecClips(threads=1).frames(r).permute(0, 2, 3, 1).numpy(),
        "decord": lambda r: DecordClips(threads=1).frames(r).permute(0, 2, 3, 1).numpy(),
        "spdl": lambda r: SpdlClips().frames(r).numpy(),
    }


def check_frames(work: Workload, rows: list[str]) -> dict[str, dict[str, Any]]:
    """Per row in ``rows`` that decodes frames itself: the largest per-frame mean absolute
    difference from fastvid's frames over the first and last planned clip, and ``same``."""
    from fastvid.reader.pyav_source import PyAVFrameReader

    clips = [work.plan[0], work.plan[-1]]
    reference = []
    with PyAVFrameReader() as reader:
        for request in clips:
            meta = work.index.meta(request.path)
            reference.append(
                reader.decode_frames(
                    request.path, request.frame_indices, pts=meta.pts, keyframes=meta.keyframes
                )
            )
    out: dict[str, dict[str, Any]] = {}
    for name, decode in _decoders().items():
        if name not in rows and not (name == "spdl" and "spdl_filtergraph" in rows):
            continue
        try:
            diffs = [
                _frame_diffs(decode(request), ref)
                for request, ref in zip(clips, reference, strict=True)
            ]
        except Exception as exc:  # the row itself reports why it cannot run
            out[name] = {"same": None, "error": f"{type(exc).__name__}: {str(exc)[:200]}"}
            continue
        worst = max(max(d) for d in diffs)
        out[name] = {
            "same": worst <= SAME_FRAME_MAX_DIFF,
            "max_mean_abs_diff": round(worst, 3),
            "clips": [[round(v, 3) for v in d] for d in diffs],
        }
        if worst > SAME_FRAME_MAX_DIFF:
            out[name]["offsets"] = _offsets(work, clips, decode)
    return out


def _offsets(work: Workload, clips: list[Any], decode: Callable[[Any], np.ndarray]) -> list[Any]:
    """Which frame a row returned instead of each planned one that differs: the offset of the
    nearest of fastvid's frames within :data:`NEIGHBOURS` of it (``None``: none is the same)."""
    from fastvid.reader.pyav_source import PyAVFrameReader

    found: set[Any] = set()
    with PyAVFrameReader() as reader:
        for request in clips:
            meta = work.index.meta(request.path)
            frames = decode(request)
            for got, planned in zip(frames, request.frame_indices.tolist(), strict=True):
                near = np.arange(
                    max(0, planned - NEIGHBOURS), min(len(meta.pts), planned + NEIGHBOURS + 1)
                )
                around = reader.decode_frames(
                    request.path, near, pts=meta.pts, keyframes=meta.keyframes
                )
                diffs = _frame_diffs(np.repeat(got[None], len(near), axis=0), around)
                best = int(np.argmin(diffs))
                found.add(int(near[best]) - planned if diffs[best] <= SAME_FRAME_MAX_DIFF else None)
    found.discard(0)
    return sorted(found, key=lambda v: (v is None, v or 0))


def _frame_diffs(frames: np.ndarray, reference: np.ndarray) -> list[float]:
    if frames.shape != reference.shape:
        return [float("inf")]
    diff = np.abs(frames.astype(np.int16) - reference.astype(np.int16))
    return [float(v) for v in diff.reshape(len(frames), -1).mean(axis=1)]
