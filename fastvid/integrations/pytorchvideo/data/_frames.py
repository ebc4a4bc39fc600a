"""``FrameVideo``: a video stored as one image per frame, read by time (PyTorchVideo 0.1.5).

Frame ``i`` of a frame video at ``fps`` frames per second covers ``[i / fps, (i + 1) / fps)``;
``get_clip(start, end)`` returns frames ``ceil(fps * start) .. ceil(fps * min(end, duration))``
(exclusive), PyTorchVideo's rule. The images are read as bytes and decoded as one batch by DALI's
image decoder (:class:`fastvid.reader.dali.images.ImageDecoder`: nvJPEG on the GPU, DALI's CPU
decoder otherwise), RGB like PyTorchVideo's OpenCV decode.
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from typing import Any

import numpy as np
import torch

from fastvid.data.storage import StorageLike, as_storage, basename, is_remote, parent, redact
from fastvid.integrations.pytorchvideo.data._paths import PyTorchVideoAssertionError
from fastvid.integrations.pytorchvideo.data._video import Video

__all__ = ["FrameVideo", "natural_sort_key"]

logger = logging.getLogger(__name__)

_DECODERS: dict[tuple[str, int], Any] = {}  # (device, pid) -> ImageDecoder, one per process
_IO_THREADS = 8


def natural_sort_key(text: str) -> list[Any]:
    """Sort key putting ``"2.png"`` before ``"10.png"`` (PyTorchVideo's frame order)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


class FrameVideo(Video):
    """A folder of frame images read as a video; PyTorchVideo 0.1.5's ``FrameVideo``.

    Make one with :meth:`from_directory` or :meth:`from_frame_paths`.

    Args:
        duration: Duration in seconds.
        fps: Frames per second (links frame ``i`` to second ``i / fps``).
        video_frame_to_path_fn: Frame index -> image path. Give this or ``video_frame_paths``.
        video_frame_paths: Image path of every frame, in order.
        multithreaded_io: Read a clip's image files on several threads. Default: ``False``.
        device: Where DALI decodes the images: ``"cpu"``, ``"gpu"`` (nvJPEG) or ``"auto"``
            (the GPU when CUDA is usable). Default: ``"auto"``.
        storage_options: fsspec options for image URLs (fastvid option). Default: ``None``.

    Raises:
        ValueError: Both or neither of ``video_frame_to_path_fn`` and ``video_frame_paths``
            given (also an ``AssertionError``, as PyTorchVideo raised).
    """

    def __init__(
        self,
        duration: float | Fraction,
        fps: float,
        video_frame_to_path_fn: Callable[[int], str] | None = None,
        video_frame_paths: Sequence[str | os.PathLike[str]] | None = None,
        multithreaded_io: bool = False,
        *,
        device: str = "auto",
        storage_options: StorageLike = None,
    ) -> None:
        if (video_frame_to_path_fn is None) == (video_frame_paths is None):
            raise PyTorchVideoAssertionError(
                "give exactly one of video_frame_to_path_fn and video_frame_paths"
            )
        self._duration = duration
        self._fps = fps
        self._multithreaded_io = bool(multithreaded_io)
        self._video_frame_to_path_fn = video_frame_to_path_fn
        self._video_frame_paths = (
            None if video_frame_paths is None else [os.fspath(p) for p in video_frame_paths]
        )
        self._device = device
        self._storage = as_storage(storage_options)
        self._name = basename(parent(self._video_frame_to_path(0)))

    @classmethod
    def from_directory(
        cls,
        path: str | os.PathLike[str],
        fps: float = 30.0,
        multithreaded_io: bool = False,
        path_order_cache: dict[str, list[str]] | None = None,
        *,
        device: str = "auto",
        storage_options: StorageLike = None,
    ) -> FrameVideo:
        """The images in folder ``path``, in natural order (``2.png`` before ``10.png``).

        Hidden files (``.*``) are skipped. ``path_order_cache`` (a dict) remembers each
        folder's listing across calls, as in PyTorchVideo.

        Raises:
            NotADirectoryError: ``path`` is not a folder.
            ValueError: It holds no files.
        """
        name = os.fspath(path)
        if path_order_cache is not None and name in path_order_cache:
            return cls.from_frame_paths(
                path_order_cache[name], fps, multithreaded_io,
                device=device, storage_options=storage_options,
            )  # fmt: skip
        storage = as_storage(storage_options)
        if storage.kind(name) != "directory":
            raise NotADirectoryError(f"{redact(name)} is not a folder of frame images")
        entries = [
            (entry, basename(entry))
            for entry, is_dir in storage.list_dir(name)
            if not is_dir and not basename(entry).startswith(".")
        ]
        entries.sort(key=lambda item: natural_sort_key(item[1]))
        frame_paths = [
            entry if is_remote(entry) else os.path.join(name, base) for entry, base in entries
        ]
        if path_order_cache is not None:
            path_order_cache[name] = frame_paths
        return cls.from_frame_paths(
            frame_paths, fps, multithreaded_io, device=device, storage_options=storage
        )

    @classmethod
    def from_frame_paths(
        cls,
        video_frame_paths: Sequence[str | os.PathLike[str]],
        fps: float = 30.0,
        multithreaded_io: bool = False,
        *,
        device: str = "auto",
        storage_options: StorageLike = None,
    ) -> FrameVideo:
        """A frame video of these images, in this order; duration ``len / fps`` seconds.

        Raises:
            ValueError: ``video_frame_paths`` is empty (also an ``AssertionError``, as
                PyTorchVideo raised).
        """
        if len(video_frame_paths) == 0:
            raise PyTorchVideoAssertionError("video_frame_paths is empty: give one path per frame")
        return cls(
            len(video_frame_paths) / fps,
            fps,
            video_frame_paths=video_frame_paths,
            multithreaded_io=multithreaded_io,
            device=device,
            storage_options=storage_options,
        )

    @property
    def name(self) -> str:
        """The name of the folder holding the first frame."""
        return self._name

    @property
    def duration(self) -> float | Fraction:
        """Duration in seconds."""
        return self._duration

    def get_clip(
        self,
        start_sec: Fraction | float,
        end_sec: Fraction | float,
        frame_filter: Callable[[list[int]], list[int]] | None = None,
    ) -> dict[str, Any] | None:
        """The frames in ``[start_sec, end_sec)``, decoded as one DALI batch.

        Args:
            start_sec: Clip start in seconds.
            end_sec: Clip end in seconds (exclusive; clamped to the duration).
            frame_filter: Picks which of the clip's frame indices to load (e.g. a temporal
                subsample), before any file is read. Default: ``None`` (all).

        Returns:
            ``{"video": float32 (C, T, H, W) in 0..255, "frame_indices": [...], "audio": None}``,
            or ``None`` when ``start_sec`` lies outside ``[0, duration]`` or no frame is left.

        Raises:
            FileNotFoundError: A frame image does not exist (the error names it).
            DaliRunError: An image could not be decoded (names the folder's first frame).
        """
        if start_sec < 0 or start_sec > self._duration:
            logger.warning(
                "No frames found within %s and %s seconds. Video starts at time 0 and ends at %s.",
                start_sec,
                end_sec,
                self._duration,
            )
            return None
        end_sec = min(end_sec, self._duration)
        start_index = math.ceil(self._fps * start_sec)
        end_index = min(math.ceil(self._fps * end_sec), self._num_frames())
        frame_indices = list(range(start_index, end_index))
        if frame_filter:
            frame_indices = frame_filter(frame_indices)
        if not frame_indices:
            return None
        paths = [self._video_frame_to_path(i) for i in frame_indices]
        images = self._decode(paths)
        video = torch.from_numpy(np.stack(images)).permute(3, 0, 1, 2).to(torch.float32)
        return {"video": video, "frame_indices": frame_indices, "audio": None}

    def _num_frames(self) -> int:
        if self._video_frame_paths is not None:
            return len(self._video_frame_paths)
        return math.ceil(self._fps * self._duration)

    def _video_frame_to_path(self, frame_index: int) -> str:
        if self._video_frame_to_path_fn is not None:
            return os.fspath(self._video_frame_to_path_fn(frame_index))
        assert self._video_frame_paths is not None
        return self._video_frame_paths[frame_index]

    def _read(self, path: str) -> bytes:
        if not is_remote(path) and not os.path.isfile(path):
            raise FileNotFoundError(f"frame image {path} does not exist (frame video {self.name})")
        with self._storage.open(path) as handle:
            return bytes(handle.read())

    def _decode(self, paths: list[str]) -> list[np.ndarray]:
        if self._multithreaded_io and len(paths) > 1:
            with ThreadPoolExecutor(min(_IO_THREADS, len(paths))) as pool:
                encoded = list(pool.map(self._read, paths))
        else:
            encoded = [self._read(path) for path in paths]
        from fastvid.reader.dali.pipeline import DaliRunError

        try:
            images = _image_decoder(self._device).decode(encoded)
        except DaliRunError as exc:
            raise DaliRunError(
                f"cannot decode the frame images {redact(paths[0])} .. {redact(paths[-1])} "
                f"of frame video {self.name}: {exc}"
            ) from exc
        shapes = {image.shape for image in images}
        if len(shapes) > 1:
            raise ValueError(
                f"the frame images of {self.name} differ in size ({sorted(shapes)}); "
                f"a frame video's images must all have one size"
            )
        return images

    def __repr__(self) -> str:
        return f"FrameVideo({self.name!r}, fps={self._fps}, frames={self._num_frames()})"


def _image_decoder(device: str) -> Any:
    from fastvid.reader.device import resolve_device

    resolved = resolve_device(device)
    key = (resolved, os.getpid())
    decoder = _DECODERS.get(key)
    if decoder is None:
        from fastvid.reader.dali.images import ImageDecoder

        device_id = torch.cuda.current_device() if resolved == "gpu" else 0
        decoder = ImageDecoder(device=resolved, device_id=device_id, num_threads=2)
        _DECODERS[key] = decoder
    return decoder
