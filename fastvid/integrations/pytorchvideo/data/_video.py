"""``Video``: PyTorchVideo's interface for a video whose clips are read by time, and
``video_from_path``: a file is an :class:`EncodedVideo`, a folder a :class:`FrameVideo`."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from fractions import Fraction
from typing import Any

from fastvid.data.storage import StorageLike, as_storage, redact
from fastvid.integrations.pytorchvideo import _decoders

__all__ = ["DECODERS", "Video", "check_decoder", "video_from_path"]

#: PyTorchVideo's decoder names; each is decoded by fastvid's PyAV decoder (``"frame"``: the
#: video is a folder of images, decoded by DALI's image decoder).
DECODERS = ("pyav", *_decoders.OTHER_LIBRARIES, "frame")

_warned: set[str] = set()


def check_decoder(decoder: str) -> str:
    """``decoder`` if PyTorchVideo knows it, else ``ValueError``; warns once per name that
    another decoder than the one named runs (``"torchvision"``, ``"decord"``)."""
    return _decoders.check_decoder(decoder, DECODERS, stacklevel=3, warned=_warned)


class Video(ABC):
    """A video whose clips are read by start and end time, in seconds from 0.

    PyTorchVideo's ``pytorchvideo.data.video.Video`` interface: :attr:`duration`,
    :meth:`get_clip`, :meth:`close` and :attr:`name`.
    """

    @property
    @abstractmethod
    def name(self) -> str | None:
        """The video's name (the file's name, or a frame folder's)."""

    @property
    @abstractmethod
    def duration(self) -> Fraction | float:
        """Duration in seconds."""

    @abstractmethod
    def get_clip(self, start_sec: Fraction | float, end_sec: Fraction | float) -> Any:
        """The clip ``[start_sec, end_sec)``: a dict with ``"video"`` (float32 ``(C, T, H, W)``
        in 0..255, or ``None``) and ``"audio"``."""

    def close(self) -> None:  # noqa: B027 (optional hook, as in PyTorchVideo)
        """Release open files (nothing by default)."""

    def __enter__(self) -> Video:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def video_from_path(
    path: str | os.PathLike[str],
    decode_audio: bool = False,
    decoder: str = "pyav",
    fps: float = 30,
    *,
    storage_options: StorageLike = None,
    path_order_cache: dict[str, list[str]] | None = None,
) -> Video:
    """PyTorchVideo's ``VideoPathHandler.video_from_path``: a file is an encoded video, a
    folder a frame video (its images, in natural order, at ``fps`` frames per second).

    Raises:
        FileNotFoundError: ``path`` is neither.
        ValueError: ``decode_audio`` for a frame folder (it has no audio).
    """
    from fastvid.integrations.pytorchvideo.data._encoded import EncodedVideo
    from fastvid.integrations.pytorchvideo.data._frames import FrameVideo

    storage = as_storage(storage_options)
    name = os.fspath(path)
    kind = storage.kind(name)
    if kind == "file":
        return EncodedVideo.from_path(name, decode_audio, decoder, storage_options=storage)
    if kind == "directory":
        if decode_audio:
            raise ValueError(
                f"{redact(name)} is a frame folder, which has no audio; pass decode_audio=False"
            )
        return FrameVideo.from_directory(
            name, fps, path_order_cache=path_order_cache, storage_options=storage
        )
    raise FileNotFoundError(f"{redact(name)} not found")
