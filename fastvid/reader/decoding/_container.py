"""Open a video as a PyAV container, local or remote: the workers' one way in.

Local files keep ``av.open(path)`` (FFmpeg reads them itself); URLs go through the storage
layer's seekable ranged file, which PyAV reads like any file object. Metadata that is not
UTF-8 is ignored, as the index does.
"""

from __future__ import annotations

from typing import Any, BinaryIO

import av

from fastvid.data.storage import FileStat, Storage, is_remote

__all__ = ["OpenContainer"]


class OpenContainer:
    """A PyAV container of ``path`` and, for a URL, the ranged file under it.

    Args:
        path: A local path or any fsspec URL.
        storage: How URLs are read. Default: ``None``, local defaults.
        known: The object's stat if already known (saves a request for a URL).

    Raises:
        av.FFmpegError, OSError: The file cannot be opened (the ranged file is closed first).
    """

    def __init__(
        self, path: str, storage: Storage | None = None, *, known: FileStat | None = None
    ) -> None:
        self._file: BinaryIO | None = None
        if not is_remote(path):
            self.container: Any = av.open(path, metadata_errors="ignore")
            return
        self._file = (storage or Storage()).open(path, known=known)
        try:
            self.container = av.open(self._file, metadata_errors="ignore")
        except BaseException:
            self._file.close()
            raise

    def close(self) -> None:
        """Close the container, then the file under it."""
        self.container.close()
        if self._file is not None:
            self._file.close()
            self._file = None
