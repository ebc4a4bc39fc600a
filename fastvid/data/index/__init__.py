"""Probe every video once and keep what clip sampling needs: the metadata index.

:func:`probe_video` reads one file's container with PyAV, demuxing packets without decoding a
single frame, and returns a :class:`VideoMeta`: every frame's presentation timestamp, the
keyframes, size, rotation, pixel format and PyTorchVideo's duration. :class:`VideoIndex` probes
a whole dataset in parallel, caches the result on disk keyed by (path, size, mtime) so a second
run is near-instant, and stores timestamps compactly (about 0.1-1 KB per 300-frame video).

One job per module:

================  ===========================================================================
``_meta``         :class:`VideoMeta`, :class:`VideoProbeError`
``_probe``        one file → :class:`VideoMeta` (PyAV demux only)
``_order``        decoder output order of AVI files with B-frames (decoded once, cached)
``_mp4``          MP4/MOV display rotation from the ISO-BMFF ``tkhd`` box
``_table``        compact columnar storage of many metas
``_cache``        the on-disk cache format and its update rules
``_fingerprint``  the optional head-and-tail content hash (``fingerprint=True``)
``_pool``         probing many files, in a process pool when it pays off
``_index``        :class:`VideoIndex`, the public API
================  ===========================================================================
"""

from __future__ import annotations

from fastvid.data.index._cache import default_cache_dir
from fastvid.data.index._index import VideoIndex
from fastvid.data.index._meta import VideoMeta, VideoProbeError
from fastvid.data.index._order import invents_timestamps
from fastvid.data.index._probe import probe_video

__all__ = [
    "VideoIndex",
    "VideoMeta",
    "VideoProbeError",
    "default_cache_dir",
    "invents_timestamps",
    "probe_video",
]
