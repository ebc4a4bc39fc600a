"""``Hmdb51``: HMDB51's split files pick the videos of a fold and split type; the samples
(action-name labels, clips) equal PyTorchVideo's ``Hmdb51``'s (oracle)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from pytorchvideo.data import Hmdb51 as PtvHmdb51
from pytorchvideo.data import make_clip_sampler as ptv_clip_sampler
from torch.utils.data import SequentialSampler

from fastvid.data import Hmdb51, Hmdb51LabeledVideoPaths, make_clip_sampler
from fastvid.testing import make_video

# action -> (video name, split-1 flag, split-2 flag); 1 train, 2 test, 0 unused.
VIDEOS = {
    "brush_hair": [
        ("Brushing_my_hair_brush_hair_u_nm_np1_ba_goo_0.avi", 1, 2),
        ("Brushing_her_hair_brush_hair_f_cm_np2_le_med_1.avi", 2, 1),
    ],
    "run": [
        ("Marathon_run_f_cm_np1_fr_med_3.avi", 1, 1),
        ("Sprint_run_u_nm_np1_ri_bad_7.avi", 0, 2),
    ],
}


@pytest.fixture(scope="module")
def hmdb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hmdb51")
    (root / "splits").mkdir()
    for seed, (action, videos) in enumerate(VIDEOS.items()):
        for split in (1, 2):
            lines = "".join(f"{name} {flags[split - 1]}\n" for name, *flags in videos)
            (root / "splits" / f"{action}_test_split{split}.txt").write_text(lines)
        for i, (name, *_) in enumerate(videos):
            make_video(
                root / "videos" / action / name,
                codec="mpeg4",
                size=(64, 48),
                duration=1.0,
                fps=10,
                seed=10 * seed + i,
            )
    return root


@pytest.mark.parametrize(
    ("split_id", "split_type"), [(1, "train"), (1, "test"), (2, "train"), (1, "unused")]
)
def test_split_files_pick_the_fold(hmdb: Path, split_id: int, split_type: str) -> None:
    paths = Hmdb51LabeledVideoPaths.from_dir(hmdb / "splits", split_id, split_type)
    paths.path_prefix = str(hmdb / "videos")
    flag = {"train": 1, "test": 2, "unused": 0}[split_type]
    want = sorted(
        (str(hmdb / "videos" / action / name), action)
        for action, videos in VIDEOS.items()
        for name, *flags in videos
        if flags[split_id - 1] == flag
    )
    got = sorted((path, info["label"]) for path, info in (paths[i] for i in range(len(paths))))
    assert got == want
    for i in range(len(paths)):
        name = Path(paths[i][0]).name
        assert paths[i][1]["meta_tags"] == name.split("_")[-6:-1]


def _samples(dataset: Any) -> list[tuple[str, str, list[str], int, torch.Tensor]]:
    return sorted(
        (
            (s["video_name"], s["label"], list(s["meta_tags"]), int(s["clip_index"]), s["video"])
            for s in dataset
        ),
        key=lambda item: (item[0], item[3]),
    )


def test_samples_equal_pytorchvideo(hmdb: Path) -> None:
    kwargs: dict[str, Any] = {
        "video_sampler": SequentialSampler,
        "video_path_prefix": str(hmdb / "videos"),
        "split_id": 1,
        "split_type": "train",
        "decode_audio": False,
    }
    ours = _samples(
        Hmdb51(
            hmdb / "splits",
            clip_sampler=make_clip_sampler("uniform", 0.5),
            num_workers=1,
            progress=False,
            **kwargs,
        )
    )
    theirs = _samples(
        PtvHmdb51(hmdb / "splits", clip_sampler=ptv_clip_sampler("uniform", 0.5), **kwargs)
    )
    assert [s[:4] for s in ours] == [s[:4] for s in theirs]
    assert {s[1] for s in ours} == {"brush_hair", "run"}
    assert all(len(s[2]) == 5 for s in ours)
    for got, want in zip(ours, theirs, strict=True):
        assert torch.equal(got[4], want[4])


def test_bad_arguments(hmdb: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="split_id"):
        Hmdb51LabeledVideoPaths.from_dir(hmdb / "splits", split_id=4)
    with pytest.raises(ValueError, match="split_type"):
        Hmdb51LabeledVideoPaths.from_dir(hmdb / "splits", split_type="val")
    with pytest.raises(NotADirectoryError, match="split files"):
        Hmdb51LabeledVideoPaths.from_dir(tmp_path / "missing")
    (tmp_path / "notes.txt").write_text("x 1\n")
    with pytest.raises(ValueError, match="not an HMDB51 split file"):
        Hmdb51LabeledVideoPaths.from_csvs([tmp_path / "notes.txt"])
    (tmp_path / "jump_test_split1.txt").write_text("a.avi train\n")
    with pytest.raises(ValueError, match="line 1"):
        Hmdb51LabeledVideoPaths.from_csvs([tmp_path / "jump_test_split1.txt"])
