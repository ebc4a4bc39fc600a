"""Running the clip graph: DALI's errors name their cause, a failed batch leaves the pipeline
usable, and pipelines are released when closed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from fastvid.reader.dali import (
    ClipPipeline,
    DaliRunError,
    GraphSpec,
    decode_only,
    input_names,
    live_pipelines,
)
from fastvid.reader.transforms.augment import ChannelAffine
from fastvid.testing import read_frame_index


def encoded_inputs(data: np.ndarray, frames: list[int]) -> dict[str, list[Any]]:
    return {"video": [data], "frames": [np.array(frames, dtype=np.int32)]}


def test_a_frame_past_the_end_is_an_error_naming_the_cause_and_the_pipeline_survives(
    videos: Any,
) -> None:
    data = np.fromfile(videos.path("vp9"), dtype=np.uint8)
    spec = GraphSpec("encoded", (), ChannelAffine(), "cpu", rearrange=False)
    assert input_names(spec) == ["video", "frames"]
    pipeline = ClipPipeline(spec, batch_size=2)
    try:
        with pytest.raises(DaliRunError, match=r"^Unexpected out-of-bounds frame index 500"):
            pipeline.run(encoded_inputs(data, [0, 500]))  # pad_mode="none": no black frames
        clip = pipeline.run(encoded_inputs(data, [3, 7]))
        assert isinstance(clip, np.ndarray) is False and clip.shape == (1, 3, 2, 72, 96)
        frames = clip[0].permute(1, 2, 3, 0).round().clamp(0, 255).byte().numpy()
        assert [read_frame_index(f) for f in frames] == [3, 7]
    finally:
        pipeline.close()


def test_closed_pipelines_are_released() -> None:
    spec = GraphSpec("frames", (), ChannelAffine(), "cpu", rearrange=False)
    pipeline = ClipPipeline(spec, batch_size=1)
    assert pipeline in live_pipelines()
    pipeline.close()
    pipeline.close()  # idempotent
    assert pipeline not in live_pipelines()
    with pytest.raises(RuntimeError, match="closed"):
        pipeline.run({"video": [np.zeros((1, 4, 4, 3), np.uint8)]})


def test_decode_only_returns_the_frames_asked_for(videos: Any) -> None:
    data = np.fromfile(videos.path("mjpeg"), dtype=np.uint8)
    frames = decode_only(data, np.array([2, 5]), device="cpu")
    assert frames.shape == (2, 72, 96, 3)
    assert [read_frame_index(f) for f in frames] == [2, 5]


def test_a_gpu_graph_needs_its_device() -> None:
    spec = GraphSpec("frames", (), ChannelAffine(), "gpu")
    with pytest.raises(ValueError, match="needs device_id"):
        ClipPipeline(spec, batch_size=1)
