"""``VideoClassificationData``: Flash's constructors, options and default transforms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch.utils.data import SequentialSampler

import fastvid  # noqa: F401
from fastvid.data.samplers import make_clip_sampler
from fastvid.data.transforms import default_transforms, validate_transform_dict
from fastvid.integrations.flash.datamodule import VideoClassificationData
from fastvid.reader import ClipLoader
from fastvid.testing import make_dataset, read_audio_segment


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dataset(
        tmp_path_factory.mktemp("dm") / "ds",
        classes=("cat", "dog", "eel"),
        per_class=2,
        splits=("train", "val"),
        codec="vp9",
        size=(96, 72),
        duration=1.6,
        fps=15,
    )


def test_from_paths_accepts_both_spellings(root: Path) -> None:
    a = VideoClassificationData.from_paths(train_data_path=root / "train")
    b = VideoClassificationData.from_paths(train_folder=root / "train")
    assert a.labels == b.labels == ["cat", "dog", "eel"]
    assert a.num_classes == 3 and a.multi_label is False
    with pytest.raises(ValueError, match="only one of"):
        VideoClassificationData.from_paths(train_data_path=root / "train", train_folder=root)


def test_from_files_and_csv_give_the_same_classes(root: Path, tmp_path: Path) -> None:
    files = sorted((root / "train").rglob("*.webm"))
    targets = [f.parent.name for f in files]
    dm = VideoClassificationData.from_files(train_files=files, train_targets=targets)
    assert dm.labels == ["cat", "dog", "eel"]
    csv = tmp_path / "train.csv"
    csv.write_text("".join(f"{f} {t}\n" for f, t in zip(files, targets, strict=True)))
    assert VideoClassificationData.from_csv(train_file=csv).labels == dm.labels
    with pytest.raises(ValueError, match="one target per file"):
        VideoClassificationData.from_files(train_files=files, train_targets=targets[:-1])


def test_bad_options_are_rejected(root: Path) -> None:
    with pytest.raises(ValueError, match="did you mean 'post_tensor_transform'"):
        VideoClassificationData.from_paths(
            train_folder=root / "train", train_transform={"post_tensor_transfrom": abs}
        )
    with pytest.raises(ValueError, match="unknown clip sampler"):
        VideoClassificationData.from_paths(train_folder=root / "train", clip_sampler="unifrom")
    with pytest.raises(TypeError, match="unexpected argument"):
        VideoClassificationData.from_paths(train_folder=root / "train", batchsize=2)
    with pytest.raises(FileNotFoundError, match=r"dataset folder .*missing does not exist"):
        VideoClassificationData.from_paths(train_folder=root / "missing")
    with pytest.raises(ValueError, match=r"decoder \('av'\) must be one of \['pyav', 'dali'"):
        VideoClassificationData.from_paths(train_folder=root / "train", decoder="av")
    with pytest.raises(ValueError, match=r"batch_size \(0\) must be >= 1"):
        VideoClassificationData.from_paths(train_folder=root / "train", batch_size=0)


def test_validate_transform_dict_requires_a_mapping() -> None:
    with pytest.raises(TypeError, match="dict of transforms"):
        validate_transform_dict([abs], stage="train")  # type: ignore[arg-type]


def test_default_train_batch_matches_flash_defaults(root: Path) -> None:
    dm = VideoClassificationData.from_folders(
        train_folder=root / "train",
        val_folder=root / "val",
        clip_sampler="uniform",
        clip_duration=1,
        video_sampler=SequentialSampler,
        batch_size=2,
        device="cpu",
        num_workers=1,
    )
    dm.setup("fit")
    loader = dm.train_dataloader()
    assert loader.lowered.fully_lowered  # UTS(8), /255 and RandomCrop(244, pad) all in DALI
    batch = next(iter(loader))
    assert batch["video"].shape == (2, 3, 8, 244, 244)
    assert batch["video"].dtype == torch.float32
    assert float(batch["video"].min()) >= 0.0 and float(batch["video"].max()) <= 1.0
    assert batch["label"].dtype == torch.int64
    normalized = dm.on_after_batch_transfer(batch, 0)
    assert float(normalized["video"].min()) < 0.0  # kornia Normalize(0.45, 0.225) ran
    val = next(iter(dm.val_dataloader()))
    assert val["video"].shape[-2:] == (244, 244)


def test_num_workers_0_means_fastvids_default_worker_count(root: Path) -> None:
    """torch/Flash users pass 0 for "no worker processes": fastvid's default, as the drop-in
    DataLoader; ClipLoader itself still refuses 0."""

    def train_loader(num_workers: int | None) -> Any:
        dm = VideoClassificationData.from_folders(
            train_folder=root / "train", clip_duration=1, device="cpu", num_workers=num_workers
        )
        dm.setup("fit")
        return dm.train_dataloader()

    default = train_loader(None).budget
    zero = train_loader(0).budget
    assert zero.workers == default.workers >= 1
    assert zero.rule == default.rule
    assert train_loader(2).budget.workers == 2
    with pytest.raises(ValueError, match=r"num_workers \(0\) must be >= 1"):
        ClipLoader([("a.mp4", 0)], clip_sampler=make_clip_sampler("random", 1), num_workers=0)


def test_decode_audio_adds_each_clips_audio_to_the_batch(tmp_path: Path) -> None:
    data = make_dataset(
        tmp_path / "ds", per_class=2, splits=None, codec="h264", size=(64, 48), duration=1.5,
        content="flat", audio=True,
    )  # fmt: skip
    dm = VideoClassificationData.from_folders(
        train_folder=data,
        clip_sampler="uniform",
        clip_duration=0.5,
        video_sampler=SequentialSampler,
        decode_audio=True,
        batch_size=3,
        device="cpu",
        num_workers=1,
    )
    dm.setup("fit")
    batches = list(dm.train_dataloader())
    assert sum(len(b["video_name"]) for b in batches) == 4 * 3
    for batch in batches:
        audio, lengths = batch["audio"], batch["audio_lengths"]
        assert audio.shape == (len(batch["video_name"]), int(lengths.max()))
        assert batch["audio_sample_rate"].tolist() == [48000] * audio.shape[0]
        for i, clip in enumerate(batch["clip_index"].tolist()):
            assert 0.45 * 48000 <= int(lengths[i]) <= 0.55 * 48000
            # the clip starts at clip * 0.5 s: 25-75 ms in, the tone of that tenth of a second
            assert read_audio_segment(audio[i, 1200:3600].numpy()) == clip * 5


def test_default_transforms_follow_flash() -> None:
    train = default_transforms("train")
    val = default_transforms("val")
    names = [type(t).__name__ for t in train["post_tensor_transform"]._transform.transforms]
    assert names == ["UniformTemporalSubsample", "function", "RandomCrop"]
    assert train["post_tensor_transform"]._transform.transforms[2].pad_if_needed
    assert type(val["post_tensor_transform"]._transform.transforms[2]).__name__ == "CenterCrop"


@pytest.mark.parametrize(("decoder", "preferred"), [("pyav", "pyav"), ("dali", "dali_cpu")])
def test_decoder_chooses_the_cpu_decoder(root: Path, decoder: str, preferred: str) -> None:
    dm = VideoClassificationData.from_paths(
        train_folder=root / "train", decoder=decoder, device="cpu"
    )
    dm.setup("fit")
    routing = dm.train_dataloader().routing
    assert routing.preferred == preferred
    assert set(routing.decoders.values()) == {preferred}  # VP9 files: both decoders take them
    with pytest.raises(ValueError, match=r"decoder \('dali'\) and loader_kwargs\['cpu_decoder'\]"):
        VideoClassificationData.from_paths(
            train_folder=root / "train", decoder="dali", loader_kwargs={"cpu_decoder": "pyav"}
        )
