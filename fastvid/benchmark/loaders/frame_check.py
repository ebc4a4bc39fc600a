"""Do the other loaders return the frames fastvid returns? Checked on each workload.

For a few planned clips of a workload (by default its first and its last), every loader that decodes
frames itself (PyTorchVideo, torchcodec, decord, SPDL) decodes them as RGB at full size, and
fastvid's own decoder (:class:`fastvid.reader.decoding.pyav_source.PyAVFrameReader`, what its CPU
workers run) does too. Each frame is compared with fastvid's: the mean absolute difference over its
pixels (0..255). A loader that returns another frame differs by tens on moving, textured content;
the same frame through another YUV-to-RGB conversion differs by about 1 at most. A difference above
:data:`SAME_FRAME_MAX_DIFF` fails the row (the row's ``frame_check``), whose ``offsets`` then say
which frames it returned instead: ``[1]`` the frame after the planned one, ``[-1, 1]`` sometimes the
one before and sometimes the one after, ``None`` none of the planned frame's :data:`NEIGHBOURS`
neighbours on either side.

A clip a loader cannot decode is recorded under its file (``errors``), so a report can say which
loader could not read which file; fastvid's own failures are under ``"fastvid"``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from fastvid.benchmark.loaders.frame_decoders import DecordClips, TorchcodecClips
from fastvid.benchmark.loaders.spdl_rows import SpdlClips
from fastvid.benchmark.loaders.workload import Workload

__all__ = ["NEIGHBOURS", "SAME_FRAME_MAX_DIFF", "check_frames", "pytorchvideo_frames"]

SAME_FRAME_MAX_DIFF = 3.0
#: How far from a planned frame the frame check looks for the frame a row returned instead.
NEIGHBOURS = 4


def pytorchvideo_frames(request: Any) -> np.ndarray:
    """``(T, H, W, 3)`` uint8 frames of a planned clip as PyTorchVideo returns them:
    ``EncodedVideo.get_clip`` (PyAV) of the clip's seconds, then ``UniformTemporalSubsample``'s
    positions."""
    import torch
    from pytorchvideo.data.encoded_video import EncodedVideo

    from fastvid.reader.planning.frames import temporal_subsample

    video = EncodedVideo.from_path(request.path, decode_audio=False, decoder="pyav")
    try:
        clip = video.get_clip(request.clip_start_sec, request.clip_end_sec)["video"]
    finally:
        video.close()
    if clip is None:
        raise RuntimeError(f"PyTorchVideo returned no frames for {request.path}")
    positions = temporal_subsample(np.arange(clip.shape[1]), len(request.frame_indices))
    picked = clip[:, torch.as_tensor(positions)]  # (C, T, H, W) float 0..255
    return picked.permute(1, 2, 3, 0).round().clamp(0, 255).to(torch.uint8).numpy()


def _decoders() -> dict[str, Callable[[Any], np.ndarray]]:
    """``(T, H, W, 3)`` uint8 frames of a planned clip, per row that decodes them itself."""
    return {
        "pytorchvideo": pytorchvideo_frames,
        "torchcodec": lambda r: TorchcodecClips(threads=1).frames(r).permute(0, 2, 3, 1).numpy(),
        "decord": lambda r: DecordClips(threads=1).frames(r).permute(0, 2, 3, 1).numpy(),
        "spdl": lambda r: SpdlClips().frames(r).numpy(),
    }


def _error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc).strip()[:200]}"


def check_frames(
    work: Workload, rows: Sequence[str], *, clips: Sequence[Any] | None = None
) -> dict[str, dict[str, Any]]:
    """Compare each loader's frames with fastvid's.

    Args:
        work: The workload.
        rows: Row names; the loaders among them that decode frames themselves are checked
            (``spdl_filtergraph`` counts as ``spdl``).
        clips: The planned clips to check. Default: ``None``, the first and the last.

    Returns:
        Per loader checked: ``same`` (every decoded clip within :data:`SAME_FRAME_MAX_DIFF`;
        ``None`` when none could be decoded), ``max_mean_abs_diff`` (the worst frame),
        ``clips`` (per clip decoded, its frames' differences), ``errors`` (path → why a clip of
        it could not be decoded; then ``error``, the first of them). ``"fastvid"``: only its
        ``errors``, when fastvid's decoder failed on a clip (that clip is not compared).
    """
    from fastvid.reader.decoding.pyav_source import PyAVFrameReader

    chosen = list(clips) if clips is not None else [work.plan[0], work.plan[-1]]
    reference: list[np.ndarray | None] = []
    fastvid_errors: dict[str, str] = {}
    with PyAVFrameReader() as reader:
        for request in chosen:
            meta = work.index.meta(request.path)
            try:
                reference.append(
                    reader.decode_frames(
                        request.path, request.frame_indices, pts=meta.pts, keyframes=meta.keyframes
                    )
                )
            except Exception as exc:
                fastvid_errors[request.path] = _error(exc)
                reference.append(None)
    out: dict[str, dict[str, Any]] = {}
    if fastvid_errors:
        out["fastvid"] = {"errors": fastvid_errors}
    for name, decode in _decoders().items():
        if name not in rows and not (name == "spdl" and "spdl_filtergraph" in rows):
            continue
        diffs: list[list[float]] = []
        decoded: list[tuple[Any, np.ndarray]] = []  # (clip, the row's frames) for the offsets
        errors: dict[str, str] = {}
        for request, ref in zip(chosen, reference, strict=True):
            if ref is None:
                continue
            try:
                decoded.append((request, decode(request)))
                diffs.append(_frame_diffs(decoded[-1][1], ref))
            except Exception as exc:  # the row itself reports why it cannot run
                errors.setdefault(request.path, _error(exc))
        check: dict[str, Any] = {"same": None}
        if diffs:
            worst = max(max(d) for d in diffs)
            check = {
                "same": worst <= SAME_FRAME_MAX_DIFF,
                "max_mean_abs_diff": round(worst, 3),
                "clips": [[round(v, 3) for v in d] for d in diffs],
            }
            if worst > SAME_FRAME_MAX_DIFF:
                check["offsets"] = _offsets(work, decoded)
        if errors:
            check.update(errors=errors, error=next(iter(errors.values())))
        out[name] = check
    return out


def _offsets(work: Workload, decoded: Sequence[tuple[Any, np.ndarray]]) -> list[Any]:
    """Which frame a row returned instead of each planned one that differs: the offset of the
    nearest of fastvid's frames within :data:`NEIGHBOURS` of it (``None``: none is the same).
    ``decoded``: the clips the row decoded, with the frames it returned."""
    from fastvid.reader.decoding.pyav_source import PyAVFrameReader

    found: set[Any] = set()
    with PyAVFrameReader() as reader:
        for request, frames in decoded:
            meta = work.index.meta(request.path)
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
