"""Where the videos are and what their labels are: folders, CSV/text lists, in-memory pairs.

Every loader returns a :class:`LabeledVideoList`, an immutable list of (absolute path, integer
label) with the class names the labels index into. Nothing here opens a video: probing is the job
of :mod:`fastvid.data.index`.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import overload

__all__ = [
    "VIDEO_EXTENSIONS",
    "LabeledVideo",
    "LabeledVideoList",
    "from_csv",
    "from_folder",
    "from_pairs",
]

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
_NO_LABEL = -1

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
            if video.label != _NO_LABEL and not 0 <= video.label < num_classes:
                raise ValueError(
                    f"label {video.label} of {video.path} is out of range: there are "
                    f"{num_classes} classes, so labels must be in [0, {num_classes - 1}] "
                    f"(or {_NO_LABEL} for no label)"
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


# --------------------------------------------------------------------------------------------
# Validation helpers


def _normalize_extensions(extensions: Sequence[str]) -> tuple[str, ...]:
    if isinstance(extensions, str):
        raise TypeError(
            f"extensions must be a sequence of strings such as ('.mp4', '.avi'), "
            f"got the string {extensions!r}"
        )
    normalized = []
    for ext in extensions:
        if not isinstance(ext, str) or not ext.strip("."):
            raise ValueError(f"extensions must be non-empty strings like '.mp4', got {ext!r}")
        normalized.append("." + ext.lower().lstrip("."))
    if not normalized:
        raise ValueError("extensions must not be empty; default: fastvid VIDEO_EXTENSIONS")
    return tuple(normalized)


def _has_extension(name: str, extensions: tuple[str, ...]) -> bool:
    return name.lower().endswith(extensions)


def _validate_extension(path: str, extensions: tuple[str, ...], where: str) -> None:
    if not _has_extension(path, extensions):
        raise ValueError(
            f"{path}{where} is not a video file: its extension is not one of "
            f"{', '.join(extensions)} (compared case-insensitively); pass extensions=(...) "
            f"to accept other extensions"
        )


def _validate_exists(path: str, where: str) -> None:
    if not os.path.isfile(path):
        what = "is not a file" if os.path.exists(path) else "does not exist"
        raise FileNotFoundError(f"video file {path}{where} {what}")


def _validate_classes(classes: Sequence[str] | None) -> tuple[str, ...] | None:
    if classes is None:
        return None
    if isinstance(classes, str):
        raise TypeError(f"classes must be a sequence of class names, got the string {classes!r}")
    result = tuple(classes)
    for name in result:
        if not isinstance(name, str) or not name:
            raise TypeError(f"class names must be non-empty strings, got {name!r}")
    duplicates = sorted({name for name in result if result.count(name) > 1})
    if duplicates:
        raise ValueError(f"classes must be unique, got duplicates {duplicates}")
    return result


def _validate_label(label: object, where: str) -> int | str:
    if isinstance(label, bool) or not isinstance(label, int | str):
        raise TypeError(
            f"label {label!r}{where} must be an int or a class name (str), "
            f"got {type(label).__name__}"
        )
    if isinstance(label, int) and label < _NO_LABEL:
        raise ValueError(
            f"label {label}{where} must be >= 0 (or {_NO_LABEL} for no label, "
            f"as in PyTorchVideo's CSV format)"
        )
    if isinstance(label, str) and not label:
        raise ValueError(f"label{where} is an empty class name")
    return label


# --------------------------------------------------------------------------------------------
# Folder layout


def from_folder(
    root: PathLike,
    *,
    extensions: Sequence[str] = VIDEO_EXTENSIONS,
    classes: Sequence[str] | None = None,
    follow_symlinks: bool = True,
) -> LabeledVideoList:
    """List a class-per-folder dataset.

    The immediate sub-folders of ``root`` are the classes; every video below a class folder, at
    any depth, belongs to that class::

        root/
        ├── archery/
        │   ├── a01.mp4
        │   └── takes/            # nested folders are fine: still "archery"
        │       └── a02.mkv
        ├── bowling/
        │   ├── b01.MP4           # extensions are compared case-insensitively
        │   └── .b02.mp4          # hidden files and folders (".*") are ignored
        └── notes.txt             # files directly in root are ignored

    gives ``classes == ("archery", "bowling")`` with labels 0 and 1. The order is deterministic
    and matches PyTorchVideo's ``LabeledVideoPaths.from_directory`` (torchvision's
    ``make_dataset``): class by class, folders in sorted path order, files sorted by name.

    Args:
        root: The dataset folder.
        extensions: File extensions (with or without the dot) that count as videos.
            Default: :data:`VIDEO_EXTENSIONS`.
        classes: Class names in label order. Only these sub-folders are read (each must exist);
            other sub-folders are ignored. Default: ``None``, every non-hidden sub-folder in
            sorted order.
        follow_symlinks: Descend into symlinked folders. A symlink that points back to one of
            its own parent folders (a loop) is skipped with a warning. Default: ``True``.

    Returns:
        The videos with labels ``0 .. len(classes) - 1``.

    Raises:
        FileNotFoundError: ``root`` or a requested class folder does not exist.
        NotADirectoryError: ``root`` is not a folder.
        ValueError: ``root`` has no class folders, or a class folder holds no videos.
    """
    exts = _normalize_extensions(extensions)
    wanted = _validate_classes(classes)
    root_str = os.path.abspath(os.fspath(root))
    if not os.path.exists(root_str):
        raise FileNotFoundError(f"dataset folder {root_str} does not exist")
    if not os.path.isdir(root_str):
        raise NotADirectoryError(
            f"dataset root {root_str} is not a folder; from_folder expects root/<class>/<video> "
            f"(use from_csv for a list file)"
        )

    found = sorted(
        entry.name
        for entry in os.scandir(root_str)
        if not entry.name.startswith(".") and entry.is_dir(follow_symlinks=follow_symlinks)
    )
    if wanted is None:
        class_names = tuple(found)
        if not class_names:
            raise ValueError(
                f"dataset folder {root_str} has no class sub-folders; expected "
                f"root/<class>/<video> with one folder per class"
            )
    else:
        missing = [name for name in wanted if name not in found]
        if missing:
            raise FileNotFoundError(
                f"class folders {missing} not found in {root_str}; its class folders are {found}"
            )
        class_names = wanted

    videos: list[LabeledVideo] = []
    for label, name in enumerate(class_names):
        class_dir = os.path.join(root_str, name)
        paths = _walk_videos(class_dir, exts, follow_symlinks=follow_symlinks, root=root_str)
        if not paths:
            raise ValueError(
                f"class folder {class_dir} has no videos with extensions {', '.join(exts)} "
                f"(hidden files ignored); pass extensions=(...) if your videos use another one"
            )
        videos.extend(LabeledVideo(path, label) for path in paths)
    return LabeledVideoList(tuple(videos), class_names)


def _walk_videos(
    top: str, extensions: tuple[str, ...], *, follow_symlinks: bool, root: str
) -> list[str]:
    """All non-hidden video files below ``top``, in torchvision ``make_dataset`` order."""
    folders: list[tuple[str, list[str]]] = []
    # Depth-first with the real paths of the current folder's ancestors (from the dataset root
    # down), so a symlink back to any of them is a loop.
    stack: list[tuple[str, tuple[str, ...]]] = [(top, (os.path.realpath(root),))]
    while stack:
        folder, ancestors = stack.pop()
        real = os.path.realpath(folder)
        if real in ancestors:
            warnings.warn(
                f"skipping {folder}: a symlink loop (it points back to its parent folder {real})",
                RuntimeWarning,
                stacklevel=3,
            )
            continue
        try:
            entries = list(os.scandir(folder))
        except OSError as err:
            warnings.warn(f"skipping unreadable folder {folder}: {err}", RuntimeWarning, 3)
            continue
        files = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=follow_symlinks):
                stack.append((entry.path, (*ancestors, real)))
            elif _has_extension(entry.name, extensions):
                if entry.is_file():
                    files.append(entry.name)
                elif entry.is_symlink():
                    warnings.warn(f"skipping broken symlink {entry.path}", RuntimeWarning, 3)
        folders.append((folder, sorted(files)))
    folders.sort(key=lambda item: item[0])
    return [os.path.join(folder, name) for folder, files in folders for name in files]


# --------------------------------------------------------------------------------------------
# CSV / text lists and in-memory pairs

# "path label" with a tab, a comma or spaces before the label; the label has no separators, so
# the lazy path group splits at the last separator and paths may contain spaces or commas.
_LINE = re.compile(r"^(?P<path>.+?)\s*[,\s]\s*(?P<label>[^,\s]+)$")


def from_csv(
    path: PathLike,
    *,
    root: PathLike | None = None,
    classes: Sequence[str] | None = None,
    delimiter: str | None = None,
    extensions: Sequence[str] = VIDEO_EXTENSIONS,
) -> LabeledVideoList:
    """Read a list file of ``path label`` lines (PyTorchVideo's format, CSV or TSV).

    Each line is a video path and its label, separated by spaces, a comma or a tab::

        # comments and blank lines are skipped
        archery/a01.mp4 0
        archery/a02.mkv,0
        bowling/b 01.mp4\tbowling

    Labels are integers or class names (one kind per file). A line with only a path gets label
    ``-1`` (PyTorchVideo's unlabeled test split). A first line such as ``path,label`` (a label
    that is not an integer after a word with no ``.`` or ``/``) is taken as a header and skipped.

    Args:
        path: The list file.
        root: Folder that relative video paths are resolved against. Default: ``None``, the
            list file's folder.
        classes: Class names in label order. With class-name labels each must be listed here;
            with integer labels they must be ``< len(classes)``. Default: ``None``, the sorted
            unique class names, or ``"0" .. str(max_label)`` for integer labels.
        delimiter: The separator before the label (``" "``, ``","`` or ``"\\t"``); the label is
            taken after its last occurrence. Default: ``None``, any of the three (paths may
            contain spaces or commas; labels may not).
        extensions: Extensions accepted for listed files. Default: :data:`VIDEO_EXTENSIONS`.

    Returns:
        The videos in file order.

    Raises:
        FileNotFoundError: The list file or a listed video does not exist (the error names the
            line number).
        ValueError: A malformed line, an unknown class name, a label out of range, a file with
            an unknown extension, or a list with no videos.
    """
    exts = _normalize_extensions(extensions)
    wanted = _validate_classes(classes)
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise ValueError(f"delimiter must be one character such as ',' or None, got {delimiter!r}")
    list_path = os.path.abspath(os.fspath(path))
    if not os.path.isfile(list_path):
        raise FileNotFoundError(f"video list file {list_path} does not exist")
    base = os.path.abspath(os.fspath(root)) if root is not None else os.path.dirname(list_path)

    pairs: list[tuple[str, int | str]] = []
    where: list[str] = []
    with open(list_path, encoding="utf-8") as handle:
        for line_number, raw in enumerate(handle, start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            location = f" (line {line_number} of {list_path})"
            video, label = _split_line(line, delimiter, exts, location)
            is_header = not pairs and isinstance(label, str) and _looks_like_header(video)
            if is_header:
                continue
            full = os.path.normpath(os.path.join(base, os.path.expanduser(video)))
            _validate_extension(full, exts, location)
            _validate_exists(full, location)
            pairs.append((full, label))
            where.append(location)
    if not pairs:
        raise ValueError(f"video list file {list_path} lists no videos")
    return _label_pairs(pairs, where, wanted)


def _looks_like_header(field: str) -> bool:
    return "." not in field and "/" not in field and os.sep not in field


def _split_line(
    line: str, delimiter: str | None, extensions: tuple[str, ...], location: str
) -> tuple[str, int | str]:
    if delimiter is None:
        match = _LINE.match(line)
        # "my clip.mp4" is one path with no label, not path "my" with label "clip.mp4".
        if match is None or _has_extension(match["label"], extensions):
            return line, _NO_LABEL
        parts = [match["path"], match["label"]]
    else:
        parts = [part.strip() for part in line.rsplit(delimiter, 1)]
    if len(parts) == 1 or not parts[1]:
        return parts[0], _NO_LABEL
    video, label_text = parts
    label: int | str = int(label_text) if re.fullmatch(r"-?\d+", label_text) else label_text
    return video, _validate_label(label, location)


def from_pairs(
    pairs: Iterable[tuple[str | os.PathLike[str], int | str]],
    *,
    classes: Sequence[str] | None = None,
    extensions: Sequence[str] = VIDEO_EXTENSIONS,
) -> LabeledVideoList:
    """Build a list from ``(path, label)`` pairs.

    Args:
        pairs: Video paths (made absolute) and labels, all integers or all class names.
        classes: Class names in label order. Default: ``None``, the sorted unique class names,
            or ``"0" .. str(max_label)`` for integer labels.
        extensions: Extensions accepted for the files. Default: :data:`VIDEO_EXTENSIONS`.

    Returns:
        The videos in the given order.

    Raises:
        FileNotFoundError: A file does not exist.
        TypeError: A pair is not ``(path, int | str)``.
        ValueError: An unknown class name, a label out of range, an unknown extension, or no
            pairs.
    """
    exts = _normalize_extensions(extensions)
    wanted = _validate_classes(classes)
    checked: list[tuple[str, int | str]] = []
    where: list[str] = []
    for position, pair in enumerate(pairs):
        location = f" (pair {position})"
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise TypeError(f"pairs must be (path, label) tuples, got {pair!r}{location}")
        video, label = pair
        if not isinstance(video, str | os.PathLike):
            raise TypeError(f"video path {video!r}{location} must be a str or os.PathLike")
        full = os.path.abspath(os.fspath(video))
        _validate_extension(full, exts, location)
        _validate_exists(full, location)
        checked.append((full, _validate_label(label, location)))
        where.append(location)
    if not checked:
        raise ValueError("pairs is empty: from_pairs needs at least one (path, label) pair")
    return _label_pairs(checked, where, wanted)


def _label_pairs(
    pairs: list[tuple[str, int | str]], where: list[str], classes: tuple[str, ...] | None
) -> LabeledVideoList:
    """Turn labels that are all ints or all class names into integer labels and class names."""
    named = [label for _, label in pairs if isinstance(label, str)]
    numbered = [label for _, label in pairs if isinstance(label, int) and label != _NO_LABEL]
    if named and numbered:
        first_int = next(i for i, (_, lab) in enumerate(pairs) if isinstance(lab, int))
        first_str = next(i for i, (_, lab) in enumerate(pairs) if isinstance(lab, str))
        raise ValueError(
            f"labels mix integers and class names: {pairs[first_int][1]!r}{where[first_int]} "
            f"and {pairs[first_str][1]!r}{where[first_str]}; use one kind"
        )
    if named:
        names = classes if classes is not None else tuple(sorted(set(named)))
        to_index = {name: index for index, name in enumerate(names)}
        videos = []
        for (video, label), location in zip(pairs, where, strict=True):
            if isinstance(label, str) and label not in to_index:
                raise ValueError(
                    f"unknown class name {label!r}{location}; classes are {list(names)}"
                )
            index = to_index[label] if isinstance(label, str) else label
            videos.append(LabeledVideo(video, index))
        return LabeledVideoList(tuple(videos), names)

    if classes is not None:
        names = classes
    else:
        names = tuple(str(i) for i in range(max(numbered, default=_NO_LABEL) + 1))
    for (video, label), location in zip(pairs, where, strict=True):
        if isinstance(label, int) and label >= len(names):
            raise ValueError(
                f"label {label} of {video}{location} is out of range: there are {len(names)} "
                f"classes {list(names)}"
            )
    return LabeledVideoList(tuple(LabeledVideo(v, int(lab)) for v, lab in pairs), names)
