"""``ClipLoader`` end to end on the CPU, against PyTorchVideo's ``LabeledVideoDataset``.

* The seed configuration's temporal part (uniform clips, ``UniformTemporalSubsample(8)``,
  sequential videos): the same clips in the same order with the same labels and indices, the
  same stamped frames, and pixels within a small tolerance, on both CPU paths: DALI's own CPU
  decoder (VP9, MJPEG) and PyAV-decoded frames fed to DALI (H.264, HEVC, MPEG-4).
* The seed transform (random short-side scale, random crop, flip): a batch dict with the same
  keys, types, dtypes, shapes and value range as PyTorchVideo's batch from a torch DataLoader.
* Determinism: one seed gives the same clips and bit-identical tensors; seeds and epochs reshuffle.

DALI worker processes are slow to start (a pipeline build takes several seconds on a small
machine), so each loader is built once per module and shared between tests.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import torch
import torchvision.transforms as tv
from pytorchvideo.data import LabeledVideoDataset
from pytorchvideo.data import make_clip_sampler as pv_make_clip_sampler
from pytorchvideo.data.encoded_video import EncodedVideo
from pytorchvideo.transforms import (
    ApplyTransformToKey,
    RandomShortSideScale,
    UniformTemporalSubsample,
)
from torch.utils.data import DataLoader, RandomSampler, SequentialSampler

from fastvid.data.index import VideoIndex
from fastvid.data.samplers import make_clip_sampler
from fastvid.reader.loader.clip_loader import ClipLoader

# Mean |difference| allowed on 0..255 per clip. DALI's CPU decoder converts YUV->RGB with its own
# rounding and chroma upsampling, unlike swscale (PyTorchVideo's frame.to_rgb()): measured
# 0.7-1.1 here (0.3-1.7 on other content; maxima up to ~50 at sharp colour edges), so means are
# compared, not pixels. The PyAV path converts with the same swscale call: measured 0.0.
MEAN_ABS_TOLERANCE = {"encoded": 2.0, "frames": 0.5}
DALI_VIDEOS = ("vp9", "vp9_vfr", "mjpeg")
PYAV_VIDEOS = ("h264", "h264_vfr", "hevc", "hevc_vfr", "mpeg4", "mpeg4_vfr")
MIXED_VIDEOS = ("h264", "vp9_vfr", "mjpeg", "hevc", "mpeg4_vfr")
BATCH = 2


def temporal_transform() -> Any:
    return ApplyTransformToKey("video", tv.Compose([UniformTemporalSubsample(8)]))


def seed_transform() -> Any:
    """The seed configuration's transform, scaled down to the 96x72 fixture videos."""
    return ApplyTransformToKey(
        "video",
        tv.Compose(
            [
                UniformTemporalSubsample(8),
                RandomShortSideScale(min_size=64, max_size=80),
                tv.RandomCrop(56),
                tv.RandomHorizontalFlip(p=0.5),
            ]
        ),
    )


def pytorchvideo_dataset(
    paths: list[str], clip_sampler: Any, transform: Any, video_sampler: type
) -> LabeledVideoDataset:
    return LabeledVideoDataset(
        labeled_video_paths=[(p, {"label": 100 + i}) for i, p in enumerate(paths)],
        clip_sampler=clip_sampler,
        video_sampler=video_sampler,
        transform=transform,
        decode_audio=False,
        decoder="pyav",
    )


def unbatch(batches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One dict per clip, ints as Python ints."""
    samples = []
    for batch in batches:
        for j in range(len(batch["video_name"])):
            samples.append(
                {
                    key: value[j].item() if key != "video" and torch.is_tensor(value) else value[j]
                    for key, value in batch.items()
                }
            )
    return samples


def identity(sample: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(
        sample[k] for k in ("video_name", "video_index", "clip_index", "aug_index", "label")
    )


@dataclass
class Run:
    """One built loader and the batches of the epochs it ran."""

    loader: ClipLoader
    epochs: dict[int, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def index(videos) -> VideoIndex:
    names = sorted({*DALI_VIDEOS, *PYAV_VIDEOS, *MIXED_VIDEOS})
    return VideoIndex.build(
        [str(videos.path(n)) for n in names], cache=False, num_workers=0, progress=False
    )


def make_loader(videos, index: VideoIndex, names: tuple[str, ...], **kwargs: Any) -> ClipLoader:
    options: dict[str, Any] = {
        "device": "cpu",
        "num_workers": 1,
        "num_threads": 2,
        "index": index,
        "progress": False,
        **kwargs,
    }
    pairs = [(str(videos.path(n)), 100 + i) for i, n in enumerate(names)]
    return ClipLoader(pairs, **options)


def run_epochs(loader: ClipLoader, epochs: tuple[int, ...]) -> Iterator[Run]:
    run = Run(loader, {})
    try:
        for epoch in epochs:
            loader.set_epoch(epoch)
            run.epochs[epoch] = list(loader)
        yield run
    finally:
        loader.close()
        gc.collect()


@pytest.fixture(scope="module")
def dali_run(videos, index: VideoIndex) -> Iterator[Run]:
    loader = make_loader(
        videos,
        index,
        DALI_VIDEOS,
        clip_sampler=make_clip_sampler("uniform", 1.0),
        transform=temporal_transform(),
        video_sampler=SequentialSampler,
        batch_size=3,
        cpu_decoder="dali",
    )
    yield from run_epochs(loader, (0,))


@pytest.fixture(scope="module")
def pyav_run(videos, index: VideoIndex) -> Iterator[Run]:
    loader = make_loader(
        videos,
        index,
        PYAV_VIDEOS,
        clip_sampler=pv_make_clip_sampler("uniform", 1.0),  # PyTorchVideo's own sampler object
        transform=temporal_transform(),
        video_sampler=SequentialSampler,
        batch_size=5,
        cpu_decoder="pyav",
    )
    yield from run_epochs(loader, (0,))


def seed_config_loader(videos, index: VideoIndex, *, seed: int) -> ClipLoader:
    return make_loader(
        videos,
        index,
        MIXED_VIDEOS,
        clip_sampler=make_clip_sampler("random", 1.0),
        transform=seed_transform(),
        video_sampler=RandomSampler,
        batch_size=BATCH,
        seed=seed,
    )


@pytest.fixture(scope="module")
def seed_run(videos, index: VideoIndex) -> Iterator[Run]:
    """The seed transform with random clips and video order: epochs 0 and 1 on one pipeline."""
    yield from run_epochs(seed_config_loader(videos, index, seed=5), (0, 1))


@pytest.fixture(scope="module")
def twin_run(videos, index: VideoIndex) -> Iterator[Run]:
    """A second loader with ``seed_run``'s seed, started directly at epoch 1."""
    yield from run_epochs(seed_config_loader(videos, index, seed=5), (1,))


# ---------------------------------------------------------------------------------------------
# End to end against PyTorchVideo: temporal part of the seed configuration


@pytest.mark.parametrize(
    ("run_name", "names", "source_kind"),
    [("dali_run", DALI_VIDEOS, "encoded"), ("pyav_run", PYAV_VIDEOS, "frames")],
    ids=["dali-decoder", "pyav-decoder"],
)
def test_uniform_clips_match_pytorchvideo(
    run_name: str,
    names: tuple[str, ...],
    source_kind: str,
    request: pytest.FixtureRequest,
    videos,
    stamps: Callable,
) -> None:
    run: Run = request.getfixturevalue(run_name)
    assert run.loader.source_kind == source_kind
    paths = [str(videos.path(n)) for n in names]
    oracle = list(
        pytorchvideo_dataset(
            paths,
            pv_make_clip_sampler("uniform", 1.0),
            temporal_transform(),
            SequentialSampler,
        )
    )
    mine = unbatch(run.epochs[0])

    assert [identity(s) for s in mine] == [identity(s) for s in oracle]
    assert len(run.epochs[0]) == len(run.loader)
    assert len({s["video_index"] for s in oracle}) == len(names)  # every video took part
    differences = []
    for got, expected in zip(mine, oracle, strict=True):
        assert got["video"].dtype == expected["video"].dtype == torch.float32
        assert got["video"].shape == expected["video"].shape
        assert stamps(got["video"]) == stamps(expected["video"]), identity(got)
        differences.append(float((got["video"] - expected["video"]).abs().mean()))
    assert max(differences) < MEAN_ABS_TOLERANCE[source_kind], differences


# ---------------------------------------------------------------------------------------------
# The seed transform: the batch dict against PyTorchVideo's DataLoader batch


def test_batch_dict_matches_pytorchvideo_batch(seed_run: Run, videos) -> None:
    paths = [str(videos.path(n)) for n in MIXED_VIDEOS]
    torch.manual_seed(0)
    dataset = pytorchvideo_dataset(
        paths, pv_make_clip_sampler("random", 1.0), seed_transform(), RandomSampler
    )
    expected = next(iter(DataLoader(dataset, batch_size=BATCH, num_workers=0)))
    got = seed_run.epochs[0][0]

    assert set(got) == set(expected)
    for key, value in expected.items():
        assert type(got[key]) is type(value), key
        if torch.is_tensor(value):
            assert got[key].dtype == value.dtype, key
            assert got[key].shape == value.shape, key
            assert got[key].device == value.device, key
        else:
            assert all(type(a) is type(b) for a, b in zip(got[key], value, strict=True)), key
    for video in (got["video"], expected["video"]):
        assert float(video.min()) >= 0.0 and float(video.max()) <= 255.0
        assert float(video.max()) > 1.0  # 0..255, not 0..1
    assert seed_run.loader.source_kind == "frames"  # H.264 among the videos: PyAV decodes


def test_random_clips_have_pytorchvideo_frames(seed_run: Run, videos, stamps: Callable) -> None:
    """Random clips: every planned clip decodes in PyTorchVideo to the frames the plan holds."""
    paths = [str(videos.path(n)) for n in MIXED_VIDEOS]
    decoders = {p: EncodedVideo.from_path(p, decode_audio=False) for p in paths}
    try:
        for epoch in (0, 1):
            plan = seed_run.loader.plan(epoch)
            for clip in plan:
                video = decoders[clip.path].get_clip(clip.clip_start_sec, clip.clip_end_sec)
                subsampled = UniformTemporalSubsample(8)(video["video"])
                assert stamps(subsampled) == clip.frame_indices.tolist()
            batches = seed_run.epochs[epoch]
            assert sum(len(b["video_name"]) for b in batches) == len(plan)
            assert all(b["video"].shape[2] == 8 for b in batches)
    finally:
        for decoder in decoders.values():
            decoder.close()


# ---------------------------------------------------------------------------------------------
# Determinism


def test_same_seed_gives_identical_clips_and_tensors(seed_run: Run, twin_run: Run) -> None:
    first, second = seed_run.epochs[1], twin_run.epochs[1]
    assert [identity(s) for s in unbatch(first)] == [identity(s) for s in unbatch(second)]
    assert len(first) == len(second)
    for a, b in zip(first, second, strict=True):
        assert torch.equal(a["video"], b["video"])
    # Epoch 1 differs from epoch 0 (another order and other random clips and augmentations).
    assert [identity(s) for s in unbatch(seed_run.epochs[0])] != [
        identity(s) for s in unbatch(first)
    ]


def test_seed_and_epoch_reshuffle_deterministically(videos, index: VideoIndex) -> None:
    def clips(loader: ClipLoader, epoch: int | None = None) -> list[tuple[int, int, float]]:
        return [(c.video_index, c.clip_index, float(c.clip_start_sec)) for c in loader.plan(epoch)]

    def order(seed: int, epoch: int) -> list[tuple[int, int, float]]:
        return clips(seed_config_loader(videos, index, seed=seed), epoch)

    assert order(5, 0) == order(5, 0)
    assert order(5, 0) != order(6, 0)
    assert order(5, 0) != order(5, 1)
    assert order(5, 1) == order(5, 1)
    # set_epoch picks the epoch that plan() and the next iteration use.
    loader = seed_config_loader(videos, index, seed=5)
    loader.set_epoch(1)
    assert clips(loader) == order(5, 1)
    assert sorted({v for v, _, _ in order(6, 0)}) == list(range(len(MIXED_VIDEOS)))


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, (0, 1)),
        ({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1"}, (3, 4)),
        ({"LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2", "WORLD_SIZE": "2"}, (1, 2)),
        # several nodes: a local rank is not the global one, and no world size: not a rank
        ({"LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2", "WORLD_SIZE": "4"}, (0, 1)),
        ({"LOCAL_RANK": "1"}, (0, 1)),
    ],
)
def test_rank_and_world_size_from_the_environment(
    env: dict[str, str], expected: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastvid.reader.loader._options import distributed_rank_world

    for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert distributed_rank_world() == expected


# ---------------------------------------------------------------------------------------------
# A first epoch not planned yet: its first batches come from a head planned alone


def uniform_loader(videos, index: VideoIndex, **kwargs: Any) -> ClipLoader:
    return make_loader(
        videos,
        index,
        PYAV_VIDEOS,
        clip_sampler=make_clip_sampler("uniform", 0.25),
        transform=temporal_transform(),
        video_sampler=RandomSampler,
        batch_size=3,
        prefetch_batches=1,
        **kwargs,
    )


@pytest.mark.parametrize(
    "options",
    [{}, {"rank": 1, "world_size": 2, "drop_last": True}],
    ids=["one-rank", "rank-1-of-2-drop-last"],
)
def test_the_first_batch_comes_before_the_whole_first_epoch_is_planned(
    videos, index: VideoIndex, monkeypatch: pytest.MonkeyPatch, options: dict[str, Any]
) -> None:
    """The epoch's plan is held back in its background thread until the first batch is out;
    the batches are the same as with the plan made first, across the head / rest seam."""
    import threading

    from fastvid.reader.loader import clip_loader as loader_module
    from fastvid.reader.planning.epoch import EpochPlanner

    monkeypatch.setattr(loader_module, "HEAD_BATCHES", 2, raising=False)  # the seam: mid-epoch
    release, planned = threading.Event(), []
    build = EpochPlanner._build

    def held_back(self: EpochPlanner, epoch: int) -> Any:
        release.wait(20)
        planned.append(epoch)
        return build(self, epoch)

    monkeypatch.setattr(EpochPlanner, "_build", held_back)
    loader = uniform_loader(videos, index, **options)
    try:
        batches = iter(loader)
        first = next(batches)
        assert planned == []  # the whole plan was not made yet
        release.set()
        second = next(batches)
        state = loader.state_dict()  # two batches out: resumable mid-head
        lazy = [first, second, *batches]
        stats = loader.last_epoch_stats
    finally:
        release.set()
        loader.close()
    eager_loader = uniform_loader(videos, index, **options)
    resumed_loader = uniform_loader(videos, index, **options)
    try:
        plan = eager_loader.plan(0)  # planned before the epoch starts: one run, no head
        eager = list(eager_loader)
        resumed_loader.load_state_dict(state)
        resumed = list(resumed_loader)
    finally:
        eager_loader.close()
        resumed_loader.close()
    assert len(eager) > 4 and len(lazy) == len(eager)
    assert [identity(s) for s in unbatch(lazy)] == [identity(s) for s in unbatch(eager)]
    assert all(torch.equal(a["video"], b["video"]) for a, b in zip(lazy, eager, strict=True))
    assert [identity(s) for s in unbatch(resumed)] == [identity(s) for s in unbatch(eager[2:])]
    assert stats is not None and stats.clips == len(plan)  # both parts (a dropped batch too)


def test_workers_start_with_the_set_up_where_their_count_is_known(
    videos, index: VideoIndex
) -> None:
    """Every file decoded by PyAV (or ``num_workers`` given): the worker processes start
    before the videos are indexed and routed, and import meanwhile; the epoch uses them."""
    loader = uniform_loader(videos, index)
    try:
        loader.setup()
        started = loader.worker_pids()
        assert len(started) == loader.budget.workers == 1
        next(iter(loader))
        assert loader.worker_pids() == started
    finally:
        loader.close()
    routed = make_loader(
        videos,
        index,
        DALI_VIDEOS,
        clip_sampler=make_clip_sampler("uniform", 1.0),
        cpu_decoder="dali",
        num_workers=None,
    )
    try:
        routed.setup()  # how many workers depends on the routes: started on first use
        assert routed.worker_pids() == []
    finally:
        routed.close()
