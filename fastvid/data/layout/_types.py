"""The result of every layout loader: :class:`LabeledVideoList` of :class:`LabeledVideo`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import overload

__all__ = ["NO_LABEL", "VIDEO_EXTENSIONS", "LabeledVideo", "LabeledVideoList", "PathLike"]

VIDEO_EXTENSIONS: tuple[str, ...] = (
    ".mp4",
    ".avi",
    ".mkv",
    ".mov",
    ".webm",
    ".m4v",
    ".mpg",
    ".mpeg",
    ".flv",
    ".wmv",
    ".ogv",
    ".3gp",
)

# PyTorchVideo's label for "no label" (an unlabeled test split in its CSV format).
NO_LABEL = -1

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class LabeledVideo:
    """One video file and its label.

    Attributes:
        path: Absolute path of the video file.
        label: Index into :attr:`LabeledVideoList.classes`, or ``-1`` for an unlabeled video.
    """

    path: str
    label: int


@dataclass(frozen=True)
class LabeledVideoList:
    """An immutable, ordered list of labeled videos and the class names the labels index into.

    Attributes:
        videos: The videos, in a deterministic order.
        classes: Class names; ``classes[video.label]`` is the name of a video's class.
    """

    videos: tuple[LabeledVideo, ...]
    classes: tuple[str, ...]

    def __post_init__(self) -> None:
        num_classes = len(self.classes)
        for video in self.videos:
            if video.label != NO_LABEL and not 0 <= video.label < num_classes:
                raise ValueError(
                    f"label {video.label} of {video.path} is out of range: there are "
                    f"{num_classes} classes, so labels must be in [0, {num_classes - 1}] "
                    f"(or {NO_LABEL} for no label)"
                )

    def __len__(self) -> int:
        return len(self.videos)

    def __iter__(self) -> Iterator[LabeledVideo]:
        return iter(self.videos)

    @overload
    def __getitem__(self, index: int) -> LabeledVideo: ...

    @overload
    def __getitem__(self, index: slice) -> LabeledVideoList: ...

    def __getitem__(self, index: int | slice) -> LabeledVideo | LabeledVideoList:
        if isinstance(index, slice):
            return LabeledVideoList(self.videos[index], self.classes)
        return self.videos[index]

    @property
    def paths(self) -> list[str]:
        """The video paths, in order."""
        return [video.path for video in self.videos]

    def as_pytorchvideo(self) -> list[tuple[str, dict[str, int]]]:
        """Return the list in PyTorchVideo's ``labeled_video_paths`` form.

        Returns:
            ``[(path, {"label": label}), ...]``, what ``LabeledVideoDataset`` accepts.
        """
        return [(video.path, {"label": video.label}) for video in self.videos]
