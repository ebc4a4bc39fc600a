"""Smoke tests of the benchmark suite (``benchmarks/``, ``fastvid bench``) on tiny videos."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fastvid.bench import run_benchmarks, source_root

sys.path.insert(0, str(source_root()))

from benchmarks import loaders
from benchmarks.datasets import DatasetSpec, ensure_dataset
from benchmarks.run import build_parser, samplers_for, suite
from fastvid.benchmark import report
from fastvid.benchmark.loaders import available
from fastvid.benchmark.loaders.harness import _check_same_clips

# Three 4.5 s videos with 1 s GOPs: uniform 2 s clips give 2 per video, so --clips 4 keeps the
# first 2 videos (4 clips) and --ptv-clips 2 the first one; random gives 1 clip per video (3,
# and 2 for PyTorchVideo). Batches of 3 end mid-video, so a loader whose cut warm-up pass leaks
# into the measured pass shows up as extra clips.
TINY = [
    *("--resolutions", "160x120", "--videos", "3", "--duration", "4.5", "--gops", "30"),
    *("--batch-size", "3", "--clips", "4", "--ptv-clips", "2", "--samplers", "uniform,random"),
]
CLIPS = {"uniform": 4, "random": 3}
PTV_CLIPS = {"uniform": 2, "random": 2}
TINY_DATASETS = ("120p-h264-gop30", "120p-vp9-gop30")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench_data")


@pytest.fixture(scope="module")
def smoke(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """One run of every CPU row on tiny H.264 and VP9 videos, uniform and random clips.

    One config per fastvid row: PyAV on H.264, DALI's CPU decoder on VP9 (fastvid's PyAV route
    is the H.264 rows; running it on VP9 as well would only start more worker processes).
    """
    out = tmp_path_factory.mktemp("results")
    status = run_benchmarks(
        [
            *TINY,
            "--codecs",
            "h264,vp9",
            "--ptv-workers",
            "0",
            "--fastvid-workers",
            "1",
            "--fastvid-vp9-decoders",
            "dali",
            "--fastvid-memory-formats",
            "contiguous_format",
            "--data-dir",
            str(data_dir),
            "--out",
            str(out),
        ]
    )
    assert status == 0
    return out, json.loads((out / "results.json").read_text())


def _ok(rows: list[dict], row: str, device: str = "cpu") -> list[dict]:
    return [r for r in rows if r["row"] == row and r["device"] == device]


def test_every_cpu_row_measures_the_same_clips(smoke: tuple[Path, dict]) -> None:
    _, payload = smoke
    workloads = {(w["dataset"], w["sampler"]): w for w in payload["workloads"]}
    assert set(workloads) == {(d, s) for d in TINY_DATASETS for s in CLIPS}
    for (_, sampler), w in workloads.items():
        assert (w["clips"], w["ptv_clips"], w["gop"]) == (CLIPS[sampler], PTV_CLIPS[sampler], 30)
        assert w["videos"] == (2 if sampler == "uniform" else 3)  # whole videos only
    rows = payload["rows"]
    for name in ("pytorchvideo", "ceiling", "fastvid"):
        for dataset, sampler in workloads:
            measured = [
                r for r in _ok(rows, name) if (r["dataset"], r["sampler"]) == (dataset, sampler)
            ]
            assert measured, f"no {name} row for {dataset} {sampler}"
            expected = (PTV_CLIPS if name == "pytorchvideo" else CLIPS)[sampler]
            for r in measured:
                assert r["status"] == "ok", r
                assert r["clips"] == expected and r["gop"] == 30
                assert r["clips_per_s"] > 0 and r["first_batch_s"] > 0
                assert r["peak_rss_mb"] > 0 and r["cpu_s_per_clip"] > 0
    fastvid = {(r["dataset"], r["sampler"]): r["config"] for r in _ok(rows, "fastvid")}
    assert fastvid == {
        (d, s): f"cpu_decoder={'pyav' if 'h264' in d else 'dali'},num_workers=1"
        for d in TINY_DATASETS
        for s in CLIPS
    }
    for r in _ok(rows, "fastvid"):  # epoch 1 reuses the pipeline epoch 0 (warm-up) built
        assert r["warmup_clips"] == r["clips"], r
    for r in _ok(rows, "torchcodec"):  # required row: measured, or skipped with the reason
        assert r["status"] == "ok" or "torchcodec" in r["reason"], r


def test_gpu_rows_are_skipped_with_a_reason_without_cuda(smoke: tuple[Path, dict]) -> None:
    _, payload = smoke
    gpu = [r for r in payload["rows"] if r["device"] == "gpu"]
    assert {r["row"] for r in gpu} >= {"fastvid", "torchcodec", "ceiling"}
    if loaders.cuda_reason():
        for r in gpu:  # skipped, with the reason (torchcodec's row may lack torchcodec itself)
            assert r["status"] == "skipped", r
            assert "CUDA" in r["reason"] or (
                r["row"] == "torchcodec" and "torchcodec" in r["reason"]
            ), r
        assert all(r["clips_per_s"] is None for r in gpu)


def test_reports_are_written(smoke: tuple[Path, dict]) -> None:
    out, payload = smoke
    assert {"cpu_model", "cpu_count", "ram_gb", "versions"} <= set(payload["machine"])
    assert payload["machine"]["versions"]["torch"]
    markdown = (out / "results.md").read_text()
    for dataset in TINY_DATASETS:
        assert f"## {dataset} · uniform" in markdown and f"## {dataset} · random" in markdown
    assert "Headline ratios" in markdown and "| dataset | GOP | sampler | device |" in markdown
    assert "Targets: " in markdown
    assert payload["plots"] == [
        f"throughput_{codec}_cpu_{sampler}.png"
        for codec in ("h264", "vp9")
        for sampler in ("random", "uniform")
    ]
    for name in payload["plots"]:
        assert (out / name).read_bytes()[:8] == PNG_MAGIC
    # Every ratio comes from the same run's rows of the same dataset and sampler.
    ratios = {(e["dataset"], e["sampler"], e["device"]): e for e in payload["ratios"]}
    assert set(ratios) == {(d, s, "cpu") for d in TINY_DATASETS for s in CLIPS}
    for key, entry in ratios.items():
        same = [
            r
            for r in payload["rows"]
            if (r["dataset"], r["sampler"], r["device"]) == key and r["clips_per_s"]
        ]
        fast = max(r["clips_per_s"] for r in same if r["row"] == "fastvid")
        assert entry["fastvid_clips_per_s"] == fast and entry["gop"] == 30
        for name in ("pytorchvideo", "ceiling"):
            best = max(r["clips_per_s"] for r in same if r["row"] == name)
            assert entry[name]["ratio"] == pytest.approx(fast / best, abs=1e-3)
        assert entry["ceiling"]["target"] == 0.8  # uniform and random: checked everywhere
        assert "target" not in entry["pytorchvideo"]  # only 720p H.264 uniform


@pytest.mark.parametrize("sampler", ["random", "constant_clips_per_video"])
def test_frame_decoders_return_the_planned_frames(data_dir: Path, sampler: str) -> None:
    """torchcodec, decord and the ceiling decode exactly fastvid's planned frames (stamps)."""
    from fastvid.data.index import VideoIndex
    from fastvid.testing import read_frame_index

    dataset = ensure_dataset(DatasetSpec("h264", 160, 120, 2, duration=4.5, gop=30), data_dir)
    index = VideoIndex.build(dataset.paths, cache=False, progress=False)
    work = loaders.make_workload(
        "tiny", dataset.pairs, batch_size=2, index=index, codec="h264", sampler=sampler
    )
    per_video = 1 if sampler == "random" else loaders.CLIPS_PER_VIDEO
    assert work.num_clips == 2 * per_video and work.epoch == 1
    decoders: dict[str, Callable[[Any], Any]] = {
        "ceiling": lambda r: loaders.PyAVCeiling().frames(r, index.meta(r.path))
    }
    if not available("torchcodec.decoders"):
        decoders["torchcodec"] = lambda r: loaders.TorchcodecClips().frames(r).permute(0, 2, 3, 1)
    if not available("decord"):
        decoders["decord"] = lambda r: loaders.DecordClips().frames(r).permute(0, 2, 3, 1)
    for request in work.plan[per_video - 1 : per_video + 1]:
        for name, decode in decoders.items():
            frames = decode(request)
            got = [read_frame_index(frame) for frame in frames]
            assert got == request.frame_indices.tolist(), name


def test_workloads_keep_whole_videos_and_pytorchvideo_replays_the_plan(data_dir: Path) -> None:
    from fastvid.data.index import VideoIndex

    dataset = ensure_dataset(DatasetSpec("h264", 160, 120, 3, duration=4.5, gop=30), data_dir)
    index = VideoIndex.build(dataset.paths, cache=False, progress=False)
    work = loaders.make_workload(
        "tiny", dataset.pairs, batch_size=2, index=index, codec="h264", max_clips=5
    )
    assert (work.num_videos, work.num_clips, work.epoch_clips) == (2, 4, 6)
    assert work.limited(1).num_clips == 2  # at least one whole video
    random = loaders.make_workload(
        "tiny", dataset.pairs, batch_size=2, index=index, codec="h264", sampler="random"
    )
    replay = loaders.PlannedClipSampler(random.plan)
    for request in random.plan:
        clip = replay(0.0, 4.5, {"video_index": request.video_index})
        assert (clip.clip_start_sec, clip.clip_end_sec, clip.is_last_clip) == (
            request.clip_start_sec,
            request.clip_end_sec,
            True,
        )
        replay.reset()
    ids = [(r.video_index, r.clip_index) for r in random.plan]
    _check_same_clips(ids[::-1], random.plan, "x", ordered=False)
    with pytest.raises(RuntimeError, match="other clips than the plan"):
        _check_same_clips(ids[::-1], random.plan, "x", ordered=True)


def test_vp9_transcode_keeps_every_frame_and_the_gop(data_dir: Path) -> None:
    from fastvid.data.index import probe_video
    from fastvid.reader.decoding.pyav_source import decode_frames
    from fastvid.testing import read_frame_index

    spec = DatasetSpec("vp9", 160, 120, 2, duration=4.5, gop=30)
    dataset = ensure_dataset(spec, data_dir)
    meta = probe_video(dataset.paths[1])
    assert (meta.codec, meta.width, meta.height, meta.num_frames) == ("vp9", 160, 120, 135)
    assert [int(k) for k in meta.keyframes] == [0, 30, 60, 90, 120]
    frames = decode_frames(meta.path, [0, 67, 134], pts=meta.pts, keyframes=meta.keyframes)
    assert [read_frame_index(f) for f in frames] == [0, 67, 134]
    again = ensure_dataset(spec, data_dir)
    assert again.generate_s == 0.0 and again.paths == dataset.paths  # reused, not regenerated


def test_a_smaller_dataset_reuses_the_files_of_a_larger_one(data_dir: Path) -> None:
    large = ensure_dataset(DatasetSpec("h264", 160, 120, 2, duration=4.5, gop=30), data_dir)
    messages: list[str] = []
    small = ensure_dataset(
        DatasetSpec("h264", 160, 120, 1, duration=4.5, gop=30), data_dir, log=messages.append
    )
    assert small.paths == large.paths[:1]
    assert not messages and small.generate_s == 0.0  # nothing generated
    assert small.mbit_per_s > 0.1 and small.keyframe_interval == pytest.approx(135 / 5)


def test_dataset_folders_are_keyed_by_every_parameter() -> None:
    base = DatasetSpec("h264", 1280, 720, 64)
    assert (base.duration, base.gop, base.keyint, base.name) == (
        10.0,
        None,
        250,
        "720p-h264-gop250",
    )
    others = [
        DatasetSpec("h264", 1280, 720, 64, duration=6.5),
        DatasetSpec("h264", 1280, 720, 64, gop=60),
        DatasetSpec("h264", 1280, 720, 64, gop=250),  # explicit, not x264's default
        DatasetSpec("h264", 1280, 720, 64, seed=1),
        DatasetSpec("h264", 1280, 720, 64, fps=25),
        DatasetSpec("h264", 1280, 720, 64, bitrate=1_000_000),
        DatasetSpec("vp9", 1280, 720, 64),
    ]
    folders = {s.folder_name for s in [base, *others]}
    assert len(folders) == 1 + len(others)
    assert DatasetSpec("h264", 1280, 720, 8).folder_name == base.folder_name  # count: shared
    assert DatasetSpec("vp9", 1280, 720, 64, gop=60).h264_source() == DatasetSpec(
        "h264", 1280, 720, 64, gop=60
    )
    with pytest.raises(ValueError, match="gop"):
        DatasetSpec("h264", 64, 48, 1, gop=0)


def test_suite_and_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    args = parser.parse_args([])
    default = suite(args)
    assert [s.name for s in default] == [
        *(f"{h}p-h264-gop250" for h in (720, 360, 1080)),
        "720p-h264-gop60",
        *(f"{h}p-vp9-gop250" for h in (720, 360, 1080)),
        "720p-vp9-gop60",
    ]
    assert {(s.num_videos, s.duration, s.fps) for s in default} == {(64, 10.0, 30)}
    assert {s.gop for s in default} == {None, 60}
    everything = ["uniform", "random", "constant_clips_per_video"]
    for spec in default:
        expected = everything if spec.height == 720 else everything[:2]
        assert samplers_for(args, spec) == expected
    quick = parser.parse_args(["--quick"])
    assert [(s.name, s.num_videos) for s in suite(quick)] == [("720p-h264-gop250", 16)]
    assert samplers_for(quick, suite(quick)[0]) == ["uniform", "random"]
    gops = parser.parse_args(["--gops", "default,60,250", "--resolutions", "640x360"])
    assert [s.name for s in suite(gops)][:2] == ["360p-h264-gop250", "360p-h264-gop60"]
    for bad, named in (
        (["--rows", "pytorchvideo,nope"], "nope"),
        (["--resolutions", "720p"], "720p"),
        (["--gops", "0"], "0"),
        (["--samplers", "uniform,nope"], "nope"),
        (["--clips", "0"], "--clips"),
    ):
        with pytest.raises(SystemExit) as exit_info:
            run_benchmarks(bad)
        assert exit_info.value.code == 2, bad  # argparse's usage error, not a crash
        assert named in capsys.readouterr().err, bad
    with pytest.raises(ValueError, match="codec"):
        DatasetSpec("av1", 64, 48, 1)  # type: ignore[arg-type]


def test_ratios_use_the_best_config_of_each_loader() -> None:
    def row(name: str, config: str, rate: float | None, sampler: str = "uniform") -> dict:
        return {
            "dataset": "720p-h264-gop250",
            "sampler": sampler,
            "gop": 250,
            "row": name,
            "device": "cpu",
            "config": config,
            "status": "ok" if rate else "failed",
            "clips_per_s": rate,
            "params": {"num_workers": 0},
        }

    rows = [
        row("fastvid", "pyav", 10.0),
        row("pytorchvideo", "num_workers=0", 1.0),
        row("pytorchvideo", "num_workers=1", 2.0),
        row("torchcodec", "a", 8.0),
        row("torchcodec", "b", None),
        row("ceiling", "pyav", 12.5),
        row("fastvid", "pyav", 4.0, "random"),
        row("pytorchvideo", "num_workers=1", 1.0, "random"),
        row("torchcodec", "a", 4.0, "random"),
    ]
    report.mark_best(rows)
    assert [r["best"] for r in rows] == [True, False, True, True, False, True, True, True, True]
    uniform, random = report.headline_ratios(rows)
    assert (uniform["sampler"], uniform["gop"], random["sampler"]) == ("uniform", 250, "random")
    assert uniform["pytorchvideo"] == {
        "config": "num_workers=1",
        "clips_per_s": 2.0,
        "ratio": 5.0,
        "target": 5.0,
        "met": True,
    }
    assert uniform["torchcodec"]["ratio"] == 1.25 and uniform["torchcodec"]["met"]
    assert uniform["ceiling"]["ratio"] == 0.8 and uniform["ceiling"]["met"]
    # random: ratios against the random rows only; no PyTorchVideo target, torchcodec missed
    assert random["pytorchvideo"] == {"config": "num_workers=1", "clips_per_s": 1.0, "ratio": 4.0}
    assert random["torchcodec"]["ratio"] == 1.0 and not random["torchcodec"]["met"]
    assert "ceiling" not in random
    assert report.target_lines([uniform, random]) == [
        "Targets: 3 of 4 met",
        "missed: 720p-h264-gop250 random cpu: fastvid / torchcodec = 1.00x (target >= 1.2x)",
    ]
    assert report.target_for("ceiling", "360p-vp9-gop60", "random", "gpu") == 0.8
    assert (
        report.target_for("torchcodec", "720p-h264-gop250", "constant_clips_per_video", "cpu")
        is None
    )
    assert report.target_for("pytorchvideo", "720p-h264-gop60", "uniform", "cpu") == 5.0
    assert report.target_for("pytorchvideo", "720p-vp9-gop250", "uniform", "cpu") is None


def test_scaling_report_is_written(tmp_path: Path) -> None:
    def numbers(rate: float) -> dict:
        return {
            "status": "ok",
            "reason": "",
            "clips": 64,
            "first_batch_s": 2.0,
            "clips_per_s": rate,
            "cpu_s_per_clip": 0.02,
            "peak_rss_mb": 900.0,
            "rss_delta_mb": 100.0,
            "peak_pss_mb": 800.0,
            "pss_delta_mb": 90.0,
        }

    payload = {
        "command": "python -m benchmarks.run --scaling",
        "started": "now",
        "total_s": 1.0,
        "machine": report.machine_info(),
        "video": "64x48",
        "loader": "fastvid",
        "videos": [
            {
                "videos": n,
                "index_s": n * 1e-3,
                "index_us_per_video": 1000.0,
                "index_rss_delta_mb": 1.0,
                "plan_s": n * 1e-5,
                **numbers(50.0),
            }
            for n in (100, 1000)
        ],
        "batch_sizes": [{"batch_size": b, **numbers(10.0 * b)} for b in (1, 2)],
    }
    assert report.plot_scaling(tmp_path, payload) == ["scaling_videos.png", "scaling_batch.png"]
    assert (tmp_path / "scaling_batch.png").read_bytes()[:8] == PNG_MAGIC
    text = report.write_scaling_markdown(tmp_path / "scaling.md", payload).read_text()
    assert "| 1000 | 1.00 | 1000 |" in text and "| 2 | 20.00 |" in text
