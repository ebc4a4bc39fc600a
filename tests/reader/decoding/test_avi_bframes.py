"""UCF101/HMDB51's container: AVI with B-frames, against PyTorchVideo on every route.

AVI stores no presentation timestamps, so FFmpeg's decoder outputs the frames of a file with
B-frames with timestamps out of order (Xvid's packed B-frames: 1, 2, 4, 3, 5, 7, 6, ...;
H.264: 1, 4, 3, 5, 2, ...). PyTorchVideo stops collecting a clip at the first frame output at
or past the clip's end and keys the frames by timestamp; fastvid's plan must do the same.

Routes: the PyAV workers end to end (``ClipLoader``), and the GOP cut that DALI's decoders are
fed (DALI's CPU decoder cannot decode MPEG-4 or H.264 and there is no GPU here, so the cut is
checked by decoding it with PyAV and numbering its frames in output order, as DALI does).
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import torch
import torchvision.transforms as tv
from pytorchvideo.data import LabeledVideoDataset
from pytorchvideo.data import make_clip_sampler as pv_make_clip_sampler
from pytorchvideo.data.encoded_video import EncodedVideo
from pytorchvideo.transforms import ApplyTransformToKey, UniformTemporalSubsample
from torch.utils.data import SequentialSampler

from fastvid.data.index import VideoIndex, VideoMeta, probe_video
from fastvid.data.samplers import make_clip_sampler
from fastvid.reader.decoding.gop import GopCutter
from fastvid.reader.loader.clip_loader import ClipLoader
from fastvid.reader.planning import frames as frame_plan
from fastvid.reader.planning.frames import clip_frame_indices, temporal_subsample
from fastvid.testing import make_video, read_frame_index

NAMES = ("xvid.avi", "h264.avi")
UNIFORM = 1.0  # seconds: clip ends at 1 s and 2 s cut a B-frame run in both fixtures


@pytest.fixture(scope="module")
def avi_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """UCF101's shape: 320x240, 25 fps, MP3 audio; Xvid packed B-frames and H.264 B-frames."""
    root = tmp_path_factory.mktemp("avi_bframes")
    return {
        name: make_video(
            root / name,
            codec=name.split(".")[0],  # type: ignore[arg-type]
            size=(320, 240),
            fps=25,
            duration=3.0,
            gop=25,
            audio=True,
            audio_codec="mp3",
            audio_channels=2,
        )
        for name in NAMES
    }


@pytest.fixture(scope="module")
def index(avi_files: dict[str, Path]) -> VideoIndex:
    paths = [str(avi_files[n]) for n in NAMES]
    return VideoIndex.build(paths, cache=False, num_workers=0, progress=False)


def _temporal() -> Any:
    return ApplyTransformToKey("video", tv.Compose([UniformTemporalSubsample(8)]))


_B_FRAME = 3  # AV_PICTURE_TYPE_B


def _decoded(path: Path) -> list[tuple[int, int, int]]:
    """(pts, picture type, stamped frame index) of every frame, in decoder output order."""
    with av.open(str(path)) as container:
        return [
            (int(f.pts), int(f.pict_type), read_frame_index(f.to_ndarray(format="rgb24")))
            for f in container.decode(video=0)
        ]


def _unbatch(batches: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for batch in batches:
        for j in range(len(batch["video_name"])):
            yield {key: value[j] for key, value in batch.items()}


def _loader(
    paths: list[str], index: VideoIndex, sampler: Any, decode_audio: bool = False
) -> ClipLoader:
    return ClipLoader(
        [(p, i) for i, p in enumerate(paths)],
        device="cpu",
        num_workers=1,
        num_threads=2,
        index=index,
        progress=False,
        clip_sampler=sampler,
        transform=_temporal(),
        video_sampler=SequentialSampler,
        batch_size=2,
        cpu_decoder="pyav",
        decode_audio=decode_audio,
    )


# ---------------------------------------------------------------------------------------------
# The fixtures are what the datasets hold


@pytest.mark.parametrize("name", NAMES)
def test_fixture_has_b_frames_and_out_of_order_timestamps(
    avi_files: dict[str, Path], name: str
) -> None:
    frames = _decoded(avi_files[name])
    stamps = [stamp for _, _, stamp in frames]
    timestamps = [pts for pts, _, _ in frames]
    assert stamps == list(range(75))  # every frame, in display order
    assert _B_FRAME in {kind for _, kind, _ in frames}
    assert timestamps != sorted(timestamps)  # ... with timestamps out of order
    assert sorted(timestamps) == list(range(1, 76))
    with av.open(str(avi_files[name])) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height, stream.average_rate) == (320, 240, 25)
        assert container.streams.audio[0].codec_context.name.startswith("mp3")
        if name == "xvid.avi":
            assert stream.codec_tag == "XVID"
            packets = [bytes(p) for p in container.demux(stream) if p.size]
            packed = [p for p in packets if p.count(b"\x00\x00\x01\xb6") == 2]
            assert packed, "no packed P+B chunk"
            assert any(len(p) < 20 for p in packets), "no N-VOP placeholder"


@pytest.mark.parametrize("name", NAMES)
def test_probe_records_the_decoder_output_order(avi_files: dict[str, Path], name: str) -> None:
    meta = probe_video(avi_files[name])
    timestamps = [pts for pts, _, _ in _decoded(avi_files[name])]
    assert meta.pts[meta.output_order].tolist() == timestamps


def test_output_order_survives_the_cache_and_table_operations(
    avi_files: dict[str, Path], index: VideoIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastvid.data.index._table import Table

    paths = [str(avi_files[n]) for n in NAMES]
    VideoIndex.build(paths, cache_dir=tmp_path, num_workers=0, progress=False)
    probes: list[Any] = []
    monkeypatch.setattr(
        "fastvid.data.index._probe.probe_or_error", lambda *a, **k: probes.append(a)
    )
    cached = VideoIndex.build(paths, cache_dir=tmp_path, num_workers=0, progress=False)
    assert not probes  # read back from the cache file
    metas = [index.meta(p) for p in paths]
    assert all(m.output_order.size == m.num_frames for m in metas)
    assert [cached.meta(p) for p in paths] == metas
    table = Table.from_metas(metas)
    assert list(Table.concat(table.select([1]), table.select([0])).metas()) == metas[::-1]


def test_files_that_store_timestamps_record_no_order(tmp_path: Path) -> None:
    mp4 = make_video(tmp_path / "b.mp4", codec="h264", size=(96, 72), duration=1.0)
    mjpeg = make_video(tmp_path / "m.avi", codec="mjpeg", size=(96, 72), duration=1.0)
    for path in (mp4, mjpeg):
        assert probe_video(path).output_order.size == 0


# ---------------------------------------------------------------------------------------------
# The frame plan: PyTorchVideo's decode loop is the oracle


def _pytorchvideo_clip_stamps(path: Path, start: Any, end: Any) -> list[int]:
    clip = EncodedVideo.from_path(str(path), decode_audio=False).get_clip(start, end)["video"]
    return [read_frame_index(clip[:, t], layout="CHW") for t in range(clip.shape[1])]


def _plan_stamps(by_pts: dict[int, int], meta: VideoMeta, start: Any, end: Any) -> list[int]:
    return [by_pts[int(meta.pts[i])] for i in clip_frame_indices(meta, start, end)]


@pytest.mark.parametrize("name", NAMES)
def test_plan_holds_the_frames_pytorchvideo_collects(
    avi_files: dict[str, Path], index: VideoIndex, name: str
) -> None:
    path = avi_files[name]
    meta = index.meta(path)
    by_pts = {pts: stamp for pts, _, stamp in _decoded(path)}
    shorter = 0
    for tenths in range(0, 20, 4):
        start, end = Fraction(tenths, 10), Fraction(tenths, 10) + 1
        expected = _pytorchvideo_clip_stamps(path, start, end)
        assert _plan_stamps(by_pts, meta, start, end) == expected, (start, end)
        first, stop = (math.ceil(t / meta.time_base) + meta.start_pts for t in (start, end))
        shorter += len(expected) < np.count_nonzero((meta.pts >= first) & (meta.pts < stop))
    assert shorter, "no clip end cut a B-frame run: the test would not see the difference"


# ---------------------------------------------------------------------------------------------
# PyAV route end to end


@pytest.mark.parametrize("decode_audio", [False, True], ids=["video", "with-mp3-audio"])
def test_uniform_clips_equal_labeled_video_dataset(
    avi_files: dict[str, Path], index: VideoIndex, decode_audio: bool
) -> None:
    paths = [str(avi_files[n]) for n in NAMES]
    loader = _loader(paths, index, make_clip_sampler("uniform", UNIFORM), decode_audio)
    try:
        mine = list(_unbatch(list(loader)))
    finally:
        loader.close()
    oracle = list(
        LabeledVideoDataset(
            [(p, {"label": i}) for i, p in enumerate(paths)],
            pv_make_clip_sampler("uniform", UNIFORM),
            video_sampler=SequentialSampler,
            transform=_temporal(),
            decode_audio=decode_audio,
            decoder="pyav",
        )
    )
    assert len(mine) == len(oracle) == 6
    for got, expected in zip(mine, oracle, strict=True):
        assert got["video_name"] == expected["video_name"]
        assert int(got["clip_index"]) == expected["clip_index"]
        assert torch.equal(got["video"], expected["video"]), (
            expected["video_name"],
            expected["clip_index"],
        )
        if decode_audio:
            samples = got["audio"][: int(got["audio_lengths"])]
            assert torch.equal(samples, expected["audio"]), expected["video_name"]


def test_random_clips_equal_encoded_video(avi_files: dict[str, Path], index: VideoIndex) -> None:
    paths = [str(avi_files[n]) for n in NAMES]
    loader = _loader(paths, index, make_clip_sampler("random", UNIFORM))
    decoders = {p: EncodedVideo.from_path(p, decode_audio=False) for p in paths}
    try:
        for epoch in (0, 1, 2):
            loader.set_epoch(epoch)
            plan = loader.plan(epoch)
            got = list(_unbatch(list(loader)))
            assert len(got) == len(plan) == 2
            for clip, sample in zip(plan, got, strict=True):
                window = decoders[clip.path].get_clip(clip.clip_start_sec, clip.clip_end_sec)
                expected = UniformTemporalSubsample(8)(window["video"])
                assert torch.equal(sample["video"], expected), (clip.path, clip.clip_start_sec)
    finally:
        loader.close()
        for decoder in decoders.values():
            decoder.close()


# ---------------------------------------------------------------------------------------------
# The GOP cut DALI decodes (NVDEC; DALI's CPU decoder takes neither codec)


def _cut_frames(data: bytes, numbers: np.ndarray) -> list[np.ndarray]:
    """Frames ``numbers`` of a cut, counted in decoder output order (DALI's numbering)."""
    with av.open(io.BytesIO(data)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    return [frames[n] for n in numbers.tolist()]


@pytest.mark.parametrize("name", NAMES)
def test_gop_cut_numbers_the_planned_frames_like_pytorchvideo(
    avi_files: dict[str, Path], index: VideoIndex, name: str
) -> None:
    path = avi_files[name]
    meta = index.meta(path)
    ranks = frame_plan.output_ranks(meta)
    assert ranks is not None
    video = EncodedVideo.from_path(str(path), decode_audio=False)
    with GopCutter() as cutter:
        for start in (Fraction(0), Fraction(1), Fraction(13, 10), Fraction(2)):
            end = start + 1
            planned = temporal_subsample(clip_frame_indices(meta, start, end), 8)
            needed, back = np.unique(planned, return_inverse=True)
            cut = cutter.cut(str(path), needed, pts=meta.pts, keyframes=meta.keyframes, order=ranks)
            got = _cut_frames(cut.data, cut.frames[back])
            expected = UniformTemporalSubsample(8)(video.get_clip(start, end)["video"])
            for t, frame in enumerate(got):
                assert np.array_equal(frame, expected[:, t].permute(1, 2, 0).byte().numpy()), (
                    start,
                    t,
                )
    video.close()


def test_worker_cut_task_carries_the_output_order(
    avi_files: dict[str, Path], index: VideoIndex
) -> None:
    """The worker's ``"cut"`` route (what the loader sends DALI) with the engine's window."""
    from fastvid.reader.workers.shm import SegmentPool, new_prefix, remove_segments
    from fastvid.reader.workers.tasks import ClipJob, Task, VideoWindow
    from fastvid.reader.workers.worker import TaskRunner

    path = avi_files["xvid.avi"]
    meta = index.meta(path)
    window = VideoWindow(
        str(path),
        None,
        None,
        0,
        np.asarray(meta.pts),
        np.asarray(meta.keyframes, dtype=np.int64),
        240,
        320,
        order=frame_plan.output_ranks(meta),
    )
    clips = [(Fraction(s), Fraction(s) + 1) for s in (0, 1, 2)]
    planned = [temporal_subsample(clip_frame_indices(meta, *clip), 8) for clip in clips]
    jobs = tuple(ClipJob(k, np.unique(p), None) for k, p in enumerate(planned))
    prefix = new_prefix()
    runner = TaskRunner(SegmentPool(prefix, 0))
    video = EncodedVideo.from_path(str(path), decode_audio=False)
    try:
        result = runner.run(Task(0, "cut", window, jobs))
        assert result.segment is not None
        data = np.fromfile(result.segment, dtype=np.uint8)
        for clip, wanted, output in zip(clips, planned, result.clips, strict=True):
            assert not output.error
            cut = data[output.offset : output.offset + output.shape[0]].tobytes()
            back = np.searchsorted(np.unique(wanted), wanted)
            got = _cut_frames(cut, np.asarray(output.frames)[back])
            expected = UniformTemporalSubsample(8)(video.get_clip(*clip)["video"])
            for t, frame in enumerate(got):
                assert np.array_equal(frame, expected[:, t].permute(1, 2, 0).byte().numpy())
    finally:
        video.close()
        runner.close()
        remove_segments(prefix)
