"""Bad inputs: every battery file gets its defined outcome, on both CPU paths, in mixed batches.

One loader per CPU path reads the whole battery (good and bad files interleaved, batches of
4), so good clips share batches with clips that fail; each test then checks one input's outcome
against that run (see ``conftest.py`` for the inputs and outcomes, docs/reliability.md for the
table). DALI pipelines take seconds to build, so runs are shared; every test has a timeout so a
hang fails fast instead of stalling the suite.
"""

from __future__ import annotations

import gc
import json
import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import pytest
import torch
from pytorchvideo.data import LabeledVideoDataset
from pytorchvideo.data import make_clip_sampler as pv_make_clip_sampler
from torch.utils.data import SequentialSampler

from fastvid.data.layout import from_folder
from fastvid.reader.loader.clip_loader import ClipLoader, SkippedClip, VideoDecodeError
from fastvid.reader.loader.skip_report import SkipReport
from fastvid.testing import make_video, read_frame_index
from tests.reliability.conftest import (
    BATCH,
    CLIP_SECONDS,
    SIZE,
    Battery,
    battery_transform,
    loader_options,
)

DALI_CASES = [
    "good_vp9", "good_mjpeg", "vfr", "rotated", "short", "odd_size", "tiny", "trunc10",
    "trunc50", "trunc90", "cut_frame", "corrupt", "deleted", "replaced", "wrong_codec", "zero",
    "random",
    "text", "png", "jpeg", "audio_only", "folder", "dangling", "denied",
]  # fmt: skip
PYAV_CASES = [
    "good_h264", "vfr", "rotated", "short", "odd_size", "tiny", "trunc10", "trunc50", "trunc90",
    "trunc50_webm", "cut_frame", "corrupt", "deleted", "replaced", "zero", "random", "text",
    "png", "jpeg", "audio_only", "folder", "dangling", "denied",
]  # fmt: skip
# Mean |difference| on 0..255 between a clip and PyTorchVideo's: DALI's CPU decoder converts YUV to
# RGB with its own rounding (see tests/reader/loader/test_clip_loader.py); PyAV uses the same
# swscale.
MEAN_ABS_TOLERANCE = {"dali": 2.0, "pyav": 0.5}


@dataclass
class Run:
    """One epoch of a loader over a whole battery."""

    battery: Battery
    loader: ClipLoader
    batches: list[dict[str, Any]]
    clips: dict[tuple[str, int], torch.Tensor]  # (file name, clip index) -> (C, T, H, W)
    delivered_ids: list[tuple[str, int]]  # every (file name, clip index) yielded, in order
    report_file: Path

    def planned(self, name: str) -> list[Any]:
        path = str(self.battery.cases[name].path)
        return [c for c in self.loader.plan(0) if c.path == path]

    def skipped(self, name: str) -> list[SkippedClip]:
        path = os.path.abspath(self.battery.cases[name].path)
        return [s for s in self.loader.skipped if os.path.abspath(s.path) == path]

    def delivered(self, name: str) -> dict[int, torch.Tensor]:
        file = self.battery.cases[name].path.name
        return {clip: video for (f, clip), video in self.clips.items() if f == file}


def _run(battery: Battery, folder: Path) -> Iterator[Run]:
    report = folder / "skipped-epoch{epoch}.json"
    loader = ClipLoader(
        battery.pairs(),
        index=battery.index,
        **loader_options(cpu_decoder=battery.kind, skip_report_path=report),
    )
    try:
        batches = list(loader)
    finally:
        loader.close()
        gc.collect()
    clips, ids = {}, []
    for batch in batches:
        for i, name in enumerate(batch["video_name"]):
            ids.append((name, int(batch["clip_index"][i])))
            clips[ids[-1]] = batch["video"][i]
    yield Run(battery, loader, batches, clips, ids, folder / "skipped-epoch0.json")


@pytest.fixture(scope="module")
def dali_run(dali_battery: Battery, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    yield from _run(dali_battery, tmp_path_factory.mktemp("dali_run"))


@pytest.fixture(scope="module")
def pyav_run(pyav_battery: Battery, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    yield from _run(pyav_battery, tmp_path_factory.mktemp("pyav_run"))


def stamps(video: torch.Tensor) -> list[int]:
    return [read_frame_index(video[:, t], layout="CHW") for t in range(video.shape[1])]


def pytorchvideo_clips(path: Path) -> list[torch.Tensor]:
    """PyTorchVideo's clips of one file with the battery's sampler and transform (the oracle)."""
    dataset = LabeledVideoDataset(
        [(str(path), {"label": 0})],
        clip_sampler=pv_make_clip_sampler("uniform", CLIP_SECONDS),
        video_sampler=SequentialSampler,
        transform=battery_transform(),
        decode_audio=False,
    )
    return [sample["video"] for sample in dataset]


def check_case(run: Run, name: str) -> None:
    """Assert the outcome ``run`` gave battery input ``name``."""
    case = run.battery.cases[name]
    planned, skipped, delivered = run.planned(name), run.skipped(name), run.delivered(name)
    if case.outcome == "index":
        assert not planned and not delivered
        assert len(skipped) == 1, skipped
        assert skipped[0].epoch is None and skipped[0].clip_index is None
        assert re.search(case.reason, skipped[0].reason), skipped[0].reason
        assert skipped[0].kind == case.kind, skipped[0]
    elif case.outcome == "decode":
        assert planned, "a file that was fine when indexed is planned"
        assert not delivered
        assert sorted(s.clip_index for s in skipped) == [c.clip_index for c in planned]
        assert all(s.epoch == 0 and re.search(case.reason, s.reason) for s in skipped), skipped
        assert {s.kind for s in skipped} == {case.kind}, skipped
    elif case.outcome == "concealed":
        assert not skipped, "decoders conceal damaged packets: nothing to record"
        assert sorted(delivered) == [c.clip_index for c in planned]
        first = planned[0]  # frames 0..29, before the damaged frame 45
        assert stamps(delivered[first.clip_index]) == first.frame_indices.tolist()
    else:
        assert not skipped, skipped
        assert planned and sorted(delivered) == [c.clip_index for c in planned]
        for clip in planned:
            video = delivered[clip.clip_index]
            assert video.shape == (3, 4, SIZE[1], SIZE[0])
            if case.check == "stamps":
                assert stamps(video) == clip.frame_indices.tolist(), clip
        if name == "cut_frame":  # the half frame is not indexed; PyTorchVideo would decode it
            assert run.battery.index.meta(case.path).num_frames == 29
            return
        oracle = pytorchvideo_clips(case.path)
        assert len(oracle) == len(planned)
        for clip, expected in zip(planned, oracle, strict=True):
            video = delivered[clip.clip_index]
            if case.check == "stamps":
                assert stamps(video) == stamps(expected)
            difference = float((video - expected).abs().mean())
            assert difference < MEAN_ABS_TOLERANCE[run.battery.kind], (clip, difference)


# -------------------------------------------------------------------------------------------
# The battery, on each CPU path


@pytest.mark.timeout(240)
@pytest.mark.parametrize("name", DALI_CASES)
def test_dali_decoder_path(dali_run: Run, name: str) -> None:
    # DALI's CPU decoder takes the VP9/MJPEG files; the H.264 one is routed to PyAV
    assert dali_run.loader.source_kind == "mixed"
    wrong_codec = os.path.abspath(dali_run.battery.cases["wrong_codec"].path)
    assert dali_run.loader.routing.decoders[wrong_codec] == "pyav"
    assert "dali_cpu does not decode h264" in dali_run.loader.routing.reasons[wrong_codec]
    check_case(dali_run, name)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("name", PYAV_CASES)
def test_pyav_decoder_path(pyav_run: Run, name: str) -> None:
    assert pyav_run.loader.source_kind == "frames"
    check_case(pyav_run, name)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("run_name", ["dali_run", "pyav_run"])
def test_every_input_is_checked_and_batches_mix_good_and_bad(
    run_name: str, request: pytest.FixtureRequest
) -> None:
    run: Run = request.getfixturevalue(run_name)
    names = DALI_CASES if run.battery.kind == "dali" else PYAV_CASES
    assert sorted(run.battery.cases) == sorted(names)
    assert len(names) >= 15
    # Every skip names a battery file; every planned clip is delivered or recorded, once.
    paths = {os.path.abspath(c.path) for c in run.battery.cases.values()}
    assert {os.path.abspath(s.path) for s in run.loader.skipped} <= paths
    decode_failures = [
        (Path(s.path).name, s.clip_index) for s in run.loader.skipped if s.epoch == 0
    ]
    planned = [(Path(c.path).name, c.clip_index) for c in run.loader.plan(0)]
    assert len(set(run.delivered_ids)) == len(run.delivered_ids), "a clip came twice"
    assert sorted(run.delivered_ids + decode_failures) == sorted(planned)
    # Clips that failed to decode shared batches with good clips, which still came through.
    sizes = [len(batch["video_name"]) for batch in run.batches]
    assert any(size < BATCH for size in sizes[:-1]), sizes


# -------------------------------------------------------------------------------------------
# on_error="raise": a VideoDecodeError naming the file


INDEX_TIME = ["zero", "random", "text", "png", "jpeg", "audio_only", "folder", "dangling", "denied"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", INDEX_TIME)
def test_raise_mode_names_a_file_that_cannot_be_indexed(dali_battery: Battery, name: str) -> None:
    case = dali_battery.cases[name]
    loader = ClipLoader(
        dali_battery.pairs(["good_vp9", name]),
        index=dali_battery.index,
        **loader_options(on_error="raise"),
    )
    with pytest.raises(VideoDecodeError, match=re.escape(str(case.path))) as info:
        loader.plan(0)  # indexing errors surface before any decoding
    assert re.search(case.reason, info.value.reason)
    assert "on_error='skip'" in str(info.value)  # says what to do


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", ["dali", "pyav"])
def test_raise_mode_names_a_file_that_fails_to_decode(
    kind: str, request: pytest.FixtureRequest
) -> None:
    battery: Battery = request.getfixturevalue(f"{kind}_battery")
    good = "good_vp9" if kind == "dali" else "good_h264"
    case = battery.cases["replaced"]
    loader = ClipLoader(
        battery.pairs([good, "replaced"]),
        index=battery.index,
        **loader_options(cpu_decoder=kind, on_error="raise", num_workers=1),
    )
    try:
        with pytest.raises(VideoDecodeError, match=re.escape(str(case.path))) as info:
            list(loader)
        assert re.search(case.reason, info.value.reason)
    finally:
        loader.close()


# -------------------------------------------------------------------------------------------
# Mixed resolutions without a crop, layout errors


@pytest.mark.timeout(120)
def test_mixed_sizes_without_a_crop_raise_a_clear_error(tmp_path: Path) -> None:
    from pytorchvideo.transforms import ApplyTransformToKey, UniformTemporalSubsample

    big = make_video(tmp_path / "big.mp4", codec="h264", size=SIZE, duration=1.0)
    small = make_video(tmp_path / "small.mp4", codec="h264", size=(64, 48), duration=1.0)
    loader = ClipLoader(
        [(str(big), 0), (str(small), 1)],
        cache_dir=tmp_path / "cache",
        **loader_options(
            cpu_decoder="pyav",
            batch_size=2,
            transform=ApplyTransformToKey("video", UniformTemporalSubsample(4)),
        ),
    )
    try:
        with pytest.raises(
            ValueError, match=r"big\.mp4 \(3, 4, 72, 96\), small\.mp4 \(3, 4, 48, 64\)"
        ):
            list(loader)
    finally:
        loader.close()


@pytest.mark.timeout(20)
def test_empty_class_folder_is_a_layout_error_naming_it(tmp_path: Path) -> None:
    make_video(tmp_path / "data" / "a" / "clip.webm", codec="vp9", size=(64, 48), duration=0.5)
    (tmp_path / "data" / "b").mkdir()
    with pytest.raises(ValueError, match=re.escape(str(tmp_path / "data" / "b"))):
        from_folder(tmp_path / "data")


@pytest.mark.timeout(20)
def test_symlink_loop_in_the_dataset_tree_does_not_hang(tmp_path: Path) -> None:
    video = make_video(tmp_path / "data" / "a" / "clip.webm", codec="vp9", size=(64, 48),
                       duration=0.5)  # fmt: skip
    make_video(tmp_path / "data" / "b" / "deep" / "other.webm", codec="vp9", size=(64, 48),
               duration=0.5)  # fmt: skip
    os.symlink(tmp_path / "data" / "a", tmp_path / "data" / "a" / "loop")  # a -> a
    os.symlink(tmp_path / "data", tmp_path / "data" / "b" / "deep" / "up")  # b/deep -> root
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        videos = from_folder(tmp_path / "data")
    assert [v.path for v in videos] == [
        str(video),
        str(tmp_path / "data" / "b" / "deep" / "other.webm"),
    ]
    assert videos.classes == ("a", "b")
    assert sum("symlink loop" in str(w.message) for w in caught) == 2


# -------------------------------------------------------------------------------------------
# The skipped-file report


@pytest.mark.timeout(240)
def test_skip_report_summarises_the_run_and_is_written_each_epoch(dali_run: Run) -> None:
    report = dali_run.loader.skip_report()
    assert report.count == len(dali_run.loader.skipped)
    bad = [c for c in dali_run.battery.cases.values() if c.outcome in ("index", "decode")]
    assert set(report.files) == {str(c.path) for c in bad}
    assert report.by_kind["still_image"] == 2
    assert report.by_kind["changed"] == len(dali_run.planned("replaced"))
    assert report.by_kind["missing"] == 1 + len(dali_run.planned("deleted"))  # dangling, deleted
    assert sum(report.by_kind.values()) == report.count
    decode_time = [c for n in dali_run.battery.names("decode") for c in dali_run.planned(n)]
    assert report.by_epoch == {0: len(decode_time)}
    # the file DALI's CPU decoder cannot read is routed to PyAV, not skipped
    assert "decode_error" not in report.by_kind
    written = json.loads(dali_run.report_file.read_text())
    assert written == report.to_dict()
    assert written["files"][str(dali_run.battery.cases["zero"].path)]["reasons"] == [
        "the file is empty (0 bytes); re-download or remove it"
    ]
    assert report.summary().startswith(f"{report.count} clips skipped in {len(bad)} files (")


@pytest.mark.timeout(10)
def test_skip_report_of_nothing() -> None:
    report = SkipReport.from_skipped([])
    assert (report.count, report.num_files, dict(report.by_kind)) == (0, 0, {})
    assert report.summary() == "no clips skipped"


@pytest.mark.timeout(120)
def test_skipped_videos_logger_logs_counts_each_epoch(tmp_path: Path) -> None:
    import pytorch_lightning as pl
    from pytorch_lightning.loggers import CSVLogger
    from torch.utils.data import DataLoader, TensorDataset

    from fastvid.integrations.lightning.callbacks import SkippedVideosLogger

    class Data(pl.LightningDataModule):
        """Skips a new clip of b.mp4 every epoch; a.mp4 was left out when indexing."""

        def __init__(self) -> None:
            super().__init__()
            self.entries = [SkippedClip("a.mp4", "the file is empty (0 bytes)")]

        def train_dataloader(self) -> DataLoader:
            epoch = len(self.entries) - 1
            self.entries.append(SkippedClip("b.mp4", "cannot decode", epoch, 0))
            return DataLoader(TensorDataset(torch.zeros(2, 3)), batch_size=2)

        def skipped(self) -> dict[str, list[SkippedClip]]:
            return {"train": list(self.entries), "val": self.entries[:1]}

    class Model(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(3, 1)

        def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
            return self.layer(batch[0]).sum()

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.SGD(self.parameters(), lr=0.1)

    trainer = pl.Trainer(
        max_epochs=2,
        logger=CSVLogger(tmp_path),
        callbacks=[SkippedVideosLogger()],
        reload_dataloaders_every_n_epochs=1,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
    )
    trainer.fit(Model(), datamodule=Data())
    rows = (Path(trainer.logger.log_dir) / "metrics.csv").read_text().splitlines()
    header = rows[0].split(",")
    logged = [dict(zip(header, row.split(","), strict=True)) for row in rows[1:]]
    per_epoch = [
        (
            float(r["skipped_videos/train"]),
            float(r["skipped_clips/train"]),
            float(r["skipped_videos"]),
        )
        for r in logged
        if r.get("skipped_videos/train")
    ]
    assert per_epoch == [(2.0, 2.0, 2.0), (2.0, 3.0, 2.0)]
    assert all(float(r["skipped_videos/val"]) == 1.0 for r in logged if r.get("skipped_videos/val"))


@pytest.mark.timeout(10)
def test_skipped_videos_logger_without_a_skipping_datamodule_logs_nothing() -> None:
    from types import SimpleNamespace

    from fastvid.integrations.lightning.callbacks import SkippedVideosLogger

    logged: list[dict[str, float]] = []
    recorder = SimpleNamespace(log_metrics=lambda metrics, step: logged.append(metrics))
    trainer = SimpleNamespace(datamodule=None, loggers=[recorder], global_step=0)
    SkippedVideosLogger().on_train_epoch_end(trainer, None)  # type: ignore[arg-type]
    assert logged == []


@pytest.mark.timeout(120)
def test_pyav_path_refuses_frames_ffmpeg_flags_corrupt(pyav_battery: Battery) -> None:
    from fastvid.data.index import probe_video
    from fastvid.reader.decoding.pyav_source import FrameDecodeError, decode_frames

    path = pyav_battery.cases["corrupt"].path
    meta = probe_video(path)
    damaged = [i for i, frame in enumerate(av.open(str(path)).decode(video=0)) if frame.is_corrupt]
    assert damaged, "the battery's damaged H.264 file should have a frame FFmpeg flags"
    clean = decode_frames(path, [0, 5, 10], pts=meta.pts, keyframes=meta.keyframes)
    assert [read_frame_index(f) for f in clean] == [0, 5, 10]
    # one decoder thread, as the loader's workers use: with FFmpeg's frame threads the corrupt
    # flag of a concealed frame was seen missing now and then on a loaded machine
    with pytest.raises(FrameDecodeError, match=rf"{path.name}.*damaged") as caught:
        decode_frames(path, [damaged[0]], pts=meta.pts, keyframes=meta.keyframes, threads=1)
    assert caught.value.kind == "corrupt"
