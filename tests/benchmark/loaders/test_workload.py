"""The clip config every row shares, and the workload planned with it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from fastvid.benchmark.loaders import SEED, SEED_CONFIG, ClipConfig, make_workload, sampler_args
from fastvid.testing import make_video


def test_the_seed_config() -> None:
    assert ClipConfig("uniform", 2.0, 4, 8, (256, 320), 244, 0.5) == SEED
    assert SEED_CONFIG["short_side"] == [256, 320] and SEED_CONFIG["num_frames"] == 8
    assert sampler_args("constant_clips_per_video") == (2.0, 4)
    assert replace(SEED, clip_sampler="random", clip_duration=1.0).sampler_args() == (1.0,)
    with pytest.raises(ValueError, match=r"clip_sampler \('jitter'\) must be one of"):
        replace(SEED, clip_sampler="jitter")


def test_the_transform_gives_the_configured_clip() -> None:
    config = ClipConfig(num_frames=4, short_side=(40, 48), crop=32, flip_p=1.0)
    video = torch.arange(3 * 10 * 48 * 64, dtype=torch.float32).reshape(3, 10, 48, 64)
    out = config.sample_transform()({"video": video})["video"]
    assert out.shape == (3, 4, 32, 32)
    assert config.video_transform(subsample=False)(video[:, :4]).shape == (3, 4, 32, 32)


def test_the_workload_plans_with_its_config(tmp_path: Path) -> None:
    from fastvid.data.index import VideoIndex

    path = str(make_video(tmp_path / "v.webm", size=(64, 48), duration=3.0, fps=10))
    index = VideoIndex.build([path], progress=False)
    config = ClipConfig(clip_duration=1.0, num_frames=3, short_side=(48, 48), crop=40)
    work = make_workload("t", [(path, 0)], batch_size=2, index=index, codec="vp9", config=config)
    assert work.sampler == "uniform" and work.frames_per_clip == 3
    # PyTorchVideo's uniform sampler: whole 1 s clips within the duration (a WebM's is 2.97 s)
    whole = int(index.meta(path).duration)
    assert whole == 2 and work.num_clips == whole
    assert all(len(r.frame_indices) == 3 for r in work.plan)
    constant = make_workload(
        "t",
        [(path, 0)],
        batch_size=2,
        index=index,
        codec="vp9",
        config=replace(config, clips_per_video=5),
        sampler="constant_clips_per_video",
    )
    assert constant.sampler == "constant_clips_per_video" and constant.num_clips == 5
