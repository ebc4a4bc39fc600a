"""The strict ceiling: decode only what the clips need, convert nothing, one process per core.

Per clip: seek to the keyframe at or before its first frame (a keyframe cut), decode forward,
send the decoder its unneeded non-reference frames with ``skip_frame=NONREF`` (H.264, MPEG-4
Part 2, MPEG-1/2: bit-exact for every other frame), and stop at the clip's last needed frame;
a clip that starts after the previous one's last frame in the same GOP decodes on instead of
seeking back. The frames stay in the decoder's YUV: no colour conversion, no resizing, no
transforms, no batching. One single-threaded decoder per process, one process per core, whole
batches per task. The decode loop is fastvid's (``fastvid.reader.decoding._pyav_stream.OpenVideo``)
with a sink that drops each frame, so what this row does not pay is exactly what fastvid adds
after decoding (colour conversion, the hand-off, the transform graph, batching).

This is the ceiling of issue 22 (SPDL's decode-only run of the same clips is its peer); the
``ceiling`` row (:mod:`benchmarks.loaders.ceiling`) converts every needed frame to RGB and sits
below it.
"""

from __future__ import annotations

import multiprocessing
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from fastvid.benchmark.loaders.harness import two_passes
from fastvid.benchmark.loaders.workload import Workload

__all__ = ["StrictDecoder", "strict_ceiling_batches"]


def _drop(index: int, frame: Any, damaged: bool = False) -> None:
    """The sink: the frame is decoded (it came out of the decoder) and dropped."""


class StrictDecoder:
    """Decode the planned frames of clips, frame-selectively, into nothing.

    Args:
        max_open: Files kept open (like fastvid's reader). Default: 4.
    """

    def __init__(self, *, max_open: int = 4) -> None:
        self.max_open = max_open
        self._open: OrderedDict[str, Any] = OrderedDict()
        self.decoded = 0  # frames out of the decoder (skipped non-reference ones excluded)

    def decode(self, request: Any, meta: Any, deliver: Any = _drop) -> None:
        """Decode clip ``request``'s frames (``meta``: its video's index entry), handing each
        to ``deliver(index, frame, damaged)`` (default: dropped)."""
        import numpy as np

        from fastvid.reader.decoding._pyav_stream import OpenVideo

        video = self._open.get(request.path)
        if video is None:
            video = OpenVideo(request.path, 1)
            video.use_index(meta.pts, None)
            self._open[request.path] = video
            while len(self._open) > self.max_open:
                self._open.popitem(last=False)[1].close()
        self._open.move_to_end(request.path)
        before = video.decoded
        needed = np.unique(request.frame_indices)
        missing = video.decode(needed, np.asarray(meta.keyframes), deliver)
        if missing:
            raise RuntimeError(f"strict ceiling: frames {missing} of {request.path} not decoded")
        self.decoded += video.decoded - before

    def load(self, request: Any, meta: Any) -> None:
        """What a worker does with one planned clip: decode it."""
        self.decode(request, meta)


_WORKER: StrictDecoder | None = None


def _init(make_decoder: Callable[[], StrictDecoder]) -> None:
    global _WORKER
    _WORKER = make_decoder()


def _batch(batch: list[tuple[Any, Any]]) -> int:
    if _WORKER is None:
        raise RuntimeError("ceiling worker used before its initializer ran")
    for request, meta in batch:
        _WORKER.load(request, meta)
    return len(batch)


def strict_ceiling_batches(
    work: Workload, *, processes: int, make_decoder: Callable[[], StrictDecoder] = StrictDecoder
) -> Iterator[int | None]:
    """The planned batches over ``processes`` single-threaded workers (forked), each with a
    ``make_decoder()`` that loads the clips it is given."""
    tasks = [[(r, work.index.meta(r.path)) for r in batch] for batch in work.batches()]
    context = multiprocessing.get_context("fork")
    with context.Pool(processes, initializer=_init, initargs=(make_decoder,)) as pool:
        # Warm-up: one batch per process (a cut imap would go on decoding in the background).
        yield from two_passes(
            lambda: pool.imap(_batch, tasks),
            make_warmup=lambda: pool.imap(_batch, tasks[:processes]),
        )
