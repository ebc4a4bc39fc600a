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
        prefix = loader._parts.pool.prefix if loader._parts.pool is not None else ""
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


def seed_like_chain() -> Any:
    from pytorchvideo.transforms import Normalize, RandomShortSideScale

    return tv.Compose(
        [
            UniformTemporalSubsample(8),  # more frames than some clips have: repeats
            RandomShortSideScale(min_size=64, max_size=80),
            tv.RandomCrop(56),
            tv.RandomHorizontalFlip(p=0.5),
            tv.Lambda(lambda x: x / 255.0),
            Normalize((0.45, 0.45, 0.45), (0.225, 0.225, 0.225)),
        ]
    )


def test_the_cpu_torch_finish_matches_pytorchvideo_and_the_dali_graph(
    videos: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the CPU, seed-like chains finish in torch (uint8 resize, crop, flip, repeats, affine):
    clip by clip, the original transforms on PyAV's frames with the clip's seed give the same
    tensor up to the uint8 rounding of the resize; DALI's graph agrees within its resize error."""
    import fastvid.reader.loader._run_parts as run_parts_module
    from fastvid.reader.decoding.pyav_source import decode_frames
    from fastvid.reader.planning.epoch import mix_seed

    paths = [videos.path(n) for n in ["h264", "hevc", "mpeg4_vfr"]]
    options: dict[str, Any] = {
        "clip_sampler": make_clip_sampler("uniform", 0.25),
        "transform": ApplyTransformToKey("video", seed_like_chain()),
        "batch_size": 3,
        "seed": 3,
    }

    def epoch(torch_finish: bool) -> tuple[list[Any], Any]:
        if not torch_finish:
            monkeypatch.setattr(run_parts_module, "finish_in_torch_possible", lambda ops: False)
        loader = loader_for(paths, **options)
        try:
            loader.setup()
            assert loader._parts.config().torch_finish is torch_finish
            return list(loader), loader
        finally:
            loader.close()

    batches, loader = epoch(True)
    plan = loader.plan(0)
    assert any(len(set(r.frame_indices.tolist())) < 8 for r in plan), "some clip repeats frames"
    clips = [v for b in batches for v in b["video"]]
    chain = seed_like_chain()
    step = 1 / 255 / 0.225  # one uint8 step after the normalisation
    flips = 0
    for request, clip in zip(plan, clips, strict=True):
        meta = loader._planner.videos[request.video_index].timing
        frames = decode_frames(
            request.path, request.frame_indices, pts=meta.pts, keyframes=meta.keyframes
        )
        with torch.random.fork_rng():
            torch.manual_seed(mix_seed(3, 0, request.video_index, request.clip_index, 0))
            expected = chain(torch.from_numpy(frames).permute(3, 0, 1, 2).float())
        assert clip.shape == expected.shape == (3, 8, 56, 56)
        assert (clip - expected).abs().max() <= 1.01 * step
        flips += int(not torch.equal(clip, clip.flip(-1)))
    assert flips
    by_dali, _ = epoch(False)
    dali_clips = [v for b in by_dali for v in b["video"]]
    for ours, dali in zip(clips, dali_clips, strict=True):
        assert (ours - dali).abs().mean() < 2 * step  # swscale + DALI's resize vs torch's


def test_the_next_epoch_starts_while_this_one_ends_and_set_epoch_still_rules(
    videos: Any, stamps: Any
) -> None:
    def fresh() -> ClipLoader:
        return loader_for(
            [videos.path(n) for n in ["h264", "vp9", "hevc", "mpeg4"]],
            clip_sampler=make_clip_sampler("random", 0.5),
            transform=subsample(4),
            batch_size=2,
            num_workers=2,
            seed=11,
        )

    loader = fresh()
    try:
        list(loader)  # epoch 0
        ahead = loader._runs.next
        assert ahead is not None and ahead.epoch == 1 and ahead.stats.tasks > 0
        epoch1 = list(loader)  # uses the tasks sent ahead
        loader.set_epoch(5)  # the tasks sent ahead for epoch 2 are dropped
        epoch5 = list(loader)
    finally:
        loader.close()
    reference = fresh()
    try:
        reference.set_epoch(1)
        expected1 = list(reference)
        reference.set_epoch(5)
        expected5 = list(reference)
    finally:
        reference.close()
    for got, want in ((epoch1, expected1), (epoch5, expected5)):
        assert len(got) == len(want)
        for a, b in zip(got, want, strict=True):
            assert a["video_name"] == b["video_name"]
            assert torch.equal(a["clip_index"], b["clip_index"])
            assert torch.equal(a["video"], b["video"])
