"""A table row's video id → the video's path or URL, checked to exist (Flash's resolvers).

Local roots and ids keep the ``os`` fast path: ``os.path.join`` and ``os.path.isfile``, row
by row. A videos root or an id given as a URL (``s3://bucket/videos``,
``https://host/videos``, any fsspec URL) is joined with the storage layer's
:func:`~fastvid.data.storage.join` and checked with one stat per video (an fsspec ``info``:
a HEAD request on S3 and HTTP; HTTP adds a GET when the HEAD finds nothing), up to
:data:`STAT_THREADS` at a time. An id with no video extension, whose plain URL is missing,
costs one more stat per extension tried, in :data:`VIDEO_EXTENSIONS` order, until one exists:
up to 12 more requests per id remotely (pass ``extensions=`` with the one in use, or ids with
their extension, to save them). Errors name the resolved URL with credentials hidden
(:func:`~fastvid.data.storage.redact`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from fastvid.data.layout._checks import check_exists, check_extension, has_extension
from fastvid.data.layout._types import VIDEO_EXTENSIONS, PathLike
from fastvid.data.storage import Storage, StorageLike, as_storage, is_remote, join, normalize
from fastvid.data.storage import redact as redact_url

__all__ = ["STAT_THREADS", "Resolver", "default_resolver", "resolve_videos"]

Resolver = Callable[[Any, Any], Any]
"""``resolver(root, file_id) -> path``: turns a row's ``input_field`` value into a video file."""

STAT_THREADS = 32
"""Remote videos checked at a time (as the index cache's remote checks)."""

_HINT = "check the videos root, or pass a resolver(root, file_id) that returns the file's path"


def default_resolver(
    root: PathLike | None, file_id: Any, *, storage_options: StorageLike = None
) -> str:
    """``root/file_id`` (or ``file_id`` with no root); an id with no video extension may also
    name ``root/file_id.<ext>`` for the first of :data:`VIDEO_EXTENSIONS` that exists.

    Flash's ``default_resolver`` (plus the extensions, for lists of ids such as Kinetics').
    ``root`` or ``file_id`` may be URLs (see the module doc for what a remote check costs).

    Args:
        root: The videos root (a folder or a URL), or ``None``.
        file_id: The row's id.
        storage_options: fsspec options for URLs (credentials, endpoint). Default: ``None``.

    Raises:
        FileNotFoundError: No such file; the error names the path or URL tried.
    """
    return _resolve(root, file_id, VIDEO_EXTENSIONS, as_storage(storage_options))


def resolve_videos(
    ids: Sequence[Any],
    where: Sequence[str],
    input_field: str,
    root: PathLike | None,
    resolver: Resolver | None,
    extensions: tuple[str, ...],
    storage: Storage,
) -> list[str]:
    """The checked path (local, absolute) or URL of each row's video, in row order.

    Local rows are resolved and checked one by one, as before URLs; remote ones are checked
    :data:`STAT_THREADS` at a time after the local ones. A custom ``resolver`` is called in row
    order, in this thread.

    Raises:
        ValueError: An empty cell, a file whose extension is not in ``extensions``.
        TypeError: The resolver returned something other than a path.
        FileNotFoundError: A missing video (the resolved path or URL, then the row).
    """
    base = _base(root)
    remote_root = base is not None and _url_like(base)
    paths: list[str] = []
    later: dict[int, Callable[[], str]] = {}
    for row, (file_id, place) in enumerate(zip(ids, where, strict=True)):
        _check_cell(file_id, place, input_field)
        name = _text(file_id)
        if resolver is not None:
            path, remote = _custom(resolver, root, file_id, place, input_field, extensions)
            if remote:
                later[row] = partial(_check_remote, path, f"{place} (resolved from "
                                     f"{input_field} {file_id!r})", storage)  # fmt: skip
        elif remote_root or _url_like(name):
            later[row] = partial(_default_remote, base, name, file_id, place, extensions, storage)
            path = ""
        else:
            path = _local_default(base, name, file_id, place, input_field, extensions)
        paths.append(path)
    for row, path in zip(later, _in_threads(list(later.values())), strict=True):
        paths[row] = path
    return paths


def _check_cell(file_id: Any, where: str, input_field: str) -> None:
    if file_id is None or (isinstance(file_id, float) and file_id != file_id) or file_id == "":
        raise ValueError(f"the {input_field!r} cell{where} is empty; give every row a video")


def _text(value: Any) -> str:
    return os.fspath(value) if isinstance(value, os.PathLike) else str(value)


def _url_like(text: str) -> bool:
    """Whether ``text`` goes through fsspec (plain paths fail the cheap test first)."""
    return ("://" in text or "::" in text) and is_remote(text)


def _base(root: PathLike | None) -> str | None:
    """The root as text; a ``file://`` root as its local path."""
    if root is None:
        return None
    text = _text(root)
    return normalize(text) if "://" in text and not is_remote(text) else text


def _resolve(
    root: PathLike | None, file_id: Any, extensions: tuple[str, ...], storage: Storage
) -> str:
    """The default resolver: ``root/id``, else ``root/id<ext>`` for an id with no extension."""
    base, name = _base(root), _text(file_id)
    if (base is not None and _url_like(base)) or _url_like(name):
        return _find_remote(base, name, file_id, extensions, storage)
    return _find_local(base, name, file_id, extensions)


def _find_local(base: str | None, name: str, file_id: Any, extensions: tuple[str, ...]) -> str:
    path = os.path.join(base, name) if base is not None else name
    if os.path.isfile(path):
        return path
    if not has_extension(path, extensions):
        for ext in extensions:
            if os.path.isfile(path + ext):
                return path + ext
        tried = f" (nor {path}{{{','.join(extensions)}}})"
    else:
        tried = ""
    raise FileNotFoundError(
        f"video {file_id!r} resolved to {path}, which does not exist{tried}; {_HINT}"
    )


def _find_remote(
    base: str | None, name: str, file_id: Any, extensions: tuple[str, ...], storage: Storage
) -> str:
    """One stat for ``base/name``; one per extension more, only if that is missing and has
    none."""
    url = join(base, name) if base is not None else name
    if storage.kind(url) == "file":
        return url
    tried = ""
    if not has_extension(url, extensions):
        for ext in extensions:
            if storage.kind(url + ext) == "file":
                return url + ext
        tried = f" (nor {url}{{{','.join(extensions)}}})"
    raise FileNotFoundError(
        redact_url(
            f"video {file_id!r} resolved to {url}, which does not exist{tried}; check the "
            "videos root and storage_options, or pass a resolver(root, file_id) that returns "
            "the file's URL"
        )
    )


def _default_remote(
    base: str | None,
    name: str,
    file_id: Any,
    where: str,
    extensions: tuple[str, ...],
    storage: Storage,
) -> str:
    try:
        url = _find_remote(base, name, file_id, extensions, storage)
    except FileNotFoundError as error:
        raise FileNotFoundError(f"{error}{where}") from None
    check_extension(redact_url(url), extensions, where)
    return url


def _local_default(
    base: str | None,
    name: str,
    file_id: Any,
    where: str,
    input_field: str,
    extensions: tuple[str, ...],
) -> str:
    """A local row: the ``os`` fast path, checked as before URLs were accepted."""
    try:
        found = _find_local(base, name, file_id, extensions)
    except FileNotFoundError as error:
        raise FileNotFoundError(f"{error}{where}") from None
    path = os.path.abspath(found)
    check_extension(path, extensions, where)
    check_exists(path, f"{where} (resolved from {input_field} {file_id!r})")
    return path


def _custom(
    resolver: Resolver,
    root: PathLike | None,
    file_id: Any,
    where: str,
    input_field: str,
    extensions: tuple[str, ...],
) -> tuple[str, bool]:
    """A custom resolver's answer and whether it is remote; its extension checked, and its
    existence if local (a URL is checked later, in threads)."""
    try:
        found = resolver(root, file_id)
    except FileNotFoundError as error:
        raise FileNotFoundError(f"{redact_url(str(error))}{where}") from None
    if not isinstance(found, str | os.PathLike):
        raise TypeError(
            f"the resolver returned {found!r} for {file_id!r}{where}; it must return a path"
        )
    text = os.fspath(found)
    if _url_like(text):
        check_extension(redact_url(text), extensions, where)
        return text, True
    path = normalize(text) if "://" in text else os.path.abspath(text)
    check_extension(path, extensions, where)
    check_exists(path, f"{where} (resolved from {input_field} {file_id!r})")
    return path, False


def _check_remote(url: str, where: str, storage: Storage) -> str:
    kind = storage.kind(url)
    if kind != "file":
        what = "is a folder, not a file" if kind == "directory" else "does not exist"
        raise FileNotFoundError(redact_url(f"video file {url}{where} {what}"))
    return url


def _in_threads(jobs: list[Callable[[], str]]) -> list[str]:
    """Each job's result in order; the first failure (in order) is raised."""
    if len(jobs) <= 1:
        return [job() for job in jobs]
    with ThreadPoolExecutor(min(STAT_THREADS, len(jobs))) as threads:
        return list(threads.map(lambda job: job(), jobs))
