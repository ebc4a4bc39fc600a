"""fastvid's errors: one hierarchy, and the kinds of problem a bad video can have.

Every error fastvid raises on purpose is a :class:`FastvidError`. A video that cannot be read or
decoded is a :class:`VideoError` carrying ``path`` (the file), ``reason`` (why, in words) and
``kind`` (the :data:`VideoErrorKind`, a short machine-readable name set where the problem is
found, so that reports never parse messages)::

    FastvidError ├── VideoError(path, reason, kind) │   ├── VideoProbeError
    fastvid.data.index: the index could not read the file │   ├── VideoDecodeError
    fastvid.reader: a clip could not be decoded (on_error="raise") │   ├── FrameDecodeError
    fastvid.reader.decoding.pyav_source: PyAV could not decode the frames │   └── GopCutError
    fastvid.reader.decoding.gop: the packets are not where the index says ├── WorkerDiedError
    fastvid.reader: a worker process died mid-epoch └── WorkerTaskError           fastvid.reader: a
    worker hit a bug (not bad data)

The concrete classes live next to the code that raises them and are re-exported from their
modules as before; this module is the bottom layer (it imports nothing of fastvid), so
``fastvid.data`` and ``fastvid.reader`` can both use it.

Errors cross process boundaries (probe pools, decoding workers) by pickling, so every
subclass pickles with its arguments (``__reduce__``).

Example::

    from fastvid.errors import VideoError

    try:
        batch = next(iter(loader))
    except VideoError as error:
        print(error.path, error.kind)  # "/data/a.mp4", "truncated"
"""

from __future__ import annotations

import os
from typing import Any, Literal, get_args

__all__ = [
    "VIDEO_ERROR_KINDS",
    "FastvidError",
    "VideoError",
    "VideoErrorKind",
    "check_kind",
    "exception_kind",
]

VideoErrorKind = Literal[
    "missing",
    "empty",
    "permission",
    "not_a_file",
    "unreadable",
    "not_a_video",
    "still_image",
    "no_video_stream",
    "unsupported_codec",
    "not_indexed",
    "changed",
    "truncated",
    "timestamps",
    "damaged_header",
    "corrupt",
    "decode_error",
    "timeout",
    "other",
]
"""What is wrong with a video, in one word:

* ``missing``: the file does not exist (or was deleted or moved after indexing);
* ``empty``: it has 0 bytes;
* ``permission``: it cannot be opened for reading (permission denied);
* ``not_a_file``: the path is a folder or another non-regular file;
* ``unreadable``: the operating system failed to read it (an I/O error);
* ``not_a_video``: FFmpeg cannot open it as a video container (random bytes, text, a video
  whose header or index is cut off);
* ``still_image``: it is a picture (PNG, JPEG...) with a video file name;
* ``no_video_stream``: it has no video stream, or a video stream without frames;
* ``unsupported_codec``: no decoder for its codec;
* ``not_indexed``: it is not in the prebuilt index the loader was given;
* ``changed``: the file changed since it was indexed (size, modification time, packets);
* ``truncated``: the stream ends before frames the index or the clip needs;
* ``timestamps``: its frame timestamps are damaged (two frames share one, or frames of a codec
  that never reorders them go backwards);
* ``damaged_header``: its header states another frame size than its keyframes code;
* ``corrupt``: frames the decoder flagged damaged, or data it rejected as invalid;
* ``decode_error``: the decoder (FFmpeg, DALI) failed for another reason;
* ``timeout``: preparing the clip took longer than ``task_timeout``;
* ``other``: anything else (an unexpected error while probing).
"""

VIDEO_ERROR_KINDS: tuple[VideoErrorKind, ...] = get_args(VideoErrorKind)
"""Every :data:`VideoErrorKind`, in the order above."""


class FastvidError(Exception):
    """The base of every error fastvid raises on purpose (``except FastvidError`` catches all)."""


class VideoError(FastvidError, RuntimeError):
    """A video that cannot be read or decoded.

    Subclasses say at which step (indexing, decoding) and phrase the message; all carry the
    same three attributes and pickle with them.

    Args:
        path: The file.
        reason: Why, in words (the message names the file, this reason and what to do).
        kind: The kind of problem. Default: ``"other"``.

    Attributes:
        path: The file.
        reason: Why, in words.
        kind: The :data:`VideoErrorKind`.
    """

    def __init__(self, path: str | os.PathLike[str], reason: str, kind: str = "other") -> None:
        self.path = os.fspath(path)
        self.reason = reason
        self.kind: VideoErrorKind = check_kind(kind)
        super().__init__(self.message())

    def message(self) -> str:
        """The error's text: the file, the reason, what to do."""
        return (
            f"cannot use video {self.path}: {self.reason}. Re-encode or remove the file, or "
            "pass on_error='skip' to leave it out"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.path, self.reason, self.kind)


def check_kind(kind: str) -> VideoErrorKind:
    """``kind`` if it is a :data:`VideoErrorKind`, else ``ValueError`` listing the kinds."""
    if kind not in VIDEO_ERROR_KINDS:
        raise ValueError(f"kind ({kind!r}) must be one of {', '.join(VIDEO_ERROR_KINDS)}")
    return kind


# Exception type -> kind, most specific first (PyAV's errors subclass the built-in ones, e.g.
# av.FileNotFoundError is a FileNotFoundError; av.InvalidDataError is a ValueError).
_EXCEPTION_KINDS: tuple[tuple[str, VideoErrorKind], ...] = (
    ("FileNotFoundError", "missing"),
    ("PermissionError", "permission"),
    ("IsADirectoryError", "not_a_file"),
    ("NotADirectoryError", "not_a_file"),
    ("DecoderNotFoundError", "unsupported_codec"),
    ("InvalidDataError", "corrupt"),
    ("EOFError", "truncated"),
    ("OSError", "unreadable"),
)


def exception_kind(
    error: BaseException, default: VideoErrorKind = "decode_error"
) -> VideoErrorKind:
    """The kind of problem an exception from a decoder or the file system describes.

    The one place where an outside error (FFmpeg's through PyAV, the operating system's) gets a
    kind: by its type, never by its text. A :class:`VideoError` keeps its own kind.

    Args:
        error: The exception caught while reading or decoding a video.
        default: The kind of an exception of no known type. Default: ``"decode_error"``.

    Returns:
        Its :data:`VideoErrorKind`.
    """
    if isinstance(error, VideoError):
        return error.kind
    names = {cls.__name__ for cls in type(error).__mro__}
    if "FFmpegError" in names and getattr(error, "filename", None) is None:
        # raised while demuxing or decoding, not opening a file: FFmpeg's errno-style codes
        # (EPERM "Operation not permitted", ENOENT...) then describe the data, not the file
        if "InvalidDataError" in names:
            return "corrupt"
        return "truncated" if "EOFError" in names else default
    for name, kind in _EXCEPTION_KINDS:
        if name in names:
            return kind
    return default
