"""``LabeledVideoPaths``: PyTorchVideo's list of ``(video path, {"label": i})`` pairs.

Read from a ``path label`` list file or a class-per-folder tree, as PyTorchVideo 0.1.5 reads
them; the paths are kept as written and joined to ``path_prefix`` when an item is read.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from fastvid.data import layout
from fastvid.data.storage import StorageLike, as_storage, redact

__all__ = ["LabeledVideoPaths", "PyTorchVideoAssertionError"]

#: The extensions PyTorchVideo's ``from_directory`` lists (torchvision's ``make_dataset``).
DIRECTORY_EXTENSIONS = ("mp4", "avi")


class PyTorchVideoAssertionError(ValueError, AssertionError):
    """A bad value PyTorchVideo rejected with ``assert``: a ``ValueError`` that is also an
    ``AssertionError``, so code written for PyTorchVideo that catches the latter still works."""


class LabeledVideoPaths:
    """Pairs of video path and ``{"label": label}``; PyTorchVideo 0.1.5's class, same API.

    ``paths[i]`` is ``(os.path.join(path_prefix, path), {"label": label})``; ``len(paths)`` is
    the number of videos. Set ``paths.path_prefix = "/data/videos"`` to prefix relative paths
    .

    Args:
        paths_and_labels: ``(path, label)`` pairs; a label may be any value (``-1``: none).
        path_prefix: Joined before every path when an item is read. Default: ``""``.
    """

    def __init__(self, paths_and_labels: Sequence[tuple[str, Any]], path_prefix: str = "") -> None:
        self._paths_and_labels = list(paths_and_labels)
        self._path_prefix = os.fspath(path_prefix)

    @classmethod
    def from_path(
        cls, data_path: str | os.PathLike[str], *, storage_options: StorageLike = None
    ) -> LabeledVideoPaths:
        """A list file (:meth:`from_csv`) or a class-per-folder tree (:meth:`from_directory`).

        Args:
            data_path: The file or folder; a local path or an fsspec URL.
            storage_options: fsspec options for a URL (fastvid option). Default: ``None``.

        Raises:
            FileNotFoundError: ``data_path`` is neither a file nor a folder.
        """
        storage = as_storage(storage_options)
        kind = storage.kind(os.fspath(data_path))
        if kind == "file":
            return cls.from_csv(data_path, storage_options=storage)
        if kind == "directory":
            return cls.from_directory(data_path, storage_options=storage)
        raise FileNotFoundError(f"{redact(os.fspath(data_path))} not found")

    @classmethod
    def from_csv(
        cls, file_path: str | os.PathLike[str], *, storage_options: StorageLike = None
    ) -> LabeledVideoPaths:
        """Read ``<path> <integer label>`` lines (a line with only a path: label ``-1``).

        The label is the last whitespace-separated field, so paths may contain spaces. Paths
        are kept as written (joined to ``path_prefix`` when read). Blank lines are skipped.

        Args:
            file_path: The list file; a local path or an fsspec URL.
            storage_options: fsspec options for a URL (fastvid option). Default: ``None``.

        Raises:
            FileNotFoundError: The file does not exist.
            ValueError: A label is not an integer (the error names the line), or the file
                lists no videos (also an ``AssertionError``, as PyTorchVideo raised).
        """
        storage = as_storage(storage_options)
        name = os.fspath(file_path)
        if storage.kind(name) != "file":
            raise FileNotFoundError(f"{redact(name)} not found")
        pairs: list[tuple[str, Any]] = []
        for number, line in enumerate(storage.read_text(name).splitlines(), start=1):
            fields = line.rsplit(None, 1)
            if not fields:
                continue
            if len(fields) == 1:
                pairs.append((fields[0], -1))
                continue
            try:
                pairs.append((fields[0], int(fields[1])))
            except ValueError:
                raise ValueError(
                    f"line {number} of {redact(name)}: the label {fields[1]!r} is not an "
                    f"integer; write '<path> <integer label>'"
                ) from None
        if not pairs:
            raise PyTorchVideoAssertionError(f"Failed to load dataset from {redact(name)}.")
        return cls(pairs)

    @classmethod
    def from_directory(
        cls, dir_path: str | os.PathLike[str], *, storage_options: StorageLike = None
    ) -> LabeledVideoPaths:
        """A class-per-folder tree: ``dir_path/<class>/<video>.mp4``, classes labelled
        ``0 ..`` in sorted order, ``.mp4`` and ``.avi`` files only (PyTorchVideo's choice)::

            dir_path/class_x/xxx.mp4
            dir_path/class_x/xxy.avi
            dir_path/class_y/123.mp4

        gives labels 0, 0, 1. Listing order: :func:`fastvid.data.layout.from_folder`'s, which
        is torchvision ``make_dataset``'s (hidden files are skipped).

        Raises:
            FileNotFoundError: ``dir_path`` does not exist.
            ValueError: It has no class folders, or a class folder holds no ``.mp4``/``.avi``.
        """
        videos = layout.from_folder(
            dir_path, extensions=DIRECTORY_EXTENSIONS, storage_options=storage_options
        )
        return cls([(video.path, video.label) for video in videos.videos])

    @property
    def path_prefix(self) -> str:
        """Joined before every path when an item is read (settable, as in PyTorchVideo)."""
        return self._path_prefix

    @path_prefix.setter
    def path_prefix(self, prefix: str | os.PathLike[str]) -> None:
        self._path_prefix = os.fspath(prefix)

    def __getitem__(self, index: int) -> tuple[str, dict[str, Any]]:
        path, label = self._paths_and_labels[index]
        return (os.path.join(self._path_prefix, path), {"label": label})

    def __len__(self) -> int:
        return len(self._paths_and_labels)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} videos, path_prefix={self._path_prefix!r})"
