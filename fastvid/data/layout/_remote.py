"""Class-per-folder trees in object stores and on web servers (any fsspec URL).

The same rules as local trees (:func:`fastvid.data.layout.from_folder`): the immediate
sub-folders of the root are the classes, every video below one (at any depth) has its class,
hidden files and folders (``.*``) are ignored, folders in sorted order and files sorted by name.
One listing call per class (``find``: a paginated prefix listing on S3/GCS).
"""

from __future__ import annotations

import posixpath

from fastvid.data.layout._checks import choose_class_folders, has_extension
from fastvid.data.layout._types import LabeledVideo, LabeledVideoList
from fastvid.data.storage import Storage, basename, redact

__all__ = ["remote_folder"]


def remote_folder(
    root: str, extensions: tuple[str, ...], wanted: tuple[str, ...] | None, storage: Storage
) -> LabeledVideoList:
    """List a remote class-per-folder tree (see :func:`~fastvid.data.layout.from_folder`)."""
    kind = storage.kind(root)
    if kind == "missing":
        raise FileNotFoundError(f"dataset folder {redact(root)} does not exist")
    if kind == "file":
        raise NotADirectoryError(
            f"dataset root {redact(root)} is not a folder; from_folder expects "
            f"root/<class>/<video> (use from_csv for a list file)"
        )
    folders = {basename(url): url for url, is_dir in storage.list_dir(root) if is_dir}
    found = sorted(name for name in folders if not name.startswith("."))
    class_names = choose_class_folders(found, wanted, redact(root))

    videos: list[LabeledVideo] = []
    for label, name in enumerate(class_names):
        class_url = folders[name]
        urls = _videos_below(class_url, storage.walk_files(class_url), extensions)
        if not urls:
            raise ValueError(
                f"class folder {redact(class_url)} has no videos with extensions "
                f"{', '.join(extensions)} (hidden files ignored); pass extensions=(...) if your "
                f"videos use another one"
            )
        videos.extend(LabeledVideo(url, label) for url in urls)
    return LabeledVideoList(tuple(videos), class_names)


def _videos_below(top: str, urls: list[str], extensions: tuple[str, ...]) -> list[str]:
    """The non-hidden videos among ``urls`` (files below ``top``), in local listing order."""
    prefix = top.partition("::")[0].rstrip("/") + "/"
    keyed = []
    for url in urls:
        inner = url.partition("::")[0]
        relative = inner[len(prefix) :] if inner.startswith(prefix) else posixpath.basename(inner)
        parts = relative.split("/")
        if any(part.startswith(".") for part in parts) or not has_extension(parts[-1], extensions):
            continue
        keyed.append(((posixpath.dirname(inner), parts[-1]), url))
    keyed.sort(key=lambda item: item[0])
    return [url for _, url in keyed]
