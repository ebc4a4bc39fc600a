"""``ClipLoader(device="gpu")`` end to end against PyTorchVideo: ``test_loader.py`` on NVDEC.

Every test here needs an NVIDIA GPU (``needs_cuda``): skipped without one, a failure with
``FASTVID_REQUIRE_CUDA=1`` (what ``benchmarks/gpu/device_check.sh`` sets). Untested on GPU so far:
no GPU has run them yet.

The fixture videos are 256x256 (``test_loader.py``'s 96x72 are below NVDEC's minimum for HEVC
and VP9 and would be routed to PyAV), one per codec NVDEC decodes, CFR and VFR, plus MJPEG, which
DALI's mixed decoder does not take: it must go to PyAV within the same GPU epoch.

* routing: MJPEG to PyAV, every other file to NVDEC (its reason printed if not);
* the seed configuration's temporal part (uniform clips, ``UniformTemporalSubsample(8)``,
  videos in order): the same clips in the same order as PyTorchVideo's ``LabeledVideoDataset``,
  the same stamped frames, pixels within 3.0 (NVDEC: its own YUV->RGB) or 0.5 (PyAV-decoded);
* a clip cut from the second GOP of a keyint-250 file has the planned frames;
* the seed transform: the batch dict has PyTorchVideo's keys, types, dtypes and shapes, on cuda;
* the GPU and CPU loaders with one seed give the same clips, frame by frame within 3.0.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
import torchvision.transforms as tv
from pytorchvideo.data import LabeledVideoDataset
from pytorchvideo.data import make_clip_sampler as pv_make_clip_sampler
from pytorchvideo.transforms import (
    ApplyTransformToKey,
    RandomShortSideScale,
    UniformTemporalSubsample,
)
from torch.utils.data import DataLoader, RandomSampler, SequentialSampler

from fastvid.data.index import VideoIndex
from fastvid.data.samplers import make_clip_sampler
from fastvid.reader.loader.clip_loader import ClipLoader
from fastvid.testing import make_video

pytestmark = pytest.mark.needs_cuda

SIZE = (256, 256)
# name: (codec, extension, variable frame rate)
GPU_VIDEOS: dict[str, tuple[str, str, bool]] = {
    "h264": ("h264", ".mp4", False),
    "h264_vfr": ("h264", ".mkv", True),
    "hevc": ("hevc", ".mp4", False),
    "hevc_vfr": ("hevc", ".mp4", True),
    "vp9": ("vp9", ".webm", False),
    "vp9_vfr": ("vp9", ".webm", True),
    "vp8": ("vp8", ".webm", False),
    "mpeg4": ("mpeg4", ".avi", False),
    "mpeg4_vfr": ("mpeg4", ".mkv", True),
    "mjpeg": ("mjpeg", ".avi", False),
}
NAMES = tuple(GPU_VIDEOS)
TOLERANCE = {"nvdec": 3.0, "pyav": 0.5}  # mean |gpu - oracle| per frame, 0..255 (see gpu_check)
BATCH = 3


@pytest.fixture(scope="module")
def gpu_videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("gpu_videos")
    return {
        name: make_video(
            folder / f"{name}{ext}", codec=codec, size=SIZE, duration=2.0, vfr=vfr, seed=i
        )
        for i, (name, (codec, ext, vfr)) in enumerate(GPU_VIDEOS.items())
    }


@pytest.fixture(scope="module")
def gpu_index(gpu_videos: dict[str, Path]) -> VideoIndex:
    return VideoIndex.build(
        [str(p) for p in gpu_videos.values()], cache=False, num_workers=0, progress=False
    )


def temporal_transform() -> Any:
    return ApplyTransformToKey("video", tv.Compose([UniformTemporalSubsample(8)]))


def seed_transform() -> Any:
    return ApplyTransformToKey(
        "video",
        tv.Compose(
            [
                UniformTemporalSubsample(8),
                RandomShortSideScale(min_size=256, max_size=320),
                tv.RandomCrop(244),
                tv.RandomHorizontalFlip(p=0.5),
            ]
        ),
    )


def loader_for(
    gpu_videos: dict[str, Path], index: VideoIndex, *, device: str = "gpu", **kwargs: Any
) -> ClipLoader:
    pairs = [(str(gpu_videos[n]), 100 + i) for i, n in enumerate(NAMES)]
    return ClipLoader(pairs, device=device, index=index, progress=False, **kwargs)


def epoch(loader: ClipLoader, number: int = 0) -> list[dict[str, Any]]:
    try:
        loader.set_epoch(number)
        return list(loader)
    finally:
        loader.close()
        gc.collect()


def unbatch(batches: list[dict[str, Any]]) -> list[dict[str, Any]]:
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


def worst_frame(a: torch.Tensor, b: torch.Tensor) -> float:
    """The largest per-frame mean |a - b| of two (C, T, H, W) clips."""
    return float((a.float().cpu() - b.float().cpu()).abs().mean(dim=(0, 2, 3)).max())


@pytest.fixture(scope="module")
def uniform_run(gpu_videos: dict[str, Path], gpu_index: VideoIndex) -> Iterator[Any]:
    loader = loader_for(
        gpu_videos,
        gpu_index,
        clip_sampler=make_clip_sampler("uniform", 1.0),
        transform=temporal_transform(),
        video_sampler=SequentialSampler,
        batch_size=BATCH,
    )
    routing = loader.routing
    yield routing, epoch(loader)


def test_routing_sends_mjpeg_to_pyav_and_the_rest_to_nvdec(
    uniform_run: Any, gpu_videos: dict[str, Path]
) -> None:
    routing, _ = uniform_run
    for name, path in gpu_videos.items():
        expected = "pyav" if name == "mjpeg" else "nvdec"
        assert routing.decoders[str(path)] == expected, (name, routing.reasons.get(str(path)))


def test_uniform_clips_match_pytorchvideo_on_the_gpu(
    uniform_run: Any, gpu_videos: dict[str, Path], stamps: Callable
) -> None:
    routing, batches = uniform_run
    assert all(b["video"].device.type == "cuda" for b in batches)
    oracle = list(
        LabeledVideoDataset(
            labeled_video_paths=[
                (str(gpu_videos[n]), {"label": 100 + i}) for i, n in enumerate(NAMES)
            ],
            clip_sampler=pv_make_clip_sampler("uniform", 1.0),
            video_sampler=SequentialSampler,
            transform=temporal_transform(),
            decode_audio=False,
            decoder="pyav",
        )
    )
    mine = unbatch(batches)
    assert [identity(s) for s in mine] == [identity(s) for s in oracle]
    for got, expected in zip(mine, oracle, strict=True):
        assert got["video"].shape == expected["video"].shape
        assert got["video"].dtype == torch.float32
        assert stamps(got["video"]) == stamps(expected["video"]), identity(got)
        route = routing.decoders[str(gpu_videos[got["video_name"].rsplit(".", 1)[0]])]
        difference = worst_frame(got["video"], expected["video"])
        assert difference <= TOLERANCE[route], (identity(got), route, difference)


def test_clips_past_the_first_gop_have_the_planned_frames_on_the_gpu(
    tmp_path: Path, stamps: Callable
) -> None:
    path = make_video(
        tmp_path / "long_gop.mp4", codec="h264", size=(640, 360), duration=10.0, gop=250
    )
    index = VideoIndex.build([str(path)], cache=False, num_workers=0, progress=False)
    loader = ClipLoader(
        [(str(path), 0)],
        clip_sampler=make_clip_sampler("uniform", 2.0),
        transform=temporal_transform(),
        video_sampler=SequentialSampler,
        batch_size=2,
        device="gpu",
        index=index,
        progress=False,
    )
    assert loader.routing.decoders[str(path)] == "nvdec", loader.routing.reasons
    plan = loader.plan(0)
    clips = unbatch(epoch(loader))
    assert len(clips) == len(plan) >= 4
    assert max(int(i) for i in plan[-1].frame_indices) >= 250  # cut from the second GOP
    for clip, request in zip(clips, plan, strict=True):
        assert stamps(clip["video"]) == [int(i) for i in request.frame_indices]


def test_seed_transform_batch_matches_pytorchvideo_batch_on_the_gpu(
    gpu_videos: dict[str, Path], gpu_index: VideoIndex
) -> None:
    torch.manual_seed(0)
    dataset = LabeledVideoDataset(
        labeled_video_paths=[(str(gpu_videos[n]), {"label": 100 + i}) for i, n in enumerate(NAMES)],
        clip_sampler=pv_make_clip_sampler("random", 1.0),
        video_sampler=RandomSampler,
        transform=seed_transform(),
        decode_audio=False,
        decoder="pyav",
    )
    expected = next(iter(DataLoader(dataset, batch_size=2, num_workers=0)))
    loader = loader_for(
        gpu_videos,
        gpu_index,
        clip_sampler=make_clip_sampler("random", 1.0),
        transform=seed_transform(),
        video_sampler=RandomSampler,
        batch_size=2,
        seed=5,
    )
    got = epoch(loader)[0]
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert type(got[key]) is type(value), key
        if torch.is_tensor(value):
            assert got[key].dtype == value.dtype and got[key].shape == value.shape, key
    assert got["video"].device.type == "cuda"
    assert float(got["video"].min()) >= 0.0 and float(got["video"].max()) <= 255.0
    assert float(got["video"].max()) > 1.0


def test_gpu_and_cpu_loaders_give_the_same_clips(
    gpu_videos: dict[str, Path], gpu_index: VideoIndex
) -> None:
    def run(device: str) -> list[dict[str, Any]]:
        return unbatch(
            epoch(
                loader_for(
                    gpu_videos,
                    gpu_index,
                    device=device,
                    clip_sampler=make_clip_sampler("random", 1.0),
                    transform=seed_transform(),
                    video_sampler=RandomSampler,
                    batch_size=BATCH,
                    seed=7,
                    cpu_decoder="pyav",
                    scale_in_decoder=False,  # both resize in DALI: only the decoders differ
                )
            )
        )

    gpu, cpu = run("gpu"), run("cpu")
    assert [identity(s) for s in gpu] == [identity(s) for s in cpu]
    for a, b in zip(gpu, cpu, strict=True):
        assert a["video"].shape == b["video"].shape
        assert worst_frame(a["video"], b["video"]) <= 3.0, identity(a)
