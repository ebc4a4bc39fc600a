"""Flash 0.8's DataModule arguments and properties: signatures, ``val_split``,
``target_formatter``, ``sampler``, ``pin_memory`` / ``persistent_workers``, ``input_cls``,
``*_dataset``, and ``from_tensors``' reading of its data."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch.utils.data import RandomSampler, SequentialSampler, WeightedRandomSampler

import fastvid  # noqa: F401
from fastvid.integrations.flash.datamodule import VideoClassificationData
from fastvid.integrations.flash.input_transform import VideoClassificationInputTransform
from fastvid.integrations.flash.inputs import VideoClassificationInput
from fastvid.integrations.flash.target_formatters import (
    MultiLabelTargetFormatter,
    SingleLabelTargetFormatter,
    TargetFormatter,
)
from fastvid.testing import make_video

_COMMON = [
    "clip_sampler", "clip_duration", "clip_sampler_kwargs", "video_sampler", "decode_audio",
    "decoder",
]  # fmt: skip
_TAIL = ["input_cls", "predict_input_cls", "transform", "transform_kwargs"]
_STAGES = ["train", "val", "test", "predict"]
# Flash 0.8.2's positional parameters of each constructor, in order.
FLASH_ORDER = {
    "from_files": [
        "train_files", "train_targets", "val_files", "val_targets", "test_files",
        "test_targets", "predict_files", "target_formatter", *_COMMON, *_TAIL,
    ],
    "from_folders": [*(f"{s}_folder" for s in _STAGES), "target_formatter", *_COMMON, *_TAIL],
    "from_data_frame": [
        "input_field", "target_fields",
        *(f"{s}_{p}" for s in _STAGES for p in ("data_frame", "videos_root", "resolver")),
        *_COMMON, "input_cls", "predict_input_cls", "target_formatter", "transform",
        "transform_kwargs",
    ],
    "from_csv": [
        "input_field", "target_fields",
        *(f"{s}_{p}" for s in _STAGES for p in ("file", "videos_root", "resolver")),
        "target_formatter", *_COMMON, *_TAIL,
    ],
    "from_tensors": [
        "train_data", "train_targets", "val_data", "val_targets", "test_data", "test_targets",
        "predict_data", "target_formatter", "video_sampler", *_TAIL,
    ],
    "from_fiftyone": [
        *(f"{s}_dataset" for s in _STAGES), "target_formatter", *_COMMON, "label_field", *_TAIL,
    ],
    "from_labelstudio": [
        "export_json", *(f"{s}_export_json" for s in _STAGES), "data_folder",
        *(f"{s}_data_folder" for s in _STAGES), "val_split", "multi_label", *_COMMON,
        "input_cls", "transform", "transform_kwargs",
    ],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(FLASH_ORDER))
def test_constructors_take_flashs_positional_arguments(name: str) -> None:
    params = inspect.signature(getattr(VideoClassificationData, name)).parameters.values()
    positional = [p for p in params if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    assert [p.name for p in positional] == FLASH_ORDER[name]
    defaults = {p.name: p.default for p in positional}
    assert defaults.get("transform", VideoClassificationInputTransform) is (
        VideoClassificationInputTransform
    )
    if "clip_sampler" in defaults:
        assert (defaults["clip_sampler"], defaults["clip_duration"]) == ("random", 2)
        assert (defaults["decode_audio"], defaults["decoder"]) == (False, "pyav")
    if "video_sampler" in defaults:
        flash_default = SequentialSampler if name == "from_tensors" else RandomSampler
        assert defaults["video_sampler"] is flash_default


def clips(count: int) -> list[torch.Tensor]:
    return [torch.full((3, 2, 4, 4), float(i)) for i in range(count)]


def order_of(dm: VideoClassificationData, stage: str = "train") -> list[int]:
    loader = dm.train_dataloader() if stage == "train" else dm.val_dataloader()
    return [int(v[0, 0, 0, 0]) for batch in loader for v in batch["video"]]


def test_val_split_is_flashs_shuffle_seeded() -> None:
    targets = ["a", "b"] * 5
    dm = VideoClassificationData.from_tensors(
        clips(10), targets, val_split=0.3, seed=7, transform=None, batch_size=3
    )
    indices = list(range(10))
    np.random.seed(7)  # Flash shuffles with NumPy's global state; fastvid seeds its own
    np.random.shuffle(indices)
    assert order_of(dm, "val") == indices[:3]
    assert order_of(dm, "train") == indices[3:]  # from_tensors' SequentialSampler keeps it
    assert len(dm.val_dataset) == 3 and len(dm.train_dataset) == 7
    assert dm.val_dataset.running_stage == "val" and dm.labels == ["a", "b"]
    again = VideoClassificationData.from_tensors(clips(10), targets, val_split=0.3, seed=7)
    assert again.val_dataset.videos == dm.val_dataset.videos


def test_val_split_errors_are_flashs() -> None:
    with pytest.raises(TypeError, match="choose one or the other"):
        VideoClassificationData.from_tensors(clips(2), [0, 1], clips(1), [0], val_split=0.5)
    with pytest.raises(ValueError, match=r"should be a float between 0 and 1\. Found 1"):
        VideoClassificationData.from_tensors(clips(4), [0, 1, 0, 1], val_split=1)
    with pytest.raises(ValueError, match="leaves no validation video"):
        VideoClassificationData.from_tensors(clips(4), [0, 1, 0, 1], val_split=0.1)


def test_target_formatter_fixes_format_and_classes() -> None:
    fixed = SingleLabelTargetFormatter(labels=["cat", "dog", "eel"])
    dm = VideoClassificationData.from_tensors(
        clips(2), ["dog", "eel"], clips(1), ["cat"], target_formatter=fixed
    )
    assert dm.labels == ["cat", "dog", "eel"] and dm.num_classes == 3
    assert [v.label for v in dm.videos("train")] == [1, 2]
    assert fixed("eel") == 2 and fixed.num_classes == 3  # Flash's formatter API
    multi = VideoClassificationData.from_tensors(
        clips(2), [["cat"], ["cat", "eel"]], target_formatter=MultiLabelTargetFormatter(
            labels=["cat", "dog", "eel"]),
    )  # fmt: skip
    assert multi.multi_label is True
    assert [v.target for v in multi.videos("train")] == [(1, 0, 0), (1, 0, 1)]
    with pytest.raises(ValueError, match="unknown class 'fox'"):
        VideoClassificationData.from_tensors(clips(1), ["fox"], target_formatter=fixed)


def test_custom_target_formatter_is_called_per_target() -> None:
    class Hashed(TargetFormatter):
        multi_label = False

        def format(self, target: Any) -> int:
            return int(str(target).lstrip("#"))

    dm = VideoClassificationData.from_tensors(
        clips(2), ["#1", "#0"], target_formatter=Hashed(num_classes=2)
    )
    assert [v.label for v in dm.videos("train")] == [1, 0] and dm.labels == ["0", "1"]
    with pytest.raises(TypeError, match="must be a TargetFormatter"):
        VideoClassificationData.from_tensors(clips(1), [0], target_formatter=str)


def test_sampler_orders_the_training_videos() -> None:
    seen: list[Any] = []

    def reversed_sampler(dataset: Any) -> Any:
        seen.append(dataset)
        return list(reversed(range(len(dataset))))  # not a Sampler

    weighted = WeightedRandomSampler([0.0, 0.0, 1.0], num_samples=2)
    raw = {"transform": None, "video_sampler": RandomSampler}
    dm = VideoClassificationData.from_tensors(clips(3), [0, 1, 1], sampler=weighted, **raw)
    assert order_of(dm) == [2, 2]
    by_class = VideoClassificationData.from_tensors(
        clips(3), [0, 1, 1], sampler=SequentialSampler, **raw
    )
    assert order_of(by_class) == [0, 1, 2]
    bad = VideoClassificationData.from_tensors(clips(3), [0, 1, 1], sampler=reversed_sampler)
    with pytest.raises(TypeError, match="sampler must be a torch Sampler"):
        bad.train_dataloader()
    assert seen == [bad.train_dataset]  # called with the training dataset, as Flash does


def test_loader_options_are_stored_as_flash_stores_them() -> None:
    dm = VideoClassificationData.from_tensors(
        clips(1), [0], pin_memory=False, persistent_workers=True, num_workers=0
    )
    assert dm.pin_memory is False and dm.persistent_workers is False  # no workers: off
    on = VideoClassificationData.from_tensors(clips(1), [0], persistent_workers=True, num_workers=2)
    assert on.persistent_workers is True and on.pin_memory is True
    batch = {"video": torch.zeros(1)}
    if not torch.cuda.is_available():  # nothing to pin to
        assert on.on_before_batch_transfer(batch, 0) is batch


class Doubled(VideoClassificationInput):
    def load_sample(self, sample: dict[str, Any]) -> dict[str, Any]:
        return {**sample, "input": sample.pop("video") * 2}


def test_input_cls_is_what_the_dataset_properties_return() -> None:
    dm = VideoClassificationData.from_tensors(
        clips(2), [0, 1], predict_data=clips(1), input_cls=Doubled, transform=None
    )
    assert isinstance(dm.train_dataset, Doubled) and dm.test_dataset is None
    assert dm.predict_dataset is not None and dm.predict_dataset.labels is None
    assert dm.train_dataset.labels == ["0", "1"] and dm.train_dataset.num_classes == 2
    assert order_of(dm) == [0, 2]  # load_sample ran on each sample first
    with pytest.raises(TypeError, match="subclass of fastvid's VideoClassificationInput"):
        VideoClassificationData.from_tensors(clips(1), [0], input_cls=dict)


@pytest.mark.parametrize(
    ("data", "error", "match"),
    [
        (torch.tensor(1.0), ValueError, "dimension should be"),
        (torch.zeros(2, 3), ValueError, "dimension should be"),
        (5, TypeError, "Expected either a list/tuple"),
    ],
)
def test_from_tensors_rejects_what_flash_rejects(data: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        VideoClassificationData.from_tensors(train_data=data, train_targets=[0])


@pytest.mark.parametrize(
    ("data", "frames"),
    [
        ([torch.rand(3, 5, 6, 6), torch.rand(3, 10, 6, 6)], [5, 10]),
        (torch.rand(2, 3, 5, 6, 6), [5, 5]),
        (torch.randint(0, 255, (3, 4, 6, 6)), [4]),
    ],
)
def test_from_tensors_dataset_holds_each_clip(data: Any, frames: list[int]) -> None:
    targets = [f"label{i}" for i in range(len(frames))]
    dm = VideoClassificationData.from_tensors(train_data=data, train_targets=targets)
    assert dm.labels == targets
    assert dm.train_dataset.data.size() == len(frames)
    assert [s["video"].shape[1] for s in dm.train_dataset.data] == frames


def test_file_dataset_data_gives_raw_clips(tmp_path: Path) -> None:
    """Flash's check on ``train_dataset.data``: 10 frames at 5 fps, clips of just under a
    second hold 5 frames (before any transform)."""
    files = [make_video(tmp_path / f"{i}.mp4", codec="h264", size=(64, 48), fps=5, duration=2)
             for i in range(2)]  # fmt: skip
    dm = VideoClassificationData.from_files(
        files, ["cat", "dog"], clip_sampler="uniform", clip_duration=1 - 1e-9,
        video_sampler=SequentialSampler, batch_size=1, device="cpu", num_workers=1,
    )  # fmt: skip
    samples = list(dm.train_dataset.data)
    assert len(samples) == 4
    assert {tuple(s["video"].shape) for s in samples} == {(3, 5, 48, 64)}
    assert float(samples[0]["video"].max()) > 1.0  # raw 0..255, not normalised
