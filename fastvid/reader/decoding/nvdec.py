"""Proving NVDEC works before routing files to it (GPU only).

Two checks, at start-up, before any clip is planned:

1. :func:`nvdec_works`: decode a tiny H.264 clip (256x256, generated in memory) through DALI's
   ``mixed`` decoder. A container without ``libnvcuvid``, a driver too old for DALI, or a GPU
   without NVDEC fails here, with DALI's reason, instead of failing every clip of the epoch.
2. Per (codec, pixel format) class that the capability table accepts, decode the first frame
   of one file of that class; a class NVDEC refuses on this GPU goes to PyAV.
"""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

from fastvid.reader.decoding.gop import GopCutter
from fastvid.reader.decoding.routing import NVDEC, Routing, canonical_codec, route_videos

__all__ = ["nvdec_routing", "nvdec_works"]

logger = logging.getLogger(__name__)


@functools.cache
def _tiny_h264() -> bytes:
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 256, 256, "yuv420p"
        rng = np.random.default_rng(0)
        for _ in range(4):
            image = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())
    return buffer.getvalue()


@functools.cache
def nvdec_works(device_id: int = 0) -> str | None:
    """``None`` if DALI's NVDEC decoder decodes a tiny H.264 clip on ``device_id``, else why not."""
    from fastvid.reader.dali import DaliRunError, decode_only

    try:
        frames = decode_only(
            np.frombuffer(_tiny_h264(), dtype=np.uint8),
            np.array([0, 3]),
            device="gpu",
            device_id=device_id,
        )
    except (DaliRunError, RuntimeError) as exc:
        return f"NVDEC could not decode a 256x256 H.264 test clip: {exc}"
    if frames.shape != (2, 256, 256, 3):
        return f"NVDEC returned frames of shape {frames.shape} for a 256x256 H.264 test clip"
    return None


_class_verdicts: dict[tuple[int, str, str], str | None] = {}  # (device, codec, pix_fmt)


def _proved(path: str, meta: Any, device_id: int) -> str | None:
    """The class verdict for ``path``'s (codec, pixel format), proved once per process."""
    key = (device_id, canonical_codec(meta.codec), getattr(meta, "pix_fmt", "") or "")
    if key not in _class_verdicts:
        _class_verdicts[key] = _probe_class(path, meta, device_id)
    return _class_verdicts[key]


def _probe_class(path: str, meta: Any, device_id: int) -> str | None:
    from fastvid.reader.dali import DaliRunError, decode_only

    cutter = GopCutter(max_open=1)
    try:
        cut = cutter.cut(path, np.array([0]), pts=meta.pts, keyframes=meta.keyframes)
        decode_only(
            np.frombuffer(cut.data, dtype=np.uint8), cut.frames, device="gpu", device_id=device_id
        )
    except (DaliRunError, RuntimeError, ValueError, OSError) as exc:
        return str(exc).splitlines()[0][:300]
    finally:
        cutter.close()
    return None


def nvdec_routing(videos: Mapping[str, Any], *, device_id: int) -> Routing:
    """Route each video to NVDEC where the table and a real decode say it works, else PyAV."""
    broken = nvdec_works(device_id)
    if broken is not None:
        logger.warning("fastvid: %s; every file is decoded on the CPU with PyAV", broken)
        return Routing(
            {path: "pyav" for path in videos}, {path: broken for path in videos}, "nvdec"
        )
    return route_videos(
        videos,
        preferred="nvdec",
        caps=NVDEC,
        probe=lambda path, _pix_fmt: _proved(path, videos[path], device_id),
    )
