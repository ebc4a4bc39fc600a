"""The result of every layout loader: :class:`LabeledVideoList` of :class:`LabeledVideo`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, overload

if TYPE_CHECKING:
    from fastvid.data.layout._targets import TargetFormat

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
        label: Index into :attr:`LabeledVideoList.classes`, or ``-1`` for an unlabeled (or a
            multi-label) video.
        target: A multi-label video's target: one value per class (``1.0`` for each of its
            classes, ``0.0`` for the others; soft targets in between). ``None`` for a
            single-label or unlabeled video.
    """

    path: str
    label: int
    target: tuple[float, ...] | None = None


@dataclass(frozen=True)
class LabeledVideoList:
    """An immutable, ordered list of labeled videos and the class names the labels index into.

    Attributes:
        videos: The videos, in a deterministic order.
        classes: Class names; ``classes[video.label]`` is the name of a video's class, and
            ``video.target[i]`` is a multi-label video's value for ``classes[i]``.
        target_format: How the targets were read from a table (see
            :func:`~fastvid.data.layout.from_data_frame`), so that later stages read theirs
            the same way; ``None`` for the other loaders. Not compared.
    """

    videos: tuple[LabeledVideo, ...]
    classes: tuple[str, ...]
    target_format: TargetFormat | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        num_classes = len(self.classes)
        with_target = sum(video.target is not None for video in self.videos)
        if 0 < with_target < len(self.videos):
            raise ValueError(
                f"{with_target} of {len(self.videos)} videos have multi-label targets: a list "
                "is either multi-label (every video has a target) or single-label (none has)"
            )
        for video in self.videos:
            if video.target is not None and len(video.target) != num_classes:
                raise ValueError(
                    f"the target of {video.path} has {len(video.target)} values but there are "
                    f"{num_classes} classes; give one value per class"
                )
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
            return LabeledVideoList(self.videos[index], self.classes, self.target_format)
        return self.videos[index]

    @property
    def multi_label(self) -> bool:
        """Whether the videos have multi-label targets (:attr:`LabeledVideo.target`)."""
        return any(video.target is not None for video in self.videos)

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
