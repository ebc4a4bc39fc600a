"""Clips decoded in the calling process: no worker pool, no shared memory, no DALI.

Where fastvid cannot start its own worker processes (inside a torch ``DataLoader`` worker, which
is daemonic and may not have children) or must draw every random number where PyTorchVideo
does (iterating a drop-in dataset), a clip is decoded here by the loader's own parts:

- the frames PyTorchVideo would return (:func:`~fastvid.reader.planning.frames.clip_frame_indices`),
  with the lowered ``UniformTemporalSubsample`` picking the ones to decode;
- PyAV's frame-selective decoder (:class:`~fastvid.reader.decoding.pyav_source.PyAVFrameReader`: the
  file stays open and the decoder moves forward from clip to clip of one video);
- the lowered short-side scale, crop and flip finished in torch
  (:mod:`fastvid.reader.transforms.finish`), their random parameters drawn by
  :func:`~fastvid.reader.transforms.augment.sample_steps` from the generator given, the process's
  global one for PyTorchVideo's draws;
- the clip's audio (:class:`~fastvid.reader.decoding.audio.AudioReader`, PyTorchVideo's samples).

A transform whose lowered ops the torch finish cannot run (:attr:`InlineClips.lowers` is
``False``) is run as written on all the clip's frames, as PyTorchVideo runs it.

Every open file is closed just before this process forks (``os.register_at_fork``): a torch
``DataLoader`` forks its workers from the process that may have iterated the dataset, and a
forked child that frees an FFmpeg decoder whose threads stayed in the parent waits for them
forever.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import torch
from torch.utils.data import get_worker_info

from fastvid.data.storage import Storage
from fastvid.reader.decoding.audio import AudioReader, ClipAudio, Window
from fastvid.reader.decoding.pyav_source import PyAVFrameReader
from fastvid.reader.planning.frames import clip_frame_indices, temporal_subsample
from fastvid.reader.transforms.augment import sample_steps
from fastvid.reader.transforms.finish import ClipFinish, finish_batch, finish_in_torch_possible
from fastvid.reader.transforms.lowering import LoweredTransform

__all__ = ["DecodedClip", "InlineClips"]

_LIVE: weakref.WeakSet[InlineClips] = weakref.WeakSet()
"""Every reader of this process, closed before it forks."""


def _close_before_fork() -> None:
    for clips in list(_LIVE):
        clips.close()


os.register_at_fork(before=_close_before_fork)


@dataclass(frozen=True)
class DecodedClip:
    """A clip's distinct decoded frames, before any spatial op.

    Attributes:
        frames: uint8 ``(F, H, W, 3)``, the distinct frames in time order.
        order: Positions in ``frames`` in output order (a temporal subsample may repeat one).
    """

    frames: np.ndarray
    order: np.ndarray

    def raw(self) -> torch.Tensor:
        """float32 ``(C, T, H, W)`` in 0..255: PyTorchVideo's ``get_clip(...)["video"]``."""
        clip = torch.from_numpy(self.frames[self.order])
        return clip.permute(3, 0, 1, 2).to(torch.float32)


class InlineClips:
    """Decodes clips of indexed videos in this process, and finishes them.

    Args:
        lowered: The transform, lowered
        (:func:`~fastvid.reader.transforms.lowering.lower_sample_transform`). threads: FFmpeg
        decoder threads per file (0: FFmpeg chooses). Default: ``None``: one
            inside a torch ``DataLoader`` worker (a core each), else FFmpeg's choice.
        storage: How URLs are read. Default: ``None``, local defaults.
    """

    def __init__(
        self,
        lowered: LoweredTransform,
        *,
        threads: int | None = None,
        storage: Storage | None = None,
    ) -> None:
        self.lowered = lowered
        self.threads = threads
        self.storage = storage
        self._pid = os.getpid()
        self._frames = PyAVFrameReader(storage=storage)
        self._audio = AudioReader(storage=storage)
        self._buffers: dict[int, np.ndarray] = {}
        _LIVE.add(self)

    @property
    def lowers(self) -> bool:
        """Whether :meth:`finish` runs the lowered ops (else run the transform as written on
        :meth:`DecodedClip.raw`)."""
        return finish_in_torch_possible(self.lowered.pipeline.spatial_ops)

    def positions(
        self, meta: Any, start: Fraction | float, end: Fraction | float, *, subsample: bool
    ) -> np.ndarray:
        """Positions in ``meta.pts`` of the clip's frames in output order (empty: none), after
        the lowered temporal subsample when ``subsample``."""
        frames = clip_frame_indices(meta, start, end)
        if subsample and frames.size:
            for size in self.lowered.pipeline.temporal_subsample:
                frames = temporal_subsample(frames, size)
        return frames

    def decode(self, meta: Any, positions: np.ndarray, *, slot: int = 0) -> DecodedClip:
        """Decode the frames at ``positions`` (not empty) of ``meta``'s video.

        The frames go into buffer ``slot``, which the next decode into that slot overwrites
        (reusing it saves touching fresh memory for every clip): keep one slot per clip that
        must stay decoded at once.

        Raises:
            FrameDecodeError: A frame is missing or damaged, or FFmpeg fails (with its kind).
            FileNotFoundError: The file is gone.
        """
        self._own()
        needed, order = np.unique(positions, return_inverse=True)
        out = self._buffer(slot, (len(needed), int(meta.height), int(meta.width), 3))
        errors = self._frames.decode_clips(
            meta.path,
            [(needed, out)],
            pts=meta.pts,
            keyframes=meta.keyframes,
            threads=self._threads(),
        )
        if errors[0] is not None:
            self._frames.close()  # the decoder may be anywhere in the file now
            raise errors[0]
        return DecodedClip(out, order.astype(np.int64))

    def finish(self, clip: DecodedClip, generator: torch.Generator) -> torch.Tensor:
        """The lowered spatial ops and affine on ``clip``: float32 ``(C, T, H, W)``.

        Args:
            clip: From :meth:`decode` (the temporal subsample already picked its frames).
            generator: Where the ops' random parameters are drawn from, in the original
                transforms' order (``torch.default_generator``: as PyTorchVideo draws them).
        """
        pipeline = self.lowered.pipeline
        height, width = clip.frames.shape[1:3]
        steps = sample_steps(pipeline.spatial_ops, height, width, generator)
        finish = ClipFinish.from_params(pipeline.spatial_ops, steps.params)
        batch, _ = finish_batch([(clip.frames, clip.order, finish)], pipeline.affine)
        assert batch is not None  # one clip always has one shape
        return batch[0]

    def audio(
        self, path: str, start: Fraction | float, end: Fraction | float, before: Sequence[Window]
    ) -> ClipAudio | None:
        """The clip's audio as PyTorchVideo decodes it, after ``before`` from the same open
        file (:meth:`AudioReader.clip`)."""
        self._own()
        try:
            return self._audio.clip(path, start, end, tuple(before))
        except Exception:
            self._audio.forget(path)
            raise

    def close(self) -> None:
        """Close the open files."""
        if self._pid == os.getpid():
            self._frames.close()
            self._audio.close()

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (a ``spawn`` worker's copy) without open files."""
        return {"lowered": self.lowered, "threads": self.threads, "storage": self.storage}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["lowered"], threads=state["threads"], storage=state["storage"])  # type: ignore[misc]

    def _buffer(self, slot: int, shape: tuple[int, int, int, int]) -> np.ndarray:
        size = int(np.prod(shape))
        buffer = self._buffers.get(slot)
        if buffer is None or buffer.size < size:
            buffer = self._buffers[slot] = np.empty(size, dtype=np.uint8)
        return buffer[:size].reshape(shape)

    def _threads(self) -> int:
        if self.threads is not None:
            return self.threads
        return 1 if get_worker_info() is not None else 0

    def _own(self) -> None:
        """After a fork, forget (without closing) the files the parent opened."""
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._frames = PyAVFrameReader(storage=self.storage)
            self._audio = AudioReader(storage=self.storage)
