"""Class-per-folder trees: every video below ``root/<class>/`` has that class."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence

from fastvid.data.layout._checks import (
    check_classes,
    choose_class_folders,
    has_extension,
    normalize_extensions,
)
from fastvid.data.layout._remote import remote_folder
from fastvid.data.layout._types import (
    VIDEO_EXTENSIONS,
    LabeledVideo,
    LabeledVideoList,
    PathLike,
)
from fastvid.data.storage import StorageLike, as_storage, is_remote, normalize

__all__ = ["from_folder"]


def from_folder(
    root: PathLike,
    *,
    extensions: Sequence[str] = VIDEO_EXTENSIONS,
    classes: Sequence[str] | None = None,
    follow_symlinks: bool = True,
    storage_options: StorageLike = None,
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

    gives ``classes == ("archery", "bowling")`` with labels 0 and 1. ``root`` may be a URL
    (``s3://bucket/kinetics/train``, ``gs://...``, ``https://...`` with HTML listings, any
    fsspec URL): the tree is listed the same way and the videos are URLs. The order is deterministic
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
        storage_options: fsspec options for a remote ``root`` (credentials, endpoint), as in
            Flash and pandas. Default: ``None``.

    Returns:
        The videos with labels ``0 .. len(classes) - 1``.

    Raises:
        FileNotFoundError: ``root`` or a requested class folder does not exist.
        NotADirectoryError: ``root`` is not a folder.
        ValueError: ``root`` has no class folders, or a class folder holds no videos.
    """
    exts = normalize_extensions(extensions)
    wanted = check_classes(classes)
    if is_remote(root):
        return remote_folder(os.fspath(root), exts, wanted, as_storage(storage_options))
    root_str = normalize(root)
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
    class_names = choose_class_folders(found, wanted, root_str)

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
            elif has_extension(entry.name, extensions):
                if entry.is_file():
                    files.append(entry.name)
                elif entry.is_symlink():
                    warnings.warn(f"skipping broken symlink {entry.path}", RuntimeWarning, 3)
        folders.append((folder, sorted(files)))
    folders.sort(key=lambda item: item[0])
    return [os.path.join(folder, name) for folder, files in folders for name in files]
