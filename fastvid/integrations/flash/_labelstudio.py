"""``VideoClassificationData.from_labelstudio``: Label Studio JSON exports (Flash 0.8's reading).

A Label Studio project exported as JSON is a list of tasks; a video classification task looks
like::

    {"id": 7, "file_upload": "a1b2c3d4-cat.mp4",
     "data": {"video": "/data/upload/1/a1b2c3d4-cat.mp4"},
     "annotations": [{"id": 3, "ground_truth": false, "was_cancelled": false,
                      "result": [{"type": "choices", "from_name": "choice", "to_name": "video",
                                  "value": {"choices": ["cat"]}}]}]}

Read as Flash reads it (``flash.core.integrations.labelstudio.input``): every choice of every
result of every annotation is one sample; annotations marked ``ground_truth`` are the test
stage's samples, the others train / val / predict samples. A task's video is
``data_folder/<file_upload>`` (else ``data_folder/<file name of its data value>``); with no
``data_folder`` the ``file_upload`` name itself, else the data value (a path or URL). Classes
are the sorted label names of the training export; the other stages use them. With
``multi_label=True`` a result's choices make one sample with a multi-hot target (Flash makes
one single-label sample per choice even then).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any, TypeVar

import numpy as np
from torch.utils.data import RandomSampler, Sampler

from fastvid.data import layout
from fastvid.data.storage import as_storage
from fastvid.integrations.flash._stages import ListsConstructor, flash_args
from fastvid.integrations.flash.input_transform import VideoClassificationInputTransform
from fastvid.integrations.flash.inputs import LabelStudioVideoClassificationInput

__all__ = ["LabelStudioConstructor", "read_export"]

S = TypeVar("S", bound="LabelStudioConstructor")
Sample = tuple[str, Any]  # (video, label or list of labels)


def _load_tasks(export_json: Any, storage_options: Any) -> list[dict[str, Any]]:
    path = os.fspath(export_json)
    try:
        with as_storage(storage_options).open(path) as f:
            tasks = json.load(f)
    except json.JSONDecodeError as error:
        raise ValueError(f"Label Studio export {path} is not valid JSON: {error}") from None
    if not isinstance(tasks, list):
        raise ValueError(
            f"Label Studio export {path} must be a JSON list of tasks (Label Studio's 'JSON' "
            f"export), got a {type(tasks).__name__}"
        )
    return tasks


def _video_of(task: dict[str, Any], data_folder: Any, where: str) -> str:
    upload = task.get("file_upload")
    values = list((task.get("data") or {}).values())
    if upload and data_folder:
        return os.path.join(os.fspath(data_folder), upload)
    if values and data_folder:
        return os.path.join(os.fspath(data_folder), PurePosixPath(str(values[-1])).name)
    if upload:
        return str(upload)
    if values:
        return str(values[-1])
    raise ValueError(f"{where} has neither 'file_upload' nor a 'data' value naming its video")


def read_export(
    tasks: Sequence[dict[str, Any]], data_folder: Any, *, multi_label: bool = False, name: str = ""
) -> tuple[list[Sample], list[Sample], set[str]]:
    """The samples of an export's tasks: (samples, ground-truth samples, every label seen).

    Raises:
        ValueError: A task or result without the keys Label Studio writes (naming the task).
    """
    samples: list[Sample] = []
    ground_truth: list[Sample] = []
    classes: set[str] = set()
    for position, task in enumerate(tasks):
        where = f"task {task.get('id', position)} of {name}"
        if not isinstance(task, dict) or "annotations" not in task:
            raise ValueError(f"{where} has no 'annotations' list (not a Label Studio task)")
        video = _video_of(task, data_folder, where)
        for annotation in task["annotations"]:
            chosen = ground_truth if annotation.get("ground_truth") else samples
            for result in annotation.get("result", []):
                kind = result.get("type")
                values = (result.get("value") or {}).get(kind)
                if not isinstance(values, list):
                    raise ValueError(
                        f"{where}: result {result.get('id')!r} has no value[{kind!r}] list"
                    )
                flat = [
                    str(v) for item in values for v in (item if isinstance(item, list) else [item])
                ]
                classes.update(flat)
                if multi_label:
                    chosen.append((video, flat))
                else:
                    chosen.extend((video, label) for label in flat)
    return samples, ground_truth, classes


class LabelStudioConstructor(ListsConstructor):
    """``VideoClassificationData.from_labelstudio`` (mixed in)."""

    @classmethod
    def from_labelstudio(
        cls: type[S],
        export_json: str | None = None,
        train_export_json: str | None = None,
        val_export_json: str | None = None,
        test_export_json: str | None = None,
        predict_export_json: str | None = None,
        data_folder: str | None = None,
        train_data_folder: str | None = None,
        val_data_folder: str | None = None,
        test_data_folder: str | None = None,
        predict_data_folder: str | None = None,
        val_split: float | None = None,
        multi_label: bool | None = False,
        clip_sampler: Any = "random",
        clip_duration: float = 2,
        clip_sampler_kwargs: dict[str, Any] | None = None,
        video_sampler: type[Sampler[int]] | Sampler[int] = RandomSampler,
        decode_audio: bool = False,
        decoder: str = "pyav",
        input_cls: type = LabelStudioVideoClassificationInput,
        transform: Any = VideoClassificationInputTransform,
        transform_kwargs: dict[str, Any] | None = None,
        **data_module_kwargs: Any,
    ) -> S:
        """Label Studio JSON exports of a video classification project (see the module doc).

        ``export_json`` / ``data_folder`` are the training export and its videos; a stage's
        own ``<stage>_export_json`` is read only when a data folder is known for it (its own
        or ``data_folder``), as in Flash. A test export contributes its ground-truth
        annotations; train, val and predict exports their other annotations. ``val_split``
        (without a validation export) moves a seeded share of the training *tasks* to
        validation (Flash's ``np.random.permutation``, from ``RandomState(seed)``; Flash also
        writes the two halves next to the export, fastvid does not).
        The other arguments are :meth:`from_folders`'.
        """
        options = flash_args(locals())
        options["predict_input_cls"] = input_cls
        storage_options = data_module_kwargs.get("storage_options")
        seed = data_module_kwargs.get("seed", 0)
        sources: dict[str, tuple[Any, Any]] = {"train": (export_json, data_folder)}
        stage_args = {
            "train": (train_export_json, train_data_folder),
            "val": (val_export_json, val_data_folder),
            "test": (test_export_json, test_data_folder),
            "predict": (predict_export_json, predict_data_folder),
        }
        for stage, (export, folder) in stage_args.items():
            if export and (folder or data_folder):
                sources[stage] = (export, folder or data_folder)
        tasks = {
            stage: _load_tasks(export, storage_options)
            for stage, (export, _) in sources.items()
            if export is not None
        }
        if "train" not in tasks:
            raise ValueError("from_labelstudio needs export_json= or train_export_json=")
        if val_split and "val" not in tasks:
            order = np.random.RandomState(seed).permutation(len(tasks["train"]))
            limit = int(len(order) * val_split)
            tasks["val"] = [tasks["train"][i] for i in order[:limit]]
            tasks["train"] = [tasks["train"][i] for i in order[limit:]]
            sources["val"] = sources["train"]
        read = {
            stage: read_export(
                stage_tasks,
                sources[stage][1],
                multi_label=bool(multi_label),
                name=os.fspath(sources[stage][0]),
            )
            for stage, stage_tasks in tasks.items()
        }
        kind = "multi_label" if multi_label else "single_label"
        fmt = layout.TargetFormat(kind, tuple(sorted(read["train"][2])))  # type: ignore[arg-type]
        lists = {}
        for stage, (samples, ground_truth, _) in read.items():
            chosen = ground_truth if stage == "test" else samples
            if not chosen:
                continue
            lists[stage] = layout.from_data_frame(
                {"file": [v for v, _ in chosen], "target": [t for _, t in chosen]},
                "file",
                "target",
                target_format=fmt,
                name=f"{stage} Label Studio export",
                storage_options=storage_options,
            )
        return cls._from_lists(lists, {}, **options, **data_module_kwargs)
