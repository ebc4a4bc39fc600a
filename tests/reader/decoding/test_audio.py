"""A clip's audio: PyTorchVideo's ``EncodedVideoPyAV(decode_audio=True)`` is the oracle.

The generated track's pitch steps every 0.1 s (:mod:`fastvid.testing._audio`), so besides
equalling PyTorchVideo's samples, a clip's audio must come from the clip's own time window.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from pytorchvideo.data.encoded_video import EncodedVideo

from fastvid.reader.decoding import audio as audio_module
from fastvid.reader.decoding.audio import AudioReader, ClipAudio
from fastvid.reader.loader._audio_batch import audio_batch
from fastvid.reader.workers.shm import SegmentPool, new_prefix, remove_segments
from fastvid.reader.workers.tasks import ClipJob, Task, VideoWindow
from fastvid.reader.workers.worker import TaskRunner
from fastvid.testing import AUDIO_RATE, make_video, read_audio_segment

# AAC in MP4 (header durations: PyTorchVideo seeks per clip), Opus and Vorbis in WebM (no
# durations: one decode of the whole track), 16-bit PCM in AVI (packed samples), MP3 in AVI.
FILES: dict[str, dict[str, Any]] = {
    "aac_stereo.mp4": {"codec": "h264", "audio_channels": 2},
    "opus_stereo.webm": {"codec": "vp9", "audio_channels": 2},
    "vorbis_stereo.webm": {"codec": "vp9", "audio_channels": 2, "audio_codec": "vorbis"},
    "pcm_mono.avi": {"codec": "mjpeg", "audio_channels": 1},
    # UCF101's: MP3 beside Xvid packed B-frames in AVI
    "mp3_stereo.avi": {"codec": "xvid", "audio_channels": 2, "audio_codec": "mp3"},
}
WINDOWS = [
    (0, 0.5),
    (Fraction(1, 2), Fraction(1)),
    (0.3, 0.8),
    (Fraction(7, 10), Fraction(17, 10)),
    (1.0, 1.5),
    (Fraction(3, 2), Fraction(2)),  # past the end: no audio frame in it
]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("audio")
    made = {
        name: make_video(
            root / name, size=(64, 48), duration=1.5, content="flat", audio=True, **options
        )
        for name, options in FILES.items()
    }
    made["silent.mp4"] = make_video(root / "silent.mp4", codec="h264", size=(64, 48), duration=1.0)
    return made


def _oracle(path: Path, windows: list[Any]) -> list[torch.Tensor | None]:
    """PyTorchVideo's audio of ``windows``, read in order from one open file (as
    ``LabeledVideoDataset`` reads the clips of one video)."""
    video = EncodedVideo.from_path(str(path), decode_audio=True)
    found: list[torch.Tensor | None] = []
    for start, end in windows:
        try:
            found.append(video.get_clip(start, end)["audio"])
        except ValueError:  # torch.cat of no frames (whole-track mode, window past the end)
            found.append(None)
    video.close()
    return found


def _assert_same(got: ClipAudio | None, expected: torch.Tensor | None, what: object) -> None:
    if expected is None:
        assert got is None, what
        return
    assert got is not None, what
    assert got.sample_rate == AUDIO_RATE
    assert got.samples.dtype == np.float32
    np.testing.assert_array_equal(got.samples, expected.numpy(), err_msg=str(what))


@pytest.mark.parametrize("name", sorted(FILES))
def test_clip_audio_equals_pytorchvideo(files: dict[str, Path], name: str) -> None:
    expected = _oracle(files[name], WINDOWS)
    reader = AudioReader()
    for k, window in enumerate(WINDOWS):
        _assert_same(reader.clip(str(files[name]), *window, WINDOWS[:k]), expected[k], window)
    assert sum(e is not None for e in expected) >= 4
    reader.close()


@pytest.mark.parametrize("name", sorted(FILES))
def test_a_clip_read_out_of_order_replays_what_pytorchvideo_read_before(
    files: dict[str, Path], name: str
) -> None:
    # FFmpeg's AAC decoder keeps state across seeks: PyTorchVideo's samples of clip k depend
    # on the clips it read before from the same file, which a worker may not have read
    expected = _oracle(files[name], WINDOWS)
    reader = AudioReader()
    reader.clip(str(files["silent.mp4"]), 0, 0.5)  # another file open
    reader.clip(str(files[name]), *WINDOWS[4], WINDOWS[:4])  # a later clip first
    for k in (3, 2, 3, 3):  # then earlier ones; a repeat is an augmentation of the same clip
        _assert_same(reader.clip(str(files[name]), *WINDOWS[k], WINDOWS[:k]), expected[k], k)


@pytest.mark.parametrize("name", sorted(FILES))
def test_clip_audio_comes_from_the_clip_window(files: dict[str, Path], name: str) -> None:
    reader = AudioReader()
    for tenth in range(0, 10, 3):
        start = Fraction(tenth, 10)
        clip = reader.clip(str(files[name]), start, start + Fraction(1, 2))
        assert clip is not None
        # 25-75 ms into the clip (the first frame starts at most ~21 ms after its start)
        chunk = clip.samples[AUDIO_RATE // 40 : 3 * AUDIO_RATE // 40]
        assert read_audio_segment(chunk) == tenth
        # and 0.3 s later, three segments on
        later = clip.samples[13 * AUDIO_RATE // 40 : 15 * AUDIO_RATE // 40]
        assert read_audio_segment(later) == tenth + 3


def test_stereo_is_averaged_like_pytorchvideo(files: dict[str, Path]) -> None:
    # (what PyTorchVideo's np.mean(frame.to_ndarray(), axis=0) gives for planar AAC/Opus)
    clip = AudioReader().clip(str(files["aac_stereo.mp4"]), Fraction(1, 2), Fraction(1))
    assert clip is not None
    # left 0.3, right -0.1: the mean has amplitude 0.1, either channel alone 0.3 or 0.1 inverted
    peak = float(np.abs(clip.samples).max())
    assert 0.08 < peak < 0.16  # AAC overshoots at the pitch steps


def test_video_without_audio_has_none(files: dict[str, Path]) -> None:
    assert _oracle(files["silent.mp4"], [(0, 0.5)]) == [None]
    assert AudioReader().clip(str(files["silent.mp4"]), 0, 0.5) is None


def _task(path: Path, audio: bool) -> Task:
    from fastvid.data.index import probe_video

    meta = probe_video(path)
    window = VideoWindow(
        str(path), None, None, 0, np.asarray(meta.pts), np.asarray(meta.keyframes), 48, 64
    )
    jobs = tuple(
        ClipJob(
            slot,
            np.arange(slot * 5, slot * 5 + 5),
            None,
            (slot / 2, slot / 2 + 0.5) if audio else None,
            ((0.0, 0.5),) if audio and slot else (),
        )
        for slot in range(2)
    )
    return Task(0, "pyav", window, jobs)


@pytest.mark.parametrize("route", ["pyav", "cut"])
def test_worker_writes_audio_beside_the_frames(files: dict[str, Path], route: str) -> None:
    path = files["opus_stereo.webm"] if route == "cut" else files["aac_stereo.mp4"]
    prefix = new_prefix()
    runner = TaskRunner(SegmentPool(prefix, 0))
    try:
        task = _task(path, audio=True)
        task = Task(task.task_id, route, task.video, task.clips)  # type: ignore[arg-type]
        result = runner.run(task)
        assert result.segment is not None
        data = np.fromfile(result.segment, dtype=np.uint8)
        for job, output in zip(task.clips, result.clips, strict=True):
            assert not output.error
            assert job.audio is not None
            (expected,) = _oracle(path, [*job.audio_before, job.audio])[-1:]
            assert expected is not None
            assert output.sample_rate == AUDIO_RATE
            raw = data[output.audio_offset : output.audio_offset + 4 * output.audio_samples]
            np.testing.assert_array_equal(raw.view(np.float32), expected.numpy())
    finally:
        runner.close()
        remove_segments(prefix)


def test_no_audio_asked_for_decodes_none(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any) -> None:
        raise AssertionError("audio was decoded although no clip asked for it")

    monkeypatch.setattr(audio_module, "_OpenFile", refuse)
    prefix = new_prefix()
    runner = TaskRunner(SegmentPool(prefix, 0))
    try:
        result = runner.run(_task(files["aac_stereo.mp4"], audio=False))
        assert all(not o.error and o.audio_samples == -1 for o in result.clips)
    finally:
        runner.close()
        remove_segments(prefix)


def test_audio_batch_pads_and_records_lengths() -> None:
    clips = [
        ClipAudio(np.arange(3, dtype=np.float32), 48000),
        None,
        ClipAudio(np.ones(5, dtype=np.float32), 16000),
    ]
    batch = audio_batch(
        [None if c is None else torch.from_numpy(c.samples) for c in clips],
        [0 if c is None else c.sample_rate for c in clips],
    )
    assert batch["audio"].shape == (3, 5) and batch["audio"].dtype == torch.float32
    assert batch["audio_lengths"].tolist() == [3, 0, 5]
    assert batch["audio_sample_rate"].tolist() == [48000, 0, 16000]
    assert batch["audio"][0].tolist() == [0, 1, 2, 0, 0]
    assert batch["audio"][1].abs().sum() == 0
