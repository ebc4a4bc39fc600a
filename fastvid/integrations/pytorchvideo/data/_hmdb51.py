"""HMDB51's split files: ``<action>_test_split<k>.txt`` lists, per action, each video and
whether fold ``k`` uses it for training (``1``), testing (``2``) or neither (``0``)."""

from __future__ import annotations

import os
import pathlib
from collections.abc import Sequence
from typing import Any

from fastvid.data.storage import StorageLike, as_storage, basename, redact
from fastvid.integrations.pytorchvideo.data._paths import (
    LabeledVideoPaths,
    PyTorchVideoAssertionError,
)

__all__ = ["SPLIT_IDS", "SPLIT_TYPES", "Hmdb51LabeledVideoPaths"]

SPLIT_IDS = (1, 2, 3)
#: The number a split file writes after a video for each split type.
SPLIT_TYPES = {"train": 1, "test": 2, "unused": 0}


class Hmdb51LabeledVideoPaths(LabeledVideoPaths):
    """HMDB51's videos of one fold and split type; PyTorchVideo 0.1.5's class.

    The videos live in ``<videos>/<action>/<name>.avi``; the split folder holds, per action
    and fold ``k`` in 1..3, ``<action>_test_split<k>.txt`` with lines ``<name>.avi <0|1|2>``
    (0: unused, 1: train, 2: test)::

        splits/brush_hair_test_split1.txt    April_09_brush_hair_u_nm_np1_ba_goo_0.avi 1
        splits/brush_hair_test_split2.txt    ...

    ``paths[i]`` is ``(os.path.join(path_prefix, "<action>/<name>.avi"), {"label": "<action>",
    "meta_tags": [five tags]})``: the label is the action's name (as in PyTorchVideo) and the
    tags are the five before the clip number in the name (``["u", "nm", "np1", "ba", "goo"]``).

    Args:
        paths_and_labels: ``(path, info)`` pairs.
        path_prefix: Joined before every path when an item is read. Default: ``""``.
    """

    # from_path / from_csv / from_directory are LabeledVideoPaths' (integer labels); HMDB51's
    # split files are read by from_dir / from_csvs.

    @classmethod
    def from_dir(
        cls,
        data_path: str | os.PathLike[str],
        split_id: int = 1,
        split_type: str = "train",
        *,
        storage_options: StorageLike = None,
    ) -> Hmdb51LabeledVideoPaths:
        """The videos of fold ``split_id`` and ``split_type`` listed in split folder
        ``data_path`` (its ``*_test_split<split_id>.txt`` files, in sorted order).

        Raises:
            NotADirectoryError: ``data_path`` is not a folder.
            ValueError: ``split_id`` is not 1, 2 or 3, ``split_type`` not ``"train"``,
                ``"test"`` or ``"unused"``, or no video is left.
        """
        if split_id not in SPLIT_IDS:
            raise ValueError(f"split_id ({split_id!r}) must be one of 1, 2, 3 (HMDB51's folds)")
        _check_split_type(split_type)
        storage = as_storage(storage_options)
        folder = os.fspath(data_path)
        if storage.kind(folder) != "directory":
            raise NotADirectoryError(
                f"{redact(folder)} is not a folder of HMDB51 split files "
                f"(<action>_test_split<1|2|3>.txt)"
            )
        marker = f"_test_split{int(split_id)}"
        files = sorted(
            entry
            for entry, is_dir in storage.list_dir(folder)
            if not is_dir and entry.endswith(".txt") and marker in basename(entry)[: -len(".txt")]
        )
        return cls.from_csvs(files, split_type, storage_options=storage)

    @classmethod
    def from_csvs(
        cls,
        file_paths: Sequence[str | os.PathLike[str]],
        split_type: str = "train",
        *,
        storage_options: StorageLike = None,
    ) -> Hmdb51LabeledVideoPaths:
        """The ``split_type`` videos listed in these split files.

        Raises:
            FileNotFoundError: A file does not exist.
            ValueError: A file is not named ``<action>_test_split<k>.txt``, a line is not
                ``<video> <0|1|2>`` (names the line), or no video is left (also an
                ``AssertionError``, as PyTorchVideo raised).
        """
        wanted = SPLIT_TYPES[_check_split_type(split_type)]
        storage = as_storage(storage_options)
        pairs: list[tuple[str, dict[str, Any]]] = []
        for file_path in file_paths:
            name = os.fspath(file_path)
            stem = pathlib.PurePosixPath(basename(name)).stem
            if not (name.endswith(".txt") and "_test_split" in stem):
                raise ValueError(
                    f"{redact(name)} is not an HMDB51 split file; expected "
                    f"<action>_test_split<1|2|3>.txt"
                )
            if storage.kind(name) != "file":
                raise FileNotFoundError(f"{redact(name)} not found")
            action = "_".join(stem.split("_")[:-2])
            lines = storage.read_text(name).splitlines()
            for number, line in enumerate(lines, start=1):
                fields = line.rsplit(None, 1)
                if not fields:
                    continue
                if len(fields) != 2 or fields[1] not in ("0", "1", "2"):
                    raise ValueError(
                        f"line {number} of {redact(name)} ({line!r}) is not '<video> <0|1|2>'"
                    )
                if int(fields[1]) != wanted:
                    continue
                video = fields[0]
                pairs.append(
                    (
                        os.path.join(action, video),
                        {"label": action, "meta_tags": video.split("_")[-6:-1]},
                    )
                )
        if not pairs:
            raise PyTorchVideoAssertionError(
                f"Failed to load dataset: no {split_type!r} video in the split files "
                f"{[redact(os.fspath(p)) for p in file_paths]}"
            )
        return cls(pairs)

    def __getitem__(self, index: int) -> tuple[str, dict[str, Any]]:
        path, info = self._paths_and_labels[index]
        return (os.path.join(self._path_prefix, path), info)


def _check_split_type(split_type: str) -> str:
    if split_type not in SPLIT_TYPES:
        raise ValueError(f"split_type ({split_type!r}) must be one of 'train', 'test', 'unused'")
    return split_type
