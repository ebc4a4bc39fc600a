"""Videos listed in a table: a data frame, or a CSV / TSV file read into one (Flash's sources).

A row names a video in ``input_field`` (a file id that a resolver turns into a path) and its
target in ``target_fields`` (one column, or several columns of one-hot / multi-hot values). The
targets may be in any of Flash's formats (:mod:`fastvid.data.layout._targets`).

CSV files are read with the standard library's ``csv`` module (no pandas needed): ``.csv`` and
``.txt`` are comma-separated, ``.tsv`` tab-separated (Flash's ``load_data_frame``); the first row
names the columns; a column whose cells are all integers (or all numbers) is read as numbers, as
pandas does; only empty cells are missing (pandas also reads ``NA``, ``null``... as missing); the
``input_field`` column is kept as text (pandas would turn a file id ``007`` into ``7``).

The file and the videos root may be URLs (any fsspec URL, with ``storage_options``): a remote
file is read whole in one request; ids are resolved by :mod:`fastvid.data.layout._resolve`.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastvid.data.layout._checks import normalize_extensions
from fastvid.data.layout._resolve import Resolver, default_resolver, resolve_videos
from fastvid.data.layout._targets import TargetFormat, infer_target_format
from fastvid.data.layout._types import (
    NO_LABEL,
    VIDEO_EXTENSIONS,
    LabeledVideo,
    LabeledVideoList,
    PathLike,
)
from fastvid.data.storage import (
    Storage,
    StorageLike,
    as_storage,
    basename,
    is_remote,
    normalize,
    parent,
    redact,
)

__all__ = ["Resolver", "default_resolver", "from_csv_fields", "from_data_frame", "read_table"]

TABLE_DELIMITERS: dict[str, str] = {".csv": ",", ".txt": ",", ".tsv": "\t"}
_INT = re.compile(r"[+-]?\d+")


def read_table(
    path: PathLike, storage_options: StorageLike = None
) -> tuple[dict[str, list[Any]], list[str]]:
    """Read a CSV / TSV file into columns, typed as the module doc says.

    Args:
        path: The file: a local path, or any fsspec URL (``s3://b/train.csv``,
            ``https://host/train.tsv``), read whole in one request.
        storage_options: fsspec options for a URL (credentials, endpoint). Default: ``None``.

    Returns:
        ``({column: values}, locations)``: one location per row for error messages, such as
        ``" (line 3 of /data/train.csv)"`` (URLs with their credentials hidden).

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: An extension other than ``.csv`` / ``.txt`` / ``.tsv``, no header, a
            repeated column name, or a row with more cells than the header has columns.
    """
    remote = is_remote(path)
    file = os.fspath(path) if remote else os.path.abspath(os.fspath(path))
    name = redact(file) if remote else file
    ext = os.path.splitext(basename(file).split("?", 1)[0] if remote else file)[1].lower()
    if ext not in TABLE_DELIMITERS:
        raise ValueError(
            f"{name} has an unsupported extension {ext!r}; supported: "
            f"{', '.join(TABLE_DELIMITERS)} (comma-separated, tab-separated for .tsv)"
        )
    if remote:
        try:
            text = as_storage(storage_options).read_text(file, encoding="utf-8-sig")
        except FileNotFoundError:
            raise FileNotFoundError(f"CSV file {name} does not exist") from None
        return _parse(io.StringIO(text, newline=""), name, TABLE_DELIMITERS[ext])
    if not os.path.isfile(file):
        raise FileNotFoundError(f"CSV file {file} does not exist")
    with open(file, encoding="utf-8-sig", newline="") as handle:
        return _parse(handle, file, TABLE_DELIMITERS[ext])


def _parse(
    lines: Iterable[str], file: str, delimiter: str
) -> tuple[dict[str, list[Any]], list[str]]:
    reader = csv.reader(lines, delimiter=delimiter)
    header = next(reader, None)
    if not header or not any(name.strip() for name in header):
        raise ValueError(f"CSV file {file} is empty: its first line must name the columns")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise ValueError(f"CSV file {file} names the column(s) {repeated} more than once")
    rows: list[list[str]] = []
    where: list[str] = []
    for cells in reader:
        location = f" (line {reader.line_num} of {file})"
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are skipped, as pandas does
        if len(cells) > len(header):
            raise ValueError(
                f"{len(cells)} cells{location}, but the header names {len(header)} columns"
            )
        rows.append(cells + [""] * (len(header) - len(cells)))
        where.append(location)
    columns = {name: [row[i] for row in rows] for i, name in enumerate(header)}
    return columns, where


def _typed(values: list[str]) -> list[Any]:
    """A column as pandas types it: all integers, else all numbers, else text; empty is ``None``."""
    given = [v for v in values if v != ""]
    if given and all(_INT.fullmatch(v.strip()) for v in given):
        return [int(v) if v != "" else None for v in values]
    try:
        return [float(v) if v != "" else None for v in values]
    except ValueError:
        return [v if v != "" else None for v in values]


def from_csv_fields(
    file: PathLike,
    input_field: str,
    target_fields: str | Sequence[str] | None = None,
    *,
    root: PathLike | None = None,
    resolver: Resolver | None = None,
    target_format: TargetFormat | None = None,
    extensions: Sequence[str] = VIDEO_EXTENSIONS,
    storage_options: StorageLike = None,
) -> LabeledVideoList:
    """Videos and targets from a CSV / TSV file with a header (Flash's ``from_csv`` columns).

    Args:
        file: The ``.csv`` / ``.txt`` (comma-separated) or ``.tsv`` file: a path or any
            fsspec URL.
        input_field: The column of video file ids.
        target_fields: The target column, or several columns of one-hot / multi-hot values.
            Default: ``None`` (unlabeled videos).
        root: Folder (or URL) the ids are resolved against. Default: the file's folder
            (Flash's), a URL's for a remote file.
        resolver: ``resolver(root, file_id) -> path``. Default: :func:`default_resolver`.
        target_format: Read the targets in this format (another stage's). Default: inferred.
        extensions: Extensions accepted for the resolved files. Default: :data:`VIDEO_EXTENSIONS`.
        storage_options: fsspec options for URLs (the file's and the videos'), as in Flash and
            pandas. Default: ``None``.

    Returns:
        See :func:`from_data_frame`.
    """
    storage = as_storage(storage_options)
    url = normalize(file)
    columns, where = read_table(url, storage)
    typed = {
        name: values if name == input_field else _typed(values) for name, values in columns.items()
    }
    base = root if root is not None else parent(url)
    return _from_columns(
        typed,
        where,
        f"CSV file {redact(url)}",
        input_field,
        target_fields,
        root=base,
        resolver=resolver,
        target_format=target_format,
        extensions=extensions,
        storage=storage,
    )


def from_data_frame(
    data_frame: Any,
    input_field: str,
    target_fields: str | Sequence[str] | None = None,
    *,
    root: PathLike | None = None,
    resolver: Resolver | None = None,
    target_format: TargetFormat | None = None,
    extensions: Sequence[str] = VIDEO_EXTENSIONS,
    name: str = "data frame",
    storage_options: StorageLike = None,
) -> LabeledVideoList:
    """Videos and targets from a pandas ``DataFrame`` (or a ``{column: values}`` mapping).

    Args:
        data_frame: One row per video.
        input_field: The column of video file ids.
        target_fields: The target column, or several columns of one-hot / multi-hot values
            (their names are the classes). Default: ``None`` (unlabeled videos, label ``-1``).
        root: Folder the ids are resolved against, or a URL (``s3://bucket/videos``: ids are
            joined to it and each video is checked with one stat, see
            :mod:`fastvid.data.layout._resolve`). Default: ``None`` (ids are paths or URLs).
        resolver: ``resolver(root, file_id) -> path``. Default: :func:`default_resolver`.
        target_format: Read the targets in this format (another stage's: same classes, same
            format). Default: ``None``, inferred from the targets (Flash's rules).
        extensions: Extensions accepted for the resolved files. Default: :data:`VIDEO_EXTENSIONS`.
        name: What the table is called in error messages. Default: ``"data frame"``.
        storage_options: fsspec options for remote videos (credentials, endpoint), as in
            Flash and pandas. Default: ``None``.

    Returns:
        The videos in row order with their :attr:`~LabeledVideoList.target_format`: single-label
        videos carry class indices, multi-label ones a :attr:`~LabeledVideo.target` vector.

    Raises:
        ValueError: A missing column (named, with the table's columns), an empty table or
            cell, an unknown class name, targets in mixed formats, an unknown extension.
        FileNotFoundError: A video that does not exist (the error names the resolved path or
            URL, credentials hidden).
    """
    names = [str(c) for c in (data_frame.columns if hasattr(data_frame, "columns") else data_frame)]
    wanted = [input_field, *_field_list(target_fields)]
    _check_columns(wanted, names, f"the {name}")
    columns = {field: _column(data_frame[field]) for field in wanted}
    rows = len(columns[input_field])
    index = list(data_frame.index) if hasattr(data_frame, "index") else list(range(rows))
    where = [f" (row {label} of the {name})" for label in index]
    return _from_columns(
        columns,
        where,
        f"the {name}",
        input_field,
        target_fields,
        root=root,
        resolver=resolver,
        target_format=target_format,
        extensions=extensions,
        storage=as_storage(storage_options),
    )


def _field_list(target_fields: str | Sequence[str] | None) -> list[str]:
    if target_fields is None:
        return []
    if isinstance(target_fields, str):
        return [target_fields]
    fields = list(target_fields)
    if not fields or not all(isinstance(f, str) for f in fields):
        raise TypeError(
            "target_fields must be a column name or a non-empty list of them, "
            f"got {target_fields!r}"
        )
    return fields


def _check_columns(wanted: list[str], names: list[str], source: str) -> None:
    for field in wanted:
        if field not in names:
            raise ValueError(f"column {field!r} is not in {source}; its columns are {names}")


def _column(values: Any) -> list[Any]:
    return list(values.tolist()) if hasattr(values, "tolist") else list(values)


def _from_columns(
    columns: Mapping[str, list[Any]],
    where: list[str],
    source: str,
    input_field: str,
    target_fields: str | Sequence[str] | None,
    *,
    root: PathLike | None,
    resolver: Resolver | None,
    target_format: TargetFormat | None,
    extensions: Sequence[str],
    storage: Storage,
) -> LabeledVideoList:
    exts = normalize_extensions(extensions)
    fields = _field_list(target_fields)
    _check_columns([input_field, *fields], list(columns), source)
    ids = columns[input_field]
    if not ids:
        raise ValueError(f"{source} has no rows: there are no videos")
    paths = resolve_videos(ids, where, input_field, root, resolver, exts, storage)
    if not fields:
        classes = target_format.classes if target_format is not None else ()
        videos = tuple(LabeledVideo(path, NO_LABEL) for path in paths)
        return LabeledVideoList(videos, classes, target_format)
    if len(fields) == 1:
        targets = list(columns[fields[0]])
    else:
        targets = [list(row) for row in zip(*(columns[f] for f in fields), strict=True)]
    fmt = target_format or infer_target_format(
        targets, where, fields=fields if len(fields) > 1 else None
    )
    labeled = []
    for path, target, place in zip(paths, targets, where, strict=True):
        value = fmt.format(target, place)
        if isinstance(value, tuple):
            labeled.append(LabeledVideo(path, NO_LABEL, value))
        else:
            labeled.append(LabeledVideo(path, value))
    return LabeledVideoList(tuple(labeled), fmt.classes, fmt)
