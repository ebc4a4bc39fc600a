"""One epoch through the engine: mixed routes in one batch, GOP-range decoding, clean hand-back."""

from __future__ import annotations

import glob
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import torch
import torchvision.transforms as tv
from pytorchvideo.data.clip_sampling import ClipInfo, ClipSampler
from pytorchvideo.transforms import ApplyTransformToKey, UniformTemporalSubsample
from torch.utils.data import SequentialSampler

from fastvid.data.samplers import make_clip_sampler
from fastvid.reader import ClipLoader
from fastvid.testing import make_video
from tests.reader.conftest import SIZE


class LateClip(ClipSampler):  # type: ignore[misc]
    """One clip per video, [7 s, 8 s): late in a 10 s video."""

    def __init__(self) -> None:
        super().__init__(Fraction(1))

    def __call__(self, last_clip_time: Any, video_duration: Any, annotation: Any) -> ClipInfo:
        return ClipInfo(Fraction(7), Fraction(8), 0, 0, True)


def subsample(n: int) -> Any:
    return ApplyTransformToKey("video", tv.Compose([UniformTemporalSubsample(n)]))


def loader_for(paths: list[Path], **options: Any) -> ClipLoader:
    return ClipLoader(
        [(str(p), i) for i, p in enumerate(paths)],
        video_sampler=SequentialSampler,
        device="cpu",
        progress=False,
        cache_dir=None,
        **options,
    )


@pytest.fixture(scope="module")
def long_gop(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("long_gop")
    return [
        make_video(root / "h264.mp4", codec="h264", size=SIZE, duration=10.0, gop=150),
        make_video(root / "vp9.webm", codec="vp9", size=SIZE, duration=10.0, gop=150, seed=1),
    ]


def test_a_late_clip_in_a_long_gop_decodes_only_its_gop_range(
    long_gop: list[Path], stamps: Any
) -> None:
    loader = loader_for(
        long_gop, clip_sampler=LateClip(), transform=subsample(8), batch_size=2, cpu_decoder="dali"
    )
    try:
        assert set(loader.routing.decoders.values()) == {"pyav", "dali_cpu"}
        (batch,) = list(loader)
        stats = loader.last_epoch_stats
    finally:
        loader.close()
    planned = [r.frame_indices.tolist() for r in loader.plan(0)]
    assert [stamps(v) for v in batch["video"]] == planned
    assert min(planned[0]) >= 210  # frames 210..239, keyframes at 0 and 150
    assert stats is not None
    # decoding from frame 0 would cost 240 frames; the GOP range is frames 150..239
    for video_index in (0, 1):
        assert stats.decoded_by_video[video_index] <= 90 + 4, stats.decoded_by_video


def test_one_batch_mixes_dali_and_pyav_clips_in_plan_order(videos: Any, stamps: Any) -> None:
    names = ["vp9", "h264", "mjpeg", "hevc"]
    loader = loader_for(
        [videos.path(n) for n in names],
        clip_sampler=make_clip_sampler("uniform", 1.0),
        transform=subsample(4),
        batch_size=4,
        cpu_decoder="dali",
        num_workers=2,
    )
    try:
        batches = list(loader)
    finally:
        loader.close()
    routes = {Path(p).stem: d for p, d in loader.routing.decoders.items()}
    assert routes == {"vp9": "dali_cpu", "h264": "pyav", "mjpeg": "dali_cpu", "hevc": "pyav"}
    plan = loader.plan(0)
    delivered = [
        (name, int(c))
        for b in batches
        for name, c in zip(b["video_name"], b["clip_index"], strict=True)
    ]
    assert delivered == [(Path(r.path).name, r.clip_index) for r in plan]
    mixed = [b for b in batches if len({Path(n).suffix for n in b["video_name"]}) > 1]
    assert mixed, "some batch should hold clips of both routes"
    clips = [v for b in batches for v in b["video"]]
    assert [stamps(v) for v in clips] == [r.frame_indices.tolist() for r in plan]


def test_an_abandoned_epoch_does_not_disturb_the_next_and_close_frees_everything(
    videos: Any, stamps: Any
) -> None:
    loader = loader_for(
        [videos.path(n) for n in ["h264", "vp9", "hevc"]],
        clip_sampler=make_clip_sampler("uniform", 0.5),
        transform=subsample(4),
        batch_size=2,
        num_workers=2,
    )
    try:
        first = iter(loader)
        next(first)
        del first  # abandoned with tasks in flight
        loader.set_epoch(0)
        batches = list(loader)
        prefix = loader._pool.prefix if loader._pool is not None else ""
        assert prefix and glob.glob(prefix + "-*"), "the workers write into shared memory"
    finally:
        loader.close()
    assert glob.glob(prefix + "-*") == []
    plan = loader.plan(0)
    clips = [v for b in batches for v in b["video"]]
    assert [stamps(v) for v in clips] == [r.frame_indices.tolist() for r in plan]
    stats = loader.last_epoch_stats
    assert stats is not None and stats.clips == len(plan)
    assert 0 < stats.overhead_per_clip < 0.05  # scheduling and bookkeeping, not decoding


def seed_like_transform() -> Any:
    from pytorchvideo.transforms import Normalize, RandomShortSideScale

    return ApplyTransformToKey(
        "video",
        tv.Compose(
            [
                UniformTemporalSubsample(8),  # more frames than some clips have: repeats
                RandomShortSideScale(min_size=64, max_size=80),
                tv.RandomCrop(56),
                tv.RandomHorizontalFlip(p=0.5),
                tv.Lambda(lambda x: x / 255.0),
                Normalize((0.45, 0.45, 0.45), (0.225, 0.225, 0.225)),
            ]
        ),
    )


def test_crop_and_flip_done_by_the_workers_equal_the_dali_graph(
    videos: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the CPU the workers crop and flip while copying frames out; DALI's graph gives the
    same tensors (the pixels only move; the affine differs by float rounding at most)."""
    import fastvid.reader.loader as loader_module

    paths = [videos.path(n) for n in ["h264", "hevc", "mpeg4_vfr"]]
    options: dict[str, Any] = {
        "clip_sampler": make_clip_sampler("uniform", 0.25),
        "transform": seed_like_transform(),
        "batch_size": 3,
        "seed": 3,
    }

    def epoch(worker_ops: bool) -> tuple[list[Any], Any]:
        if not worker_ops:
            monkeypatch.setattr(loader_module, "worker_moves_possible", lambda ops, prescale: False)
        loader = loader_for(paths, **options)
        try:
            loader.setup()
            assert loader._run_config().worker_ops is worker_ops
            return list(loader), loader.plan(0)
        finally:
            loader.close()

    by_workers, plan = epoch(True)
    by_dali, _ = epoch(False)
    assert any(len(set(r.frame_indices.tolist())) < 8 for r in plan), "some clip repeats frames"
    assert len(by_workers) == len(by_dali)
    flips = 0
    for a, b in zip(by_workers, by_dali, strict=True):
        assert a["video"].shape == b["video"].shape == (len(a["label"]), 3, 8, 56, 56)
        assert (a["video"] - b["video"]).abs().max() < 1e-5
        flips += int(not torch.equal(a["video"], a["video"].flip(-1)))
    assert flips
