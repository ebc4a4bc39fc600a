"""``EncodedVideo``: PyTorchVideo's clip-by-time access to a video file, decoded by fastvid.

``EncodedVideo.from_path(path).get_clip(start, end)`` returns the frames PyTorchVideo 0.1.5's PyAV
decoder returns, equal pixel for pixel: the clip's frames are planned from the metadata index
(:func:`fastvid.reader.planning.frames.clip_frame_indices`, PyTorchVideo's timestamp rule) and only
they are decoded (:class:`fastvid.reader.decoding.pyav_source.PyAVFrameReader`); the audio is read
as PyTorchVideo reads it (:class:`fastvid.reader.decoding.audio.AudioReader`).
"""

from __future__ import annotations

import os
from fractions import Fraction
from typing import Any

import torch

from fastvid.data.index import VideoMeta, probe_video
from fastvid.data.storage import StorageLike, as_storage, basename, redact
from fastvid.integrations.pytorchvideo.data._video import Video, check_decoder
from fastvid.reader.decoding.audio import AudioReader
from fastvid.reader.decoding.pyav_source import PyAVFrameReader
from fastvid.reader.planning.frames import clip_frame_indices

__all__ = ["EncodedVideo"]


class EncodedVideo(Video):
    """A video file whose clips are read by time; PyTorchVideo 0.1.5's ``EncodedVideo``.

    Make one with :meth:`from_path`. The file is probed once (every frame's timestamp, no
    decoding); each :meth:`get_clip` decodes only the clip's frames, keeping the file open
    between calls (:meth:`close`, or ``with``, releases it).

    Args:
        file_path: The video; a local path or an fsspec URL.
        decode_audio: Also read the clip's audio. Default: ``True`` (PyTorchVideo's).
        storage_options: fsspec options for a URL (fastvid option). Default: ``None``.

    Raises:
        FileNotFoundError: The file does not exist.
        VideoProbeError: It is not a readable video (a ``RuntimeError``, as PyTorchVideo's).
    """

    def __init__(
        self,
        file_path: str | os.PathLike[str],
        decode_audio: bool = True,
        *,
        storage_options: StorageLike = None,
    ) -> None:
        storage = as_storage(storage_options)
        path = os.fspath(file_path)
        if storage.kind(path) != "file":
            raise FileNotFoundError(f"{redact(path)} not found")
        self._meta: VideoMeta = probe_video(path, storage_options=storage)
        self._path = self._meta.path
        self._name = basename(path)
        self._decode_audio = bool(decode_audio)
        self._storage = storage
        self._frames: PyAVFrameReader | None = None
        self._audio: AudioReader | None = None
        self._windows: list[tuple[Fraction | float, Fraction | float]] = []

    @classmethod
    def from_path(
        cls,
        file_path: str | os.PathLike[str],
        decode_audio: bool = True,
        decoder: str = "pyav",
        *,
        storage_options: StorageLike = None,
    ) -> EncodedVideo:
        """Open a video file; PyTorchVideo's ``EncodedVideo.from_path``.

        Args:
            file_path: The video; a local path or an fsspec URL.
            decode_audio: Also read each clip's audio. Default: ``True``.
            decoder: PyTorchVideo's decoder name, ``"pyav"``; ``"torchvision"`` and
                ``"decord"`` are accepted with a warning (fastvid's PyAV decoder runs).
                Default: ``"pyav"``.
            storage_options: fsspec options for a URL (fastvid option). Default: ``None``.

        Raises:
            FileNotFoundError: The file does not exist.
            VideoProbeError: It is not a readable video (a ``RuntimeError``).
            ValueError: An unknown ``decoder``.
        """
        check_decoder(decoder)
        return cls(file_path, decode_audio, storage_options=storage_options)

    @property
    def name(self) -> str:
        """The file's name."""
        return self._name

    @property
    def duration(self) -> Fraction:
        """Duration in seconds, as PyTorchVideo computes it (with ``decode_audio``, the longer
        of the video and audio streams)."""
        meta = self._meta
        duration = meta.duration_with_audio if self._decode_audio else meta.duration
        if duration is None:
            duration = meta.duration
        if duration is None:
            raise RuntimeError(f"{redact(self._path)}: its duration is unknown")
        return duration

    def get_clip(
        self, start_sec: Fraction | float, end_sec: Fraction | float
    ) -> dict[str, torch.Tensor | None]:
        """The frames (and audio) in ``[start_sec, end_sec)``.

        Pass ``Fraction`` times for exact frames; ``end_sec`` is exclusive, so
        ``get_clip(0, duration + 1e-9)`` takes the last frame too.

        Returns:
            ``{"video": float32 (C, T, H, W) in 0..255, or None when no frame lies in the
            range; "audio": float32 (N,) samples (channels averaged), or None}``.

        Raises:
            FrameDecodeError: A frame could not be decoded (names the file).
        """
        indices = clip_frame_indices(self._meta, start_sec, end_sec)
        video = None
        if indices.size:
            if self._frames is None:
                self._frames = PyAVFrameReader(max_open=1, storage=self._storage)
            meta = self._meta
            frames = self._frames.decode_frames(
                self._path, indices, pts=meta.pts, keyframes=meta.keyframes
            )
            video = torch.from_numpy(frames).permute(3, 0, 1, 2).to(torch.float32)
        return {"video": video, "audio": self._clip_audio(start_sec, end_sec)}

    def _clip_audio(
        self, start_sec: Fraction | float, end_sec: Fraction | float
    ) -> torch.Tensor | None:
        if not (self._decode_audio and self._meta.has_audio):
            return None
        if self._audio is None:
            self._audio = AudioReader(self._storage)
        # PyTorchVideo decodes every clip's audio from one open file, whose decoder state
        # carries over; AudioReader replays the earlier windows when it has to reopen.
        audio = self._audio.clip(self._path, start_sec, end_sec, before=self._windows)
        self._windows.append((start_sec, end_sec))
        return None if audio is None else torch.from_numpy(audio.samples)

    def close(self) -> None:
        """Close the file (reopened if another clip is asked for)."""
        if self._frames is not None:
            self._frames.close()
            self._frames = None
        if self._audio is not None:
            self._audio.close()
            self._audio = None
        self._windows = []

    def __repr__(self) -> str:
        return f"EncodedVideo({redact(self._path)!r}, duration={float(self.duration):.3f})"

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.update(_frames=None, _audio=None, _windows=[])
        return state
