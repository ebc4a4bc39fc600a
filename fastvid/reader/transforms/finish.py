"""The CPU path's last step, in torch: resize, crop, flip, repeat, normalise a clip's frames.

On the CPU, when the lowered ops are a short-side scale, a crop and a flip (the seed
configuration's, and Flash's defaults'), the workers hand over full-size RGB frames and the
loader finishes each clip with torch's uint8 bilinear resize (the ``align_corners=False``
arithmetic of PyTorchVideo's ``ShortSideScale``, output rounded to 0..255), a crop and a flip
(pixel moves), the ``UniformTemporalSubsample`` repeats, and one float32 copy into the batch
tensor (which also mirrors a flipped clip) with the per-channel affine. Measured here: FFmpeg's
scaled RGB conversion cost 1.1 (360p) to 1.8 ms (720p) a frame and differed from PyTorchVideo's
resize by 1.05 on average (up to 13); full-size conversion plus torch's uint8 resize costs 0.5
to 0.9 ms and differs by 0.25 at most 1. DALI's CPU slice + flip + normalise cost 18 ms per
four 360p clips.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from fastvid.reader.transforms.augment import (
    ChannelAffine,
    CropOp,
    FlipOp,
    ShortSideScaleOp,
    SpatialOp,
)

__all__ = [
    "ClipFinish",
    "finish_batch",
    "finish_clip",
    "finish_in_torch_possible",
    "one_torch_thread",
]


@dataclass(frozen=True)
class ClipFinish:
    """One clip's resolved ops: resize to ``size``, keep ``window``, mirror if ``flip``.

    Attributes:
        size: ``(height, width)`` to resize to (``None``: keep the decoded size).
        window: ``(y, x, h, w)`` to keep, possibly past the frame's edge (padded with ``fill``).
        flip: Mirror left to right.
        fill: RGB padding value (uint8).
    """

    size: tuple[int, int] | None = None
    window: tuple[int, int, int, int] | None = None
    flip: bool = False
    fill: tuple[int, int, int] = (0, 0, 0)

    @staticmethod
    def from_params(ops: Sequence[SpatialOp], params: Sequence[tuple[int, ...]]) -> ClipFinish:
        """A clip's finish from its lowered ops and drawn parameters (``SampleSteps.params``)."""
        size, window, flip, fill = None, None, False, (0, 0, 0)
        for op, step in zip(ops, params, strict=True):
            if isinstance(op, ShortSideScaleOp):
                size = (int(step[0]), int(step[1]))
            elif isinstance(op, CropOp):
                window = (int(step[0]), int(step[1]), int(step[2]), int(step[3]))
                fill = (int(op.fill[0]), int(op.fill[1]), int(op.fill[2]))
            else:
                flip = bool(step[0])
        return ClipFinish(size, window, flip, fill)


def finish_in_torch_possible(ops: Sequence[SpatialOp]) -> bool:
    """Whether ``ops`` are an optional short-side scale, an optional crop (padding with a uint8
    value), then an optional flip: what :func:`finish_clip` does."""
    rest = list(ops)
    if rest and isinstance(rest[0], ShortSideScaleOp):
        rest.pop(0)
    first = rest[0] if rest else None
    if isinstance(first, CropOp):
        rest.pop(0)
        if any(v != round(v) or not 0 <= v <= 255 for v in first.fill):
            return False
    if rest and isinstance(rest[0], FlipOp):
        rest.pop(0)
    return not rest


def finish_clip(frames: np.ndarray, order: np.ndarray | None, finish: ClipFinish) -> torch.Tensor:
    """A clip's distinct ``(F, H, W, 3)`` uint8 frames, finished: uint8 ``(C, T, H', W')``.

    The frames are read in place (shared memory); the resize works on the distinct frames
    only, before ``order`` repeats them.
    """
    clip = _unflipped(frames, order, finish)
    return clip.flip(-1) if finish.flip else clip


def _unflipped(frames: np.ndarray, order: np.ndarray | None, finish: ClipFinish) -> torch.Tensor:
    """:func:`finish_clip` but for the flip: a uint8 ``(C, T, H', W')`` view where it can be."""
    clip = torch.from_numpy(frames).permute(0, 3, 1, 2)  # (F, 3, H, W), channels-last memory
    if finish.size is not None and tuple(clip.shape[2:]) != finish.size:
        clip = F.interpolate(clip, size=finish.size, mode="bilinear", align_corners=False)
    if finish.window is not None:
        clip = _window(clip, finish.window, finish.fill)
    if order is not None and not _is_identity(order, clip.shape[0]):
        clip = clip[torch.from_numpy(order).long()]  # a gather: a copy of every frame
    return clip.permute(1, 0, 2, 3)  # (C, T, H, W)


def _is_identity(order: np.ndarray, frames: int) -> bool:
    """Whether ``order`` keeps the ``frames`` distinct frames as they are (the usual case:
    ``UniformTemporalSubsample`` picking distinct frames), so the gather can be skipped."""
    return len(order) == frames and bool((order == np.arange(frames)).all())


def _window(
    clip: torch.Tensor, window: tuple[int, int, int, int], fill: tuple[int, int, int]
) -> torch.Tensor:
    y, x, h, w = window
    height, width = clip.shape[2:]
    if y >= 0 and x >= 0 and y + h <= height and x + w <= width:
        return clip[:, :, y : y + h, x : x + w]
    out = torch.empty((clip.shape[0], 3, h, w), dtype=clip.dtype)
    out[:] = torch.tensor(fill, dtype=clip.dtype).view(1, 3, 1, 1)
    top, left = max(y, 0), max(x, 0)
    bottom, right = min(y + h, height), min(x + w, width)
    if bottom > top and right > left:
        out[:, :, top - y : bottom - y, left - x : right - x] = clip[:, :, top:bottom, left:right]
    return out


def finish_batch(
    clips: Sequence[tuple[np.ndarray, np.ndarray | None, ClipFinish]],
    affine: ChannelAffine,
    *,
    channels_last: bool = False,
) -> tuple[torch.Tensor | None, Sequence[torch.Tensor]]:
    """Finish clips (:func:`finish_clip`'s ``(frames, order, finish)``) into float32
    ``x * scale + offset``.

    Clips of one shape are written straight into one ``(B, C, T, H, W)`` batch: the resized,
    cropped uint8 view is cast into its row in one strided copy that also mirrors a flipped
    clip (NumPy walks the view backwards), so a flip makes no uint8 copy of its own (measured
    on a 244x244 crop of 8 frames, one core, load 8: 1.73 ms for a flipped clip against 1.95
    for torch's flip then cast; 1.55 against 1.51 unflipped).

    With ``channels_last``, the batch is laid out in memory as ``(B, T, H, W, C)``
    (``torch.channels_last_3d``; its shape is still ``(B, C, T, H, W)``): the resize already
    holds the pixels that way, so each row is one cast of whole pixel rows, with no split of
    the colour channels (measured on the same crop, one core, idle: 0.32 ms against 1.1 for
    the channel split; with an affine 0.83 against 1.35).

    Returns:
        ``(batch, clips)``: the batch when the clips share a shape (each clip a view of it),
        else ``None`` and one tensor per clip.
    """
    parts = [(_unflipped(frames, order, finish), finish.flip) for frames, order, finish in clips]
    if len({tuple(part.shape) for part, _ in parts}) != 1:
        finished = [part.flip(-1) if flip else part for part, flip in parts]
        return None, [_affine(clip.float(), affine) for clip in finished]
    if channels_last:
        return _channels_last_batch(parts, affine)
    batch = torch.empty((len(parts), *parts[0][0].shape), dtype=torch.float32)
    for row, (part, flip) in zip(batch.numpy(), parts, strict=True):
        source = part.numpy()
        np.copyto(row, source[..., ::-1] if flip else source, casting="safe")  # the one copy
    return _affine(batch, affine), batch.unbind(0)


def _channels_last_batch(
    parts: Sequence[tuple[torch.Tensor, bool]], affine: ChannelAffine
) -> tuple[torch.Tensor, Sequence[torch.Tensor]]:
    """:func:`finish_batch`'s ``channels_last`` batch from uint8 ``(C, T, H, W)`` views."""
    channels, frames, height, width = parts[0][0].shape
    pixels = torch.empty((len(parts), frames, height, width, channels), dtype=torch.float32)
    for row, (part, flip) in zip(pixels, parts, strict=True):
        source = part.permute(1, 2, 3, 0)  # (T, H, W, C): the resize's own memory order
        row.copy_(source.flip(2) if flip else source)
    if not affine.is_identity:
        # per channel on rows of interleaved pixels: a (W * C,) pattern, so the inner loop
        # runs over whole rows (a (C,) broadcast on the last axis is ~3x slower)
        rows = pixels.view(-1, width * channels)
        rows.mul_(torch.tensor(affine.scale).repeat(width)).add_(
            torch.tensor(affine.offset).repeat(width)
        )
    batch = pixels.permute(0, 4, 1, 2, 3)  # (B, C, T, H, W), channels_last_3d memory
    return batch, batch.unbind(0)


def _affine(x: torch.Tensor, affine: ChannelAffine) -> torch.Tensor:
    """``x * scale + offset`` per channel of a float ``(..., C, T, H, W)`` tensor, in place."""
    if affine.is_identity:
        return x
    scale = torch.tensor(affine.scale).view(3, 1, 1, 1)
    offset = torch.tensor(affine.offset).view(3, 1, 1, 1)
    return x.mul_(scale).add_(offset)


@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run a block on one torch thread, then restore the thread count.

    The loader's worker processes already keep every core busy decoding; the finish's few
    milliseconds per clip on torch's thread pool only added contention (measured here: 360p,
    2 cores, 35-38 clips/s with torch's 2 threads, 41-54 with one). The loader calls this
    between the training loop's steps, on the thread that iterates it.
    """
    threads = torch.get_num_threads()
    if threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
