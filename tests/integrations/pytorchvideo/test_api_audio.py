"""``decode_audio=True``: the drop-in's samples equal PyTorchVideo's ``LabeledVideoDataset``'s,
audio included, clip by clip (same clip sampler, same clips); videos without audio too."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from pytorchvideo.data import LabeledVideoDataset as PtvDataset
from pytorchvideo.data import make_clip_sampler as ptv_clip_sampler
from torch.utils.data import SequentialSampler

from fastvid.data.samplers import make_clip_sampler
from fastvid.integrations.pytorchvideo.api import DataLoader, LabeledVideoDataset
from fastvid.testing import make_video, read_frame_index

# AAC in MP4 (PyTorchVideo seeks per clip; FFmpeg's AAC decoder keeps state across seeks),
# Opus in WebM (one decode of the whole track; its audio outlasts the video, so the duration
# PyTorchVideo plans clips on is the audio's), 16-bit PCM in AVI, and a video with no audio.
VIDEOS: dict[str, dict[str, Any]] = {
    "aac.mp4": {"codec": "h264", "audio": True, "audio_channels": 2},
    "opus.webm": {"codec": "vp9", "audio": True, "audio_channels": 2},
    "pcm.avi": {"codec": "mjpeg", "audio": True},
    "silent.mp4": {"codec": "h264"},
}


@pytest.fixture(scope="module")
def labeled(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, dict[str, Any]]]:
    root = tmp_path_factory.mktemp("ptv_audio")
    pairs = []
    for label, (name, options) in enumerate(VIDEOS.items()):
        path = make_video(root / name, size=(64, 48), duration=1.5, content="flat", **options)
        pairs.append((str(path), {"label": label}))
    return pairs


def _samples(dataset: Any) -> list[dict[str, Any]]:
    return list(dataset)


def _key(sample: dict[str, Any]) -> tuple[Any, ...]:
    frames = [read_frame_index(sample["video"][:, t], layout="CHW") for t in range(2)]
    return sample["video_name"], int(sample["clip_index"]), frames


def _pytorchvideo(labeled: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return _samples(
        PtvDataset(
            labeled,
            ptv_clip_sampler("uniform", 0.49),
            video_sampler=SequentialSampler,
            decode_audio=True,
        )
    )


@pytest.fixture(scope="module")
def reference(labeled: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return _pytorchvideo(labeled)


@pytest.mark.parametrize("decoder", ["pyav", "dali"])
def test_samples_and_audio_equal_pytorchvideos(
    labeled: list[tuple[str, dict[str, Any]]], reference: list[dict[str, Any]], decoder: str
) -> None:
    ours = _samples(
        LabeledVideoDataset(
            labeled,
            make_clip_sampler("uniform", 0.49),
            video_sampler=SequentialSampler,
            decode_audio=True,
            decoder=decoder,
            device="cpu",
            num_workers=2,
            progress=False,
        )
    )
    assert [_key(s) for s in ours] == [_key(s) for s in reference]
    with_audio = 0
    for got, expected in zip(ours, reference, strict=True):
        what = _key(expected)
        assert set(got) == set(expected), what  # no "audio" key where PyTorchVideo has none
        if "audio" in expected:
            assert got["audio"].dtype == expected["audio"].dtype == torch.float32
            np.testing.assert_array_equal(got["audio"].numpy(), expected["audio"].numpy())
            with_audio += 1
    assert with_audio == 3 * 3  # the three files with audio, three clips each
    # the WebM's third clip ends at 1.47 s: after its video (1.467 s), before its audio (1.494 s)
    assert sum(s["video_name"] == "opus.webm" for s in ours) == 3
    assert {s["video_name"] for s in ours if "audio" not in s} == {"silent.mp4"}


def test_batches_pad_audio_and_give_lengths(
    labeled: list[tuple[str, dict[str, Any]]], reference: list[dict[str, Any]]
) -> None:
    dataset = LabeledVideoDataset(
        labeled,
        make_clip_sampler("uniform", 0.49),
        video_sampler=SequentialSampler,
        decode_audio=True,
        device="cpu",
        num_workers=1,
        progress=False,
    )
    batches = list(DataLoader(dataset, batch_size=3))
    rows = []
    for batch in batches:
        audio, lengths, rates = batch["audio"], batch["audio_lengths"], batch["audio_sample_rate"]
        assert audio.dtype == torch.float32 and audio.shape[0] == len(batch["video_name"])
        assert audio.shape[1] == int(lengths.max())
        for i in range(audio.shape[0]):
            n = int(lengths[i])
            assert float(audio[i, n:].abs().sum()) == 0.0  # zero padding
            assert int(rates[i]) == (48000 if n else 0)
            rows.append(audio[i, :n])
    assert len(rows) == len(reference)
    for row, expected in zip(rows, reference, strict=True):
        if "audio" in expected:
            np.testing.assert_array_equal(row.numpy(), expected["audio"].numpy())
        else:
            assert row.numel() == 0


def test_decode_audio_false_gives_no_audio_and_sends_no_audio_work(
    labeled: list[tuple[str, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastvid.reader.workers.pool import WorkerPool

    sent: list[Any] = []
    submit = WorkerPool.submit

    def spy(self: WorkerPool, worker: int, task: Any) -> None:
        sent.append(task)
        submit(self, worker, task)

    monkeypatch.setattr(WorkerPool, "submit", spy)
    dataset = LabeledVideoDataset(
        labeled,
        make_clip_sampler("uniform", 0.49),
        video_sampler=SequentialSampler,
        decode_audio=False,
        device="cpu",
        num_workers=1,
        progress=False,
    )
    samples = list(DataLoader(dataset, batch_size=None))  # fastvid's workers, one clip at a time
    assert samples and not any("audio" in s for s in samples)
    assert sent and all(job.audio is None for task in sent for job in task.clips)


class _Seen:
    """A transform fastvid cannot lower (it runs on each sample dict): records what it sees."""

    def __init__(self) -> None:
        self.keys: list[tuple[str, bool]] = []

    def __call__(self, sample: dict[str, Any]) -> dict[str, Any]:
        self.keys.append((sample["video_name"], "audio" in sample))
        if "audio" in sample:
            sample["audio"] = sample["audio"] * 2
        return sample


def test_a_sample_transform_sees_audio_as_in_pytorchvideo(
    labeled: list[tuple[str, dict[str, Any]]],
) -> None:
    theirs, mine = _Seen(), _Seen()
    reference = _samples(
        PtvDataset(
            labeled,
            ptv_clip_sampler("uniform", 0.49),
            video_sampler=SequentialSampler,
            transform=theirs,
            decode_audio=True,
        )
    )
    ours = _samples(
        LabeledVideoDataset(
            labeled,
            make_clip_sampler("uniform", 0.49),
            video_sampler=SequentialSampler,
            transform=mine,
            decode_audio=True,
            device="cpu",
            num_workers=1,
            progress=False,
        )
    )
    assert mine.keys == theirs.keys
    assert ("silent.mp4", False) in mine.keys and ("aac.mp4", True) in mine.keys
    for got, expected in zip(ours, reference, strict=True):
        assert set(got) == set(expected)
        if "audio" in expected:
            np.testing.assert_array_equal(got["audio"].numpy(), expected["audio"].numpy())
