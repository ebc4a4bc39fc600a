"""``fastvid gpu-check``: its CPU half here, and every GPU-half step run on CPU stand-ins.

The GPU half needs NVDEC, so on this machine each of its steps is run with the CPU in the GPU's
place: the comparison with a second CPU loader (it must find no pixel difference, and must flag
clips of another seed), the throughput rows with DALI's CPU decoder as the "ceiling" (VP9), the
X3D-S step on CPU batches. What only a GPU can show is in ``test_gpu_check_passes_on_the_gpu``
(``needs_cuda``) and in the check's own run on the GPU machine (untested on GPU so far).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from fastvid.gpu_check import GpuCheckReport, run_gpu_check
from fastvid.gpu_check._compare import (
    TOLERANCE,
    ClipRecord,
    collect,
    compare,
    compare_runs,
    make_loader,
    read_stamps,
    reference_problems,
)
from fastvid.gpu_check._fixtures import build_fixtures, fixture_specs
from fastvid.gpu_check._report import device_slug
from fastvid.testing import make_video, stamp_frame_index
from tests.conftest import GpuCheckRun

NVDEC_CODECS = {"h264", "hevc", "vp9", "vp8", "mpeg4"}


def _cuda() -> bool:
    return torch.cuda.is_available()


@pytest.fixture(scope="module")
def workdir(gpu_check_quick: GpuCheckRun) -> Path:
    """Where the quick check built its fixture videos (``videos/``)."""
    return gpu_check_quick.workdir


@pytest.fixture(scope="module")
def cpu_half(gpu_check_quick: GpuCheckRun) -> GpuCheckReport:
    """The quick profile's CPU half (the GPU half is skipped here), written to ``report/``.

    ``fastvid gpu-check --quick --out <workdir>/report`` runs it once for this module and
    ``tests/test_cli.py`` (the ``gpu_check_quick`` fixture in ``tests/conftest.py``).
    """
    report: GpuCheckReport = gpu_check_quick.report
    return report


# ---------------------------------------------------------------------------------------------
# The CPU half, as `make gpu-check` runs it here


def test_cpu_half_passes_and_says_the_gpu_half_was_skipped(cpu_half: GpuCheckReport) -> None:
    assert cpu_half.ok, cpu_half.text()
    assert cpu_half.gpu_reason
    names = [r.name for r in cpu_half.results]
    for expected in ("cpu fixtures", "cpu index", "cpu routing dry run", "cpu stamps"):
        assert expected in names, names
    for run in ("damaged", "long_gop", "seed", "resized_crop"):
        assert f"cpu {run}" in names, names
    skipped = [r for r in cpu_half.results if r.passed is None]
    assert [r.name for r in skipped] == ["gpu half"]
    assert "untested on GPU" in skipped[0].detail
    assert "GPU half skipped" in cpu_half.text() and "untested on GPU" in cpu_half.text()
    assert set(cpu_half.phases) >= {"fixtures", "index", "routing dry run", "cpu reference"}


def test_fixtures_cover_every_nvdec_codec_container_and_timing(cpu_half: GpuCheckReport) -> None:
    compare_set = [f for f in cpu_half.fixtures if f["group"] == "compare"]
    codecs = {f["codec"] for f in compare_set}
    assert codecs >= NVDEC_CODECS | {"mjpeg"}
    assert {f["container"] for f in compare_set} >= {"mp4", "mkv", "webm", "avi"}
    for codec in NVDEC_CODECS:
        assert {f["vfr"] for f in compare_set if f["codec"] == codec} == {False, True}, codec
    assert all(f["width"] >= 256 and f["height"] >= 240 for f in compare_set)
    assert len({(f["width"], f["height"]) for f in compare_set}) >= 3  # mixed sizes
    (long_gop,) = [f for f in cpu_half.fixtures if f["group"] == "long_gop"]
    assert long_gop["gop"] == 250 and long_gop["frames"] == 300 and long_gop["keyframes"] >= 2


def test_full_profile_fixtures_are_1080p_long_gop_and_two_throughput_sets() -> None:
    specs = fixture_specs("full", throughput=True)
    long_gop = [s for s in specs if s.group == "long_gop"]
    assert long_gop and all(s.size == (1920, 1080) and s.gop == 250 for s in long_gop)
    assert all(s.duration == 10.0 for s in long_gop)
    sets = {g: [s for s in specs if s.group == g] for g in ("t1080", "t720")}
    assert len(long_gop) + len(sets["t1080"]) == 16 and len(sets["t720"]) == 16
    assert all(s.size[0] >= 256 and s.size[1] >= 240 for s in specs)
    assert "t720" not in {s.group for s in fixture_specs("full", throughput=False)}


def test_routing_dry_run_sends_mjpeg_to_pyav_and_every_nvdec_codec_to_nvdec(
    cpu_half: GpuCheckReport,
) -> None:
    (rows,) = cpu_half.routing.values()
    decoders = {row["file"]: row["decoder"] for row in rows}
    assert decoders["mjpeg_cfr_avi.avi"] == "pyav"
    for name, decoder in decoders.items():
        if name.split("_")[0] in NVDEC_CODECS:
            assert decoder == "nvdec", (name, rows)
    (mjpeg,) = [row for row in rows if row["file"] == "mjpeg_cfr_avi.avi"]
    assert "mjpeg" in mjpeg["reason"]


def test_report_writes_json_and_markdown_named_after_the_device(
    cpu_half: GpuCheckReport, tmp_path: Path
) -> None:
    assert cpu_half.autosave is not None
    saved = json.loads((Path(cpu_half.autosave) / "no-gpu.json").read_text())
    assert set(saved["phases"]) == set(cpu_half.phases)  # rewritten after every phase
    json_path, md_path = cpu_half.write(tmp_path)
    assert json_path.name == "no-gpu.json" and md_path.name == "no-gpu.md"
    data = json.loads(json_path.read_text())
    assert data["ok"] is True and data["machine"]["python"]
    assert data["phases"]["fixtures"] >= 0
    text = md_path.read_text()
    assert "untested on GPU" in text and "## Routing" in text and "## Fixtures" in text
    assert device_slug("NVIDIA H200") == "nvidia-h200"


# ---------------------------------------------------------------------------------------------
# The GPU half's steps, with the CPU standing in for the GPU


def _compare_setup(workdir: Path, name: str) -> tuple[Any, list[Path], Any, dict[str, Any]]:
    from fastvid.data.index import VideoIndex

    specs = fixture_specs("quick", throughput=False)
    paths = build_fixtures(specs, workdir / "videos")
    files = [paths[s.name] for s in specs if s.group == "compare"]
    index = VideoIndex.build([os.fspath(p) for p in files], cache=False, progress=False)
    sizes = {os.fspath(paths[s.name]): s.size for s in specs}
    (run,) = [r for r in compare_runs(specs) if r.name == name]
    return run, files, index, sizes


@pytest.mark.parametrize("name", ["stamps", "seed"])
def test_comparison_finds_nothing_between_identical_loaders_and_flags_another_seed(
    cpu_half: GpuCheckReport, workdir: Path, name: str
) -> None:
    run, files, index, sizes = _compare_setup(workdir, name)
    reference_loader = make_loader(files, run, device="cpu", index=index)
    try:
        reference, _, _ = collect(reference_loader, files, run, sizes, keep_video=True)
    finally:
        reference_loader.close()

    twin = make_loader(files, run, device="cpu", index=index)
    try:
        same, records, _, _ = compare(run, reference, twin, files, sizes)
    finally:
        twin.close()
    # the only complaint about a CPU loader is that its batches are not on the GPU
    assert same.problems == ["batches on ['cpu'], expected cuda"], same.problems
    assert same.clips == len(reference) == len(records) > 0
    assert all(row["mean_abs"] < 0.05 for row in same.per_clip), same.per_clip
    if run.stamps:
        assert same.flips["flipped"] > 0 and same.flips["not flipped"] > 0

    other = make_loader(files, run, device="cpu", index=index, seed=12)  # other crops, flips
    try:
        moved, _, _, _ = compare(run, reference, other, files, sizes)
    finally:
        other.close()
    mismatched = [p for p in moved.problems if "mean |gpu - cpu|" in p or "flipped=" in p]
    assert len(mismatched) >= len(reference) // 3, moved.problems


def test_damaged_copy_keeps_its_size_and_first_frames(cpu_half: GpuCheckReport) -> None:
    damaged = [f for f in cpu_half.fixtures if f["group"] == "damaged"]
    assert {f["source"] for f in damaged} == {"h264_cfr_mp4", "hevc_cfr_mp4", "mpeg4_cfr_avi"}
    by_name = {f["name"]: f for f in cpu_half.fixtures}
    for f in damaged:
        original = by_name[f["source"]]
        assert f["bytes"] == original["bytes"] and f["frames"] == original["frames"]
    (line,) = [r for r in cpu_half.results if r.name == "cpu damaged"]
    assert line.detail.count("skipped:") == 3, line.detail  # each damaged clip, with its reason


def test_a_batch_with_an_undecodable_clip_delivers_the_others(
    cpu_half: GpuCheckReport, workdir: Path
) -> None:
    """The GPU's retry path on DALI's CPU decoder (MJPEG): the batch fails in DALI, its clips
    are retried one by one, the damaged clip is skipped and the rest arrive in order."""
    from fastvid.data.index import VideoIndex
    from fastvid.data.samplers import make_clip_sampler
    from fastvid.gpu_check._compare import damaged_problems
    from fastvid.gpu_check._fixtures import damage
    from fastvid.reader import ClipLoader

    run, _, _, _ = _compare_setup(workdir, "damaged")
    videos = workdir / "videos"
    bad = damage(videos / "mjpeg_cfr_avi.avi", workdir / "damaged_mjpeg.avi", 40)
    files = [videos / "vp9_cfr_webm.webm", bad, videos / "mjpeg_cfr_avi.avi"]
    index = VideoIndex.build([str(f) for f in files], cache=False, progress=False)
    loader = ClipLoader(
        [(str(f), i) for i, f in enumerate(files)],
        clip_sampler=make_clip_sampler("uniform", 1.0),
        transform=run.transform(),
        batch_size=4,
        video_sampler=torch.utils.data.SequentialSampler,
        device="cpu",
        cpu_decoder="dali",
        index=index,
        progress=False,
    )
    try:
        assert set(loader.routing.decoders.values()) == {"dali_cpu"}
        plan = loader.plan(0)
        sizes = {str(f): (index.meta(str(f)).width, index.meta(str(f)).height) for f in files}
        records, _, _ = collect(loader, files, run, sizes, keep_video=False)
        problems, outcome = damaged_problems(plan, records, loader.skipped, {str(bad): 40})
    finally:
        loader.close()
    assert problems == []
    assert outcome == {"damaged_mjpeg.avi clip 1": outcome["damaged_mjpeg.avi clip 1"]}
    assert "DALI could not decode it" in outcome["damaged_mjpeg.avi clip 1"]
    assert len(records) == len(plan) - 1


def test_stamps_are_read_through_padding_and_a_flip() -> None:
    frames = np.full((8, 240, 320, 3), 120, dtype=np.uint8)
    for i, frame in enumerate(frames):
        stamp_frame_index(frame, 40 + i)
    clip = torch.from_numpy(frames).permute(3, 0, 1, 2).float()  # (C, T, H, W)
    canvas = torch.zeros((3, 8, 288, 384))
    canvas[:, :, 24:264, 32:352] = clip  # CenterCrop((288, 384)) of a 320x240 frame
    assert read_stamps(canvas, (320, 240), (288, 384)) == (list(range(40, 48)), False)
    assert read_stamps(canvas.flip(-1), (320, 240), (288, 384)) == (list(range(40, 48)), True)
    assert read_stamps(torch.zeros((3, 2, 288, 384)), (320, 240), (288, 384)) == (None, None)


def test_reference_problems_name_wrong_frames_and_missing_clips() -> None:
    class Request:
        def __init__(self, clip: int, frames: list[int]) -> None:
            self.path, self.video_index, self.clip_index, self.aug_index = "/v/a.mp4", 0, clip, 0
            self.label, self.frame_indices = 0, np.array(frames)

    (run,) = [
        r for r in compare_runs(fixture_specs("quick", throughput=False)) if r.name == "long_gop"
    ]
    plan = [Request(0, [0, 1]), Request(1, [2, 3])]
    good = [
        ClipRecord(("a.mp4", 0, c, 0, 0), "/v/a.mp4", (3, 2, 8, 8), "cpu", stamps=f)
        for c, f in ((0, [0, 1]), (1, [2, 3]))
    ]
    assert reference_problems(run, plan, good, []) == []
    wrong = [good[0], ClipRecord(good[1].identity, "/v/a.mp4", (3, 2, 8, 8), "cpu", [2, 4])]
    assert reference_problems(run, plan, wrong, []) == [
        "a.mp4 clip 1: frames [2, 4], planned [2, 3]"
    ]
    problems = reference_problems(run, plan, good[:1], [])
    assert any("1 delivered, 2 planned" in p for p in problems)


def test_tolerances_are_stated_per_route() -> None:
    assert TOLERANCE["nvdec"] == 3.0 and TOLERANCE["pyav"] == 0.5


@pytest.fixture(scope="module")
def vp9_videos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("vp9")
    return [
        make_video(folder / f"v{i}.webm", codec="vp9", size=(256, 256), duration=4.5, seed=i)
        for i in range(2)
    ]


def test_throughput_rows_and_ratios_run_on_cpu_stand_ins(vp9_videos: list[Path]) -> None:
    from fastvid.data.index import VideoIndex
    from fastvid.gpu_check._throughput import Deadline, measure_dataset

    index = VideoIndex.build([str(p) for p in vp9_videos], cache=False, progress=False)
    result = measure_dataset("vp9", vp9_videos, index, Deadline(120), device="cpu")
    assert result["errors"] == {}
    rows = result["rows"]
    for row in ("fastvid", "nvdec_ceiling", "pytorchvideo"):
        assert rows[row]["steady_clips_per_s"] > 0, rows[row]
        assert rows[row]["first_batch_s"] > 0
        assert rows[row]["pass_clips"][0] == 4  # 2 videos x 2 uniform 2 s clips
    assert rows["nvdec_ceiling"]["frames_decoded_per_pass"] > 0
    assert rows["fastvid"]["last_epoch_stats"]["clips"] == 4
    assert {"fastvid / nvdec_ceiling (steady)", "fastvid / pytorchvideo (steady)"} <= set(
        result["ratios"]
    )


def test_training_step_trains_x3d_s_on_loader_batches(vp9_videos: list[Path]) -> None:
    from pytorchvideo.transforms import (
        ApplyTransformToKey,
        ShortSideScale,
        UniformTemporalSubsample,
    )
    from torchvision.transforms import CenterCrop, Compose

    from fastvid.gpu_check._train import training_step

    small = ApplyTransformToKey(
        "video", Compose([UniformTemporalSubsample(4), ShortSideScale(64), CenterCrop(64)])
    )  # the GPU runs the seed transform (244 px crops); a CPU step at that size takes ~15 s
    result = training_step(vp9_videos, device="cpu", batch_size=2, steps=1, transform=small)
    assert result["problems"] == [], result
    assert result["steps"] == 1 and result["params_changed"]
    assert result["batch_shape"] == [2, 3, 4, 64, 64] and result["batch_device"] == ["cpu"]


# ---------------------------------------------------------------------------------------------
# On a GPU machine


@pytest.mark.needs_cuda
def test_gpu_check_passes_on_the_gpu(tmp_path: Path) -> None:
    """The quick profile's GPU half: every comparison and the training step pass."""
    report = run_gpu_check(tmp_path, profile="quick", skip=("throughput",))
    assert report.gpu_reason is None
    assert report.ok, report.text()
    gpu = {r.name for r in report.results if r.name.startswith("gpu ") and r.passed}
    runs = {"gpu stamps", "gpu damaged", "gpu long_gop", "gpu seed", "gpu resized_crop"}
    assert runs <= gpu, report.text()
    assert "gpu training step" in gpu and "gpu routing compare" in gpu
