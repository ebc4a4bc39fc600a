"""The SPDL rows: Meta's SPDL 0.8 loads the planned frames in its own thread pipeline.

The loader SPDL's documentation builds for video classification, tuned as measured on this
machine (``shared/FACTS.md``): ``spdl.io.demux_video`` once per video (the packets of a few
videos stay cached, like fastvid's open files), ``spdl.io.sample_decode_video`` per clip (it cuts
the packets at keyframes and stops decoding at the last needed frame; it consumes its packets,
so each clip gets a clone), FFmpeg decoder threads 1, in a ``PipelineBuilder`` with a decode
stage of concurrency 2 on 2 threads, then batching. Two rows:

* ``spdl_filtergraph``: the seed's augmentation written as SPDL users write it, an FFmpeg filter
  graph per clip (``scale`` to a random short side in [256, 320], a random 244 x 244 ``crop``,
  ``hflip`` with probability 0.5, ``format=rgb24``), then float. FFmpeg's scaler smooths more
  than torch's bilinear resize (mean abs difference 4-8 on 0..255), so its pixels differ from
  the other rows'.
* ``spdl``: RGB frames at full size (SPDL's default filter graph), then the seed's exact torch
  transforms, as the torchcodec and decord rows run them: the same pixels as fastvid.
"""

from __future__ import annotations

import random
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import torch

from fastvid.benchmark.loaders.harness import _check_clips, _check_same_clips, two_passes
from fastvid.benchmark.loaders.workload import SEED, ClipConfig, Workload

__all__ = ["SpdlClips", "spdl_batches"]

# (concurrency of the decode stage, pipeline threads): the best measured on 2 cores
_CONCURRENCY = 2
_THREADS = 2


class _Packets:
    """``demux_video`` once per video; the packets of the last ``size`` videos stay cached."""

    def __init__(self, size: int = 4) -> None:
        self._size = size
        self._cached: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def clone(self, path: str) -> Any:
        import spdl.io

        with self._lock:
            packets = self._cached.get(path)
            if packets is not None:
                self._cached.move_to_end(path)
                return packets.clone()
        packets = spdl.io.demux_video(path)
        with self._lock:
            self._cached[path] = packets
            while len(self._cached) > self._size:
                self._cached.popitem(last=False)
            return packets.clone()


def _filter_graph(width: int, height: int, rng: random.Random, config: ClipConfig = SEED) -> str:
    """``config``'s augmentation as an FFmpeg filter graph (one random draw per clip)."""
    low, high = config.short_side
    crop = config.crop
    short = rng.randint(low, high)
    if width < height:
        new_w, new_h = short, int(height * short / width)
    else:
        new_w, new_h = int(width * short / height), short
    x, y = rng.randint(0, new_w - crop), rng.randint(0, new_h - crop)
    flip = ",hflip" if rng.random() < config.flip_p else ""
    return f"scale={new_w}:{new_h}:flags=bilinear,crop={crop}:{crop}:{x}:{y}{flip},format=rgb24"


class SpdlClips:
    """One planned clip with SPDL: its 8 frames, augmented, as float32 ``(C, T, H, W)``.

    Args:
        filter_graph: Augment in FFmpeg's filter graph (``spdl_filtergraph``); ``False``: RGB
            frames at full size, then ``config``'s torch transforms (``spdl``). Default: ``False``.
        config: The clips' augmentation. Default: :data:`~fastvid.benchmark.loaders.SEED`.
    """

    def __init__(self, *, filter_graph: bool = False, config: ClipConfig = SEED) -> None:
        self.filter_graph = filter_graph
        self.config = config
        self._packets = _Packets()
        self._transform = None if filter_graph else config.video_transform(subsample=False)
        self._rng = random.Random(0)

    def frames(self, request: Any, *, filter_desc: str | None = None) -> torch.Tensor:
        """uint8 ``(T, H, W, 3)`` frames of one clip (full size RGB unless ``filter_desc``)."""
        import spdl.io

        packets = self._packets.clone(request.path)
        if filter_desc is None:
            filter_desc = spdl.io.get_video_filter_desc(pix_fmt="rgb24")
        frames = spdl.io.sample_decode_video(
            packets, request.frame_indices.tolist(), filter_desc=filter_desc
        )
        return spdl.io.to_torch(spdl.io.convert_frames(frames))

    def __call__(self, request: Any) -> tuple[torch.Tensor, tuple[int, int]]:
        ids = (int(request.video_index), int(request.clip_index))
        if self.filter_graph:
            codec = self._packets.clone(request.path).codec
            desc = _filter_graph(codec.width, codec.height, self._rng, self.config)
            video = self.frames(request, filter_desc=desc).permute(3, 0, 1, 2).float()
            return video, ids
        video = self.frames(request).permute(3, 0, 1, 2).float()  # (C, T, H, W), PTV's layout
        assert self._transform is not None
        return self._transform(video), ids


def _collate(clips: list[tuple[torch.Tensor, tuple[int, int]]]) -> tuple[torch.Tensor, list]:
    return torch.stack([video for video, _ in clips]), [ids for _, ids in clips]


def spdl_batches(work: Workload, *, filter_graph: bool) -> Iterator[int | None]:
    """SPDL's pipeline over the planned clips: decode (and augment) per clip, then batch."""
    from spdl.pipeline import PipelineBuilder

    clips = SpdlClips(filter_graph=filter_graph, config=work.config)
    row = "spdl_filtergraph" if filter_graph else "spdl"

    def one_pass() -> Iterator[int]:
        # SPDL's stubs type the stages as Never-callables: the stages go in untyped.
        decode: Any = clips
        collate: Any = _collate
        pipeline: Any = (
            PipelineBuilder()
            .add_source(work.plan)
            .pipe(decode, concurrency=_CONCURRENCY)
            .aggregate(work.batch_size, drop_last=False)
            .pipe(collate)
            .add_sink(2)
            .build(num_threads=_THREADS)
        )
        seen: list[tuple[int, int]] = []
        with pipeline.auto_stop():
            for video, ids in pipeline:
                seen += ids
                yield _check_clips(video, None, row, work.config)
        # completion order: the same clips, not necessarily in the plan's order
        _check_same_clips(seen, work.plan, row, ordered=False)

    yield from two_passes(one_pass, warmup_batches=1)
