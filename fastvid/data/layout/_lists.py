"""Video lists: CSV/text files of ``path label`` lines, and in-memory ``(path, label)`` pairs."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence

from fastvid.data.layout._checks import (
    check_classes,
    check_exists,
    check_extension,
    check_label,
    has_extension,
    normalize_extensions,
)
from fastvid.data.layout._types import (
    NO_LABEL,
    VIDEO_EXTENSIONS,
    LabeledVideo,
    LabeledVideoList,
    PathLike,
)
from fastvid.data.storage import StorageLike, as_storage, is_remote, join, normalize, parent, redact

__all__ = ["from_csv", "from_pairs"]

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
    storage_options: StorageLike = None,
) -> LabeledVideoList:
    """Read a list file of ``path label`` lines (PyTorchVideo's format, CSV or TSV).

    Each line is a video path and its label, separated by spaces, a comma or a tab::

        # comments and blank lines are skipped
        archery/a01.mp4 0
        archery/a02.mkv,0
        bowling/b 01.mp4\tbowling

    The list file, ``root`` and the listed videos may be URLs (``s3://...``, ``https://...``,
    any fsspec URL); relative video paths in a remote list resolve against its folder. Listed
    remote videos are not checked one by one here (that would cost a request each): one that
    does not exist is reported when the index is built.

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
        storage_options: fsspec options for remote files (credentials, endpoint), as in
            Flash and pandas. Default: ``None``.

    Returns:
        The videos in file order.

    Raises:
        FileNotFoundError: The list file or a listed video does not exist (the error names the
            line number).
        ValueError: A malformed line, an unknown class name, a label out of range, a file with
            an unknown extension, or a list with no videos.
    """
    exts = normalize_extensions(extensions)
    wanted = check_classes(classes)
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise ValueError(f"delimiter must be one character such as ',' or None, got {delimiter!r}")
    list_path = normalize(path)
    storage = as_storage(storage_options)
    if storage.kind(list_path) != "file":
        raise FileNotFoundError(f"video list file {redact(list_path)} does not exist")
    base = normalize(root) if root is not None else parent(list_path)

    pairs: list[tuple[str, int | str]] = []
    where: list[str] = []
    lines = storage.read_text(list_path).splitlines()
    for line_number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        location = f" (line {line_number} of {redact(list_path)})"
        video, label = _split_line(line, delimiter, exts, location)
        is_header = not pairs and isinstance(label, str) and _looks_like_header(video)
        if is_header:
            continue
        full = join(base, video)
        check_extension(full, exts, location)
        if not is_remote(full):
            check_exists(full, location)
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
        if match is None or has_extension(match["label"], extensions):
            return line, NO_LABEL
        parts = [match["path"], match["label"]]
    else:
        parts = [part.strip() for part in line.rsplit(delimiter, 1)]
    if len(parts) == 1 or not parts[1]:
        return parts[0], NO_LABEL
    video, label_text = parts
    label: int | str = int(label_text) if re.fullmatch(r"-?\d+", label_text) else label_text
    return video, check_label(label, location)


def from_pairs(
    pairs: Iterable[tuple[str | os.PathLike[str], int | str]],
    *,
    classes: Sequence[str] | None = None,
    extensions: Sequence[str] = VIDEO_EXTENSIONS,
) -> LabeledVideoList:
    """Build a list from ``(path, label)`` pairs.

    Args:
        pairs: Video paths (local ones made absolute; URLs kept) and labels, all integers or
            all class names.
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
    exts = normalize_extensions(extensions)
    wanted = check_classes(classes)
    checked: list[tuple[str, int | str]] = []
    where: list[str] = []
    for position, pair in enumerate(pairs):
        location = f" (pair {position})"
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise TypeError(f"pairs must be (path, label) tuples, got {pair!r}{location}")
        video, label = pair
        if not isinstance(video, str | os.PathLike):
            raise TypeError(f"video path {video!r}{location} must be a str or os.PathLike")
        full = normalize(video)
        check_extension(full, exts, location)
        if not is_remote(full):  # a remote one is checked when the index is built
            check_exists(full, location)
        checked.append((full, check_label(label, location)))
        where.append(location)
    if not checked:
        raise ValueError("pairs is empty: from_pairs needs at least one (path, label) pair")
    return _label_pairs(checked, where, wanted)


def _label_pairs(
    pairs: list[tuple[str, int | str]], where: list[str], classes: tuple[str, ...] | None
) -> LabeledVideoList:
    """Turn labels that are all ints or all class names into integer labels and class names."""
    named = [label for _, label in pairs if isinstance(label, str)]
    numbered = [label for _, label in pairs if isinstance(label, int) and label != NO_LABEL]
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
        names = tuple(str(i) for i in range(max(numbered, default=NO_LABEL) + 1))
    for (video, label), location in zip(pairs, where, strict=True):
        if isinstance(label, int) and label >= len(names):
            raise ValueError(
                f"label {label} of {video}{location} is out of range: there are {len(names)} "
                f"classes {list(names)}"
            )
    return LabeledVideoList(tuple(LabeledVideo(v, int(lab)) for v, lab in pairs), names)
