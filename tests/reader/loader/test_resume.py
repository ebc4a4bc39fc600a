"""``ClipLoader.state_dict`` / ``load_state_dict``: exact mid-epoch resume.

A reference loader runs two epochs the way Lightning iterates it (``iter`` once per epoch, no
``set_epoch``) and saves its state after every batch. A fresh loader loading the state saved
after ``k`` batches must yield exactly the reference's batches from ``k`` on: the same clips
(random clip sampler, random video order), the same augmentation (random short-side scale,
random crop, flip: ``torch.equal`` on the pixels), in the same order, with 1 or 2 worker
processes and with another count on resume (``num_workers=0`` is refused by the loader: the
worker processes are where clips are decoded). The skipped batches are not decoded.
"""

from __future__ import annotations

import copy
import gc
import io
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
import torchvision.transforms as tv
from pytorchvideo.transforms import (
    ApplyTransformToKey,
    RandomShortSideScale,
    UniformTemporalSubsample,
)

from fastvid.data.index import VideoIndex
from fastvid.data.samplers import make_clip_sampler
from fastvid.reader.loader.clip_loader import ClipLoader
from fastvid.testing import make_video

NUM_VIDEOS = 8
BATCH = 2  # 4 batches per epoch
EPOCHS = 2
KEYS = ("label", "video_index", "clip_index", "aug_index")


def seed_transform(frames: int = 4, *, residual: bool = False) -> Any:
    steps: list[Any] = [
        UniformTemporalSubsample(frames),
        RandomShortSideScale(min_size=48, max_size=60),
        tv.RandomCrop(40),
        tv.RandomHorizontalFlip(p=0.5),
    ]
    if residual:
        steps.append(Jitter())  # not lowered: runs in torch on each clip
    return ApplyTransformToKey("video", tv.Compose(steps))


class Jitter:
    """A random transform fastvid cannot lower: draws from torch's global RNG per clip."""

    def __call__(self, video: torch.Tensor) -> torch.Tensor:
        return video + torch.rand(()) * 10


def batch_jitter(batch: dict[str, Any]) -> dict[str, Any]:
    """A random per-batch transform: draws from torch's global RNG per batch."""
    batch["video"] = batch["video"] * (1 + torch.rand(()))
    return batch


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, int]]:
    root = tmp_path_factory.mktemp("resume_videos")
    return [
        (
            str(
                make_video(
                    root / f"v{i}.mp4",
                    codec="h264",
                    size=(64, 48),
                    fps=15,
                    duration=1.5,
                    seed=i,
                    content="flat",
                )
            ),
            i % 2,
        )
        for i in range(NUM_VIDEOS)
    ]


@pytest.fixture(scope="module")
def index(pairs: list[tuple[str, int]]) -> VideoIndex:
    return VideoIndex.build([p for p, _ in pairs], cache=False, num_workers=0, progress=False)


def make_loader(
    pairs: list[tuple[str, int]], index: VideoIndex, workers: int, **kwargs: Any
) -> ClipLoader:
    options: dict[str, Any] = {
        "clip_sampler": make_clip_sampler("random", 0.5),
        "transform": seed_transform(),
        "batch_size": BATCH,
        "device": "cpu",
        "num_workers": workers,
        "num_threads": 1,
        "seed": 3,
        "index": index,
        "progress": False,
        **kwargs,
    }
    return ClipLoader(pairs, **options)


def summary(batch: dict[str, Any]) -> dict[str, Any]:
    """What identifies a batch: pixels, names, labels and indices (copied)."""
    return {
        "video": batch["video"].clone(),
        "video_name": list(batch["video_name"]),
        **{key: batch[key].clone() for key in KEYS},
    }


def assert_same_batches(got: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert len(got) == len(expected)
    for number, (a, b) in enumerate(zip(got, expected, strict=True)):
        assert a["video_name"] == b["video_name"], number
        for key in KEYS:
            assert torch.equal(a[key], b[key]), (number, key)
        assert torch.equal(a["video"], b["video"]), number


def record(loader: ClipLoader, *, consume_rng: int = 0) -> tuple[list[Any], list[Any]]:
    """Two epochs as Lightning iterates them; the state after each batch (``states[k]``: after
    ``k`` batches). ``consume_rng`` draws from torch's global RNG between batches (a model)."""
    batches, states = [], [copy.deepcopy(loader.state_dict())]
    for _ in range(EPOCHS):
        for batch in loader:
            batches.append(summary(batch))
            states.append(copy.deepcopy(loader.state_dict()))
            torch.rand(consume_rng)
    return batches, states


def resume(
    loader: ClipLoader, state: dict[str, Any], count: int, *, consume_rng: int = 0
) -> list[dict[str, Any]]:
    """Load ``state`` and take ``count`` batches (the rest of its epoch, then the next)."""
    loader.load_state_dict(state)
    batches: list[dict[str, Any]] = []
    for _ in range(EPOCHS):
        for batch in loader:
            batches.append(summary(batch))
            torch.rand(consume_rng)
        if len(batches) >= count:
            break
    return batches


@pytest.fixture(scope="module")
def reference_loaders(
    pairs: list[tuple[str, int]], index: VideoIndex
) -> Iterator[dict[int, ClipLoader]]:
    """The reference runs' loaders (1 and 2 workers), kept open: the resumes with the worker
    count a state was saved with load it into the loader that saved it (the other counts, and
    the tests below, resume in fresh loaders)."""
    loaders = {workers: make_loader(pairs, index, workers) for workers in (1, 2)}
    try:
        yield loaders
    finally:
        for loader in loaders.values():
            loader.close()
        gc.collect()


@pytest.fixture(scope="module")
def reference(
    reference_loaders: dict[int, ClipLoader],
) -> dict[int, tuple[list[Any], list[Any]]]:
    """Uninterrupted two-epoch runs with 1 and 2 workers: batches and states."""
    return {workers: record(loader) for workers, loader in reference_loaders.items()}


def test_reference_runs_agree_and_augment(reference: dict[int, Any]) -> None:
    """Batch contents do not depend on the worker count; epochs differ; the crop and flip
    really vary (so the pixel comparisons below check augmentation parameters)."""
    one, two = reference[1][0], reference[2][0]
    assert len(one) == EPOCHS * NUM_VIDEOS // BATCH
    assert_same_batches(two, one)
    epoch0 = [n for b in one[:4] for n in b["video_name"]]
    epoch1 = [n for b in one[4:] for n in b["video_name"]]
    assert sorted(epoch0) == sorted(epoch1) and epoch0 != epoch1
    states = reference[1][1]
    assert [(s["epoch"], s["batch"]) for s in states] == [
        (0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1), (1, 2), (1, 3), (2, 0)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("saved_with", "resumed_with"),
    [(1, 1), (2, 2), (1, 2), (2, 1)],
    ids=["1-worker", "2-workers", "1-then-2-workers", "2-then-1-worker"],
)
def test_resumed_loader_yields_the_rest_of_the_run(
    pairs: list[tuple[str, int]],
    index: VideoIndex,
    reference: dict[int, Any],
    reference_loaders: dict[int, ClipLoader],
    saved_with: int,
    resumed_with: int,
) -> None:
    batches, states = reference[saved_with]
    fresh = saved_with != resumed_with  # a fresh loader, or the one that saved the states
    loader = make_loader(pairs, index, resumed_with) if fresh else reference_loaders[saved_with]
    try:
        # mid-epoch 0, at the epoch boundary, mid-epoch 1; the same loader loads each in turn
        for k in (1, 4, 6):
            assert_same_batches(resume(loader, states[k], len(batches) - k), batches[k:])
        # resuming mid-epoch plans (and decodes) only the batches not handed out yet
        loader.load_state_dict(states[1])
        skipped = {v for v in batches[0]["video_index"].tolist()}
        assert len(list(loader)) == NUM_VIDEOS // BATCH - 1
        stats = loader.last_epoch_stats
        assert stats is not None and stats.clips == NUM_VIDEOS - BATCH
        assert stats.decoded_frames > 0 and not skipped & set(stats.decoded_by_video)
    finally:
        if fresh:
            loader.close()
            gc.collect()


def test_torch_side_transforms_resume_exactly(
    pairs: list[tuple[str, int]], index: VideoIndex
) -> None:
    """A transform fastvid cannot lower and a ``batch_transform`` draw from the global RNGs;
    the loader seeds them from the batch's position, so neither the model's own draws nor the
    global seed change them."""
    options = {"transform": seed_transform(residual=True), "batch_transform": batch_jitter}
    loader = make_loader(pairs, index, 1, **options)
    try:
        torch.manual_seed(0)
        batches, states = record(loader, consume_rng=3)
        assert loader.lowered.residual_names  # Jitter really runs in torch
        torch.manual_seed(1)
        fresh = make_loader(pairs, index, 1, **options)
        try:
            got = resume(fresh, states[3], len(batches) - 3, consume_rng=5)
        finally:
            fresh.close()
        assert_same_batches(got, batches[3:])
    finally:
        loader.close()
        gc.collect()


def test_every_rank_resumes_from_rank_0s_state(
    pairs: list[tuple[str, int]], index: VideoIndex
) -> None:
    """Under DDP Lightning saves rank 0's loader state and every rank loads it: rank 1 must
    continue its own share of the epoch (both ranks run the same number of batches)."""
    shards = {"world_size": 2, "drop_last": True}
    rank0 = make_loader(pairs, index, 1, rank=0, **shards)
    rank1 = make_loader(pairs, index, 1, rank=1, **shards)
    try:
        assert len(rank0) == len(rank1) == NUM_VIDEOS // 2 // BATCH
        batches = iter(rank0)
        next(batches)
        state = copy.deepcopy(rank0.state_dict())  # rank 0 handed out one batch
        batches.close()
        assert (state["rank"], state["epoch"], state["batch"]) == (0, 0, 1)
        expected = [summary(b) for b in rank1]
        rank1.set_epoch(0)
        rank1.load_state_dict(state)
        assert_same_batches([summary(b) for b in rank1], expected[1:])
        # rank 0's own plan is still checked against its digest
        rank0.load_state_dict(dict(state, plan_digest="0" * 32))
        with pytest.raises(ValueError, match="plans other clips"):
            next(iter(rank0))
    finally:
        rank0.close()
        rank1.close()
        gc.collect()


def test_state_survives_a_weights_only_checkpoint(reference: dict[int, Any]) -> None:
    state = reference[1][1][2]
    buffer = io.BytesIO()
    torch.save({"loops": {"combined_loader": [state]}}, buffer)
    buffer.seek(0)
    assert torch.load(buffer, weights_only=True)["loops"]["combined_loader"] == [state]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"seed": 4}, "seed: saved 3, this loader 4"),
        ({"batch_size": 4}, "batch_size: saved 2"),
        ({"drop_last": True}, "drop_last"),
        ({"clip_sampler": make_clip_sampler("uniform", 0.5)}, "clip_sampler"),
        ({"clip_sampler": make_clip_sampler("random", 1.0)}, "clip_sampler"),
        ({"video_sampler": torch.utils.data.SequentialSampler}, "video_sampler"),
        ({"rank": 1, "world_size": 2}, "world_size: saved 1, this loader 2"),
    ],
)
def test_a_state_of_other_options_is_refused(
    pairs: list[tuple[str, int]],
    index: VideoIndex,
    reference: dict[int, Any],
    change: dict[str, Any],
    message: str,
) -> None:
    loader = make_loader(pairs, index, 1, **change)
    with pytest.raises(ValueError, match=message):
        loader.load_state_dict(reference[1][1][2])


def test_a_state_of_other_videos_is_refused(
    pairs: list[tuple[str, int]], index: VideoIndex, reference: dict[int, Any]
) -> None:
    state = reference[1][1][2]
    relabelled = [(path, 1 - label) for path, label in pairs]
    for videos in (pairs[:-1], relabelled):
        with pytest.raises(ValueError, match="videos: saved"):
            make_loader(videos, index, 1).load_state_dict(state)
    with pytest.raises(ValueError, match="not a ClipLoader state"):
        make_loader(pairs, index, 1).load_state_dict({"epoch": 0, "batch": 1})


def test_sampler_generators_are_not_part_of_the_fingerprint(
    pairs: list[tuple[str, int]], index: VideoIndex, reference: dict[int, Any]
) -> None:
    """The loader reseeds a sampler's generator per video and epoch: it does not matter."""
    sampler = make_clip_sampler("random", 0.5, generator=random.Random(11))
    make_loader(pairs, index, 1, clip_sampler=sampler).load_state_dict(reference[1][1][2])


def test_moved_dataset_resumes(
    pairs: list[tuple[str, int]], reference: dict[int, Any], tmp_path: Path
) -> None:
    """Videos are matched by their paths under the dataset's folder, not where it lies."""
    moved = [(str(tmp_path / "elsewhere" / Path(p).name), label) for p, label in pairs]
    sampler = make_clip_sampler("random", 0.5)
    loader = ClipLoader(moved, clip_sampler=sampler, seed=3, batch_size=BATCH, device="cpu")
    loader.load_state_dict(reference[1][1][2])
    assert loader.state_dict()["epoch"] == 0 and loader.state_dict()["batch"] == 2


def test_a_state_of_another_plan_is_refused_before_decoding(
    pairs: list[tuple[str, int]], index: VideoIndex, reference: dict[int, Any]
) -> None:
    """Same options, but other frames per clip: the epoch's plan is not the saved one."""
    loader = make_loader(pairs, index, 1, transform=seed_transform(frames=2))
    loader.load_state_dict(reference[1][1][2])
    with pytest.raises(ValueError, match="plans other clips"):
        next(iter(loader))
    # refused before any task went out (the workers, started with the set-up, got none)
    assert loader.last_epoch_stats is None


def test_set_epoch_keeps_a_loaded_state_of_its_epoch_only(
    pairs: list[tuple[str, int]], index: VideoIndex, reference: dict[int, Any]
) -> None:
    loader = make_loader(pairs, index, 1)
    loader.load_state_dict(reference[1][1][6])
    assert (loader.state_dict()["epoch"], loader.state_dict()["batch"]) == (1, 2)
    assert len(loader) == NUM_VIDEOS // BATCH  # still the whole epoch, as Lightning expects
    loader.set_epoch(1)  # a loop that sets every epoch still resumes
    assert (loader.state_dict()["epoch"], loader.state_dict()["batch"]) == (1, 2)
    loader.set_epoch(0)
    state = loader.state_dict()
    assert (state["epoch"], state["batch"], state["plan_digest"]) == (0, 0, None)
