"""The drop-in dataset under torch's own ``DataLoader``, and PyTorchVideo's iteration protocol.

PyTorchVideo 0.1.5's ``LabeledVideoDataset`` is the oracle: the same videos, clip sampler,
transform and ``DataLoader`` settings (global seeds set alike) must give the same samples in the
same order, wrapped or bare, with 0 or 2 torch workers.
"""

from __future__ import annotations

import gc
import random
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from pytorchvideo.data import LabeledVideoDataset as PtvDataset
from pytorchvideo.data import make_clip_sampler as ptv_sampler
from pytorchvideo.transforms import (
    ApplyTransformToKey,
    RandomShortSideScale,
    UniformTemporalSubsample,
)
from torch.utils.data import ChainDataset, DistributedSampler, SequentialSampler
from torchvision.transforms import Compose, RandomCrop, RandomHorizontalFlip

from fastvid.data import layout
from fastvid.data.samplers import make_clip_sampler
from fastvid.integrations.pytorchvideo.api import (
    DataLoader,
    LabeledVideoDataset,
    labeled_video_dataset,
)
from fastvid.testing import make_dataset, read_frame_index

Pairs = list[tuple[str, dict[str, Any]]]


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> Pairs:
    root = make_dataset(
        tmp_path_factory.mktemp("torch_loader") / "ds",
        classes=("a", "b"),
        per_class=3,
        splits=None,
        codec="h264",
        size=(96, 72),
        duration=2.4,
        fps=15,
    )
    return layout.from_folder(str(root)).as_pytorchvideo()


def _augment() -> Any:
    """A training chain with random draws at every step (each one lowered by fastvid)."""
    return ApplyTransformToKey(
        "video",
        Compose(
            [
                UniformTemporalSubsample(4),
                RandomShortSideScale(40, 52),
                RandomCrop(32),
                RandomHorizontalFlip(),
            ]
        ),
    )


class TakeAll(torch.utils.data.Dataset[dict[str, Any]]):
    """A map-style wrapper pulling from one iterator of the dataset (the shape of PyTorchVideo's
    classification tutorial's ``LimitDataset``)."""

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset
        self.samples = iter(dataset)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return next(self.samples)

    def __len__(self) -> int:
        return 4


def _drain(make: Callable[[], Any], **loader: Any) -> list[dict[str, Any]]:
    """Every batch of torch's ``DataLoader`` over ``make()``, global seeds fixed first."""
    random.seed(7)
    torch.manual_seed(7)
    return list(torch.utils.data.DataLoader(make(), **loader))


def _rows(batches: list[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
    for batch in batches:
        for i in range(len(batch["video_name"])):
            yield (
                batch["video_name"][i],
                int(batch["video_index"][i]),
                int(batch["clip_index"][i]),
                int(batch["label"][i]),
                batch["video"][i],
            )


def _assert_same(ours: list[dict[str, Any]], reference: list[dict[str, Any]]) -> None:
    got, expected = list(_rows(ours)), list(_rows(reference))
    assert [g[:4] for g in got] == [e[:4] for e in expected]
    for g, e in zip(got, expected, strict=True):
        assert g[4].shape == e[4].shape and g[4].dtype == e[4].dtype == torch.float32
        # same crop and flip; fastvid resizes in uint8 (within one level of PyTorchVideo's)
        assert float((g[4] - e[4]).abs().mean()) < 1.0, g[:3]


@pytest.mark.parametrize(
    ("wrap", "workers"),
    [("take", 0), ("take", 2), ("chain", 2), (None, 2)],
)
def test_torch_dataloader_gives_pytorchvideos_samples_in_its_order(
    pairs: Pairs, wrap: str | None, workers: int
) -> None:
    def wrapped(dataset: Any) -> Any:
        if wrap == "take":
            return TakeAll(dataset)
        return ChainDataset([dataset]) if wrap == "chain" else dataset

    def theirs() -> Any:
        return wrapped(
            PtvDataset(pairs, ptv_sampler("random", 1.0), transform=_augment(), decode_audio=False)
        )

    def ours() -> Any:
        return wrapped(
            LabeledVideoDataset(
                pairs, make_clip_sampler("random", 1.0), transform=_augment(), decode_audio=False
            )
        )

    reference = _drain(theirs, batch_size=2, num_workers=workers)
    got = _drain(ours, batch_size=2, num_workers=workers)
    assert len(list(_rows(reference))) >= 4
    _assert_same(got, reference)


def test_fastvids_dataloader_import_hands_wrappers_to_torch(pairs: Pairs) -> None:
    dataset = LabeledVideoDataset(pairs, make_clip_sampler("uniform", 1.0), decode_audio=False)
    loader = DataLoader(TakeAll(dataset), batch_size=2, num_workers=2)
    assert isinstance(loader, torch.utils.data.DataLoader)
    batches = list(loader)
    assert sum(len(b["video_name"]) for b in batches) == 4


def test_batch_size_none_and_collate_fn_as_torch(pairs: Pairs) -> None:
    def theirs() -> Any:
        return PtvDataset(pairs, ptv_sampler("uniform", 1.0), SequentialSampler, decode_audio=False)

    def ours() -> Any:
        return LabeledVideoDataset(
            pairs, make_clip_sampler("uniform", 1.0), SequentialSampler, decode_audio=False
        )

    single = _drain(ours, batch_size=None, num_workers=2)
    reference = _drain(theirs, batch_size=None, num_workers=2)
    assert [s["video"].dim() for s in single] == [4] * len(reference)
    keys = ("video_name", "video_index", "clip_index", "aug_index", "label")
    assert [[s[k] for k in keys] for s in single] == [[s[k] for k in keys] for s in reference]
    assert all(type(s[k]) is int for s in single for k in keys[1:])

    def names(samples: list[dict[str, Any]]) -> list[tuple[str, int]]:
        return [(s["video_name"], s["clip_index"]) for s in samples]

    collated = _drain(ours, batch_size=3, collate_fn=names)
    assert collated == _drain(theirs, batch_size=3, collate_fn=names)
    # fastvid's own DataLoader: unbatched samples and collate_fn on PyTorchVideo's sample dicts
    # fastvid's own DataLoader (its workers; sequential videos: PyTorchVideo's order without
    # torch workers): unbatched samples, and collate_fn given PyTorchVideo's sample dicts
    in_order = names(_drain(theirs, batch_size=None))
    tagged = [(path, {**info, "tags": ["x", str(i)]}) for i, (path, info) in enumerate(pairs)]
    dataset = LabeledVideoDataset(
        tagged, make_clip_sampler("uniform", 1.0), SequentialSampler, decode_audio=False
    )
    own = list(DataLoader(dataset, batch_size=None, num_workers=1, device="cpu"))
    assert names(own) == in_order
    assert own[0]["video"].dim() == 4 and all(type(s["label"]) is int for s in own)
    assert [s["tags"] for s in own] == [["x", str(s["video_index"])] for s in own]
    grouped = list(DataLoader(ours(), batch_size=3, collate_fn=names, num_workers=1))
    assert [row for group in grouped for row in group] == in_order


def test_iterator_protocol_and_passes_as_pytorchvideo(pairs: Pairs) -> None:
    def make(cls: Any, sampler: Any) -> Any:
        return cls(pairs, sampler("uniform", 1.0), decode_audio=False)

    random.seed(1)
    torch.manual_seed(1)
    theirs = make(PtvDataset, ptv_sampler)
    ours = make(LabeledVideoDataset, make_clip_sampler)
    assert iter(ours) is ours
    first = next(ours)
    assert first["video_name"] == next(iter(theirs))["video_name"]
    for key in ("video_index", "clip_index", "aug_index", "label"):
        assert type(first[key]) is int, key
    # two more passes: the RandomSampler's generator runs on between passes, as in PyTorchVideo
    for _ in range(2):
        expected = [(s["video_index"], s["clip_index"]) for s in theirs]
        assert [(s["video_index"], s["clip_index"]) for s in ours] == expected
    with pytest.raises(StopIteration):
        next(ours)


def test_video_sampler_is_an_instance_with_set_epoch(
    pairs: Pairs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    dataset = LabeledVideoDataset(
        pairs, make_clip_sampler("uniform", 2.0), DistributedSampler, decode_audio=False
    )
    sampler = dataset.video_sampler
    assert isinstance(sampler, DistributedSampler) and sampler.rank == 1
    sampler.set_epoch(3)
    expected = DistributedSampler(range(len(pairs)), num_replicas=2, rank=1)
    expected.set_epoch(3)
    assert [s["video_index"] for s in dataset] == list(expected)


def test_random_multi_yields_one_sample_with_a_list_of_clips(pairs: Pairs) -> None:
    def run(cls: Any, sampler: Any) -> list[dict[str, Any]]:
        random.seed(5)
        torch.manual_seed(5)
        return list(
            cls(pairs[:2], sampler("random_multi", 0.5, 3), SequentialSampler, decode_audio=False)
        )

    reference = run(PtvDataset, ptv_sampler)
    got = run(LabeledVideoDataset, make_clip_sampler)
    assert len(got) == len(reference) == 2
    for g, e in zip(got, reference, strict=True):
        assert isinstance(g["video"], list) and len(g["video"]) == 3
        assert g["clip_index"] == e["clip_index"] and g["aug_index"] == e["aug_index"]
        for clip, clip_e in zip(g["video"], e["video"], strict=True):
            assert clip.shape == clip_e.shape
            frames = [read_frame_index(clip[:, t], layout="CHW") for t in range(clip.shape[1])]
            assert frames == [
                read_frame_index(clip_e[:, t], layout="CHW") for t in range(clip.shape[1])
            ]


def test_list_file_paths_are_relative_to_the_working_directory(
    pairs: Pairs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    video = Path(pairs[0][0])
    monkeypatch.chdir(video.parent.parent)
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "train.csv").write_text(f"{video.parent.name}/{video.name} 1\n")
    dataset = labeled_video_dataset(
        str(lists / "train.csv"), make_clip_sampler("uniform", 1.0), decode_audio=False
    )
    sample = next(iter(dataset))
    assert sample["video_name"] == video.name and sample["label"] == 1


def test_more_torch_workers_than_videos_warn_and_still_load(pairs: Pairs) -> None:
    dataset = LabeledVideoDataset(
        pairs[:1], make_clip_sampler("uniform", 1.0), SequentialSampler, decode_audio=False
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batches = list(torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=2))
    assert [b["clip_index"] for b in batches] == [0, 1]


def test_forking_after_iterating_here_does_not_hang(pairs: Pairs) -> None:
    """A dataset iterated in this process, left as uncollected garbage with its decoders open,
    then freed in a forked torch worker: without closing them before the fork, the worker waits
    forever for FFmpeg threads that stayed in this process."""

    def dataset() -> LabeledVideoDataset:
        return LabeledVideoDataset(
            pairs[:1], make_clip_sampler("uniform", 1.0), SequentialSampler, decode_audio=False
        )

    gc.disable()
    try:
        old = dataset()
        next(iter(old))  # its decoder is open, mid-video
        old.cycle = old  # type: ignore[attr-defined]  (only the collector frees it)
        del old
        loader = torch.utils.data.DataLoader(
            dataset(), batch_size=None, num_workers=1, timeout=30, worker_init_fn=_collect
        )
        assert [s["clip_index"] for s in loader] == [0, 1]
    finally:
        gc.enable()


def _collect(worker_id: int) -> None:
    gc.collect()
