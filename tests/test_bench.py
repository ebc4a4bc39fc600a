"""Smoke tests of the benchmark suite (``benchmarks/``, ``fastvid bench``) on tiny videos."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from fastvid.bench import run_benchmarks, source_root

sys.path.insert(0, str(source_root()))

from benchmarks import loaders, report
from benchmarks.datasets import DatasetSpec, ensure_dataset
from benchmarks.run import build_parser, suite

# Batches of 3 end mid-video, so a loader whose cut warm-up pass leaks into the measured pass
# shows up as extra clips.
TINY = ["--resolutions", "160x120", "--videos", "2", "--duration", "4.5", "--batch-size", "3"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench_data")


@pytest.fixture(scope="module")
def smoke(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """One run of every CPU row on two tiny H.264 and two tiny VP9 videos (4 clips each)."""
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
    clips = {d["name"]: d["clips"] for d in payload["datasets"]}
    assert clips == {"120p-h264": 4, "120p-vp9": 4}
    rows = payload["rows"]
    for name in ("pytorchvideo", "ceiling", "fastvid"):
        for dataset in clips:
            measured = [r for r in _ok(rows, name) if r["dataset"] == dataset]
            assert measured, f"no {name} row for {dataset}"
            for r in measured:
                assert r["status"] == "ok", r
                assert r["clips"] == clips[dataset]
                assert r["clips_per_s"] > 0 and r["first_batch_s"] > 0
                assert r["peak_rss_mb"] > 0 and r["cpu_s_per_clip"] > 0
    fastvid = {r["dataset"]: r["config"] for r in _ok(rows, "fastvid")}
    assert fastvid == {
        "120p-h264": "cpu_decoder=pyav,num_workers=1",
        "120p-vp9": "cpu_decoder=dali,num_workers=1",
    }
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
    assert "## 120p-h264" in markdown and "## 120p-vp9" in markdown
    assert "Headline ratios" in markdown
    assert payload["plots"] == ["throughput_h264_cpu.png", "throughput_vp9_cpu.png"]
    for name in payload["plots"]:
        assert (out / name).read_bytes()[:8] == PNG_MAGIC
    ratios = {(e["dataset"], e["device"]): e for e in payload["ratios"]}
    entry = ratios[("120p-h264", "cpu")]
    best_ptv = max(
        r["clips_per_s"]
        for r in _ok(payload["rows"], "pytorchvideo")
        if r["dataset"] == "120p-h264"
    )
    assert entry["pytorchvideo"]["ratio"] == pytest.approx(
        entry["fastvid_clips_per_s"] / best_ptv, rel=1e-3
    )


def test_frame_decoders_return_the_planned_frames(data_dir: Path) -> None:
    """torchcodec, decord and the ceiling decode exactly fastvid's planned frames (stamps)."""
    from fastvid.data.index import VideoIndex
    from fastvid.testing import read_frame_index

    dataset = ensure_dataset(DatasetSpec("h264", 160, 120, 2, duration=4.5), data_dir)
    index = VideoIndex.build(dataset.paths, cache=False, progress=False)
    work = loaders.make_workload("tiny", dataset.pairs, batch_size=2, index=index, codec="h264")
    decoders = {"ceiling": lambda r: loaders.PyAVCeiling().frames(r, index.meta(r.path))}
    if not loaders._available("torchcodec.decoders"):
        decoders["torchcodec"] = lambda r: loaders.TorchcodecClips().frames(r).permute(0, 2, 3, 1)
    if not loaders._available("decord"):
        decoders["decord"] = lambda r: loaders.DecordClips().frames(r).permute(0, 2, 3, 1)
    for request in work.plan[1:3]:
        for name, decode in decoders.items():
            frames = decode(request)
            got = [read_frame_index(frame) for frame in frames]
            assert got == request.frame_indices.tolist(), name


def test_vp9_transcode_keeps_every_frame(data_dir: Path) -> None:
    from fastvid.data.index import probe_video
    from fastvid.reader.pyav_source import decode_frames
    from fastvid.testing import read_frame_index

    dataset = ensure_dataset(DatasetSpec("vp9", 160, 120, 2, duration=4.5), data_dir)
    meta = probe_video(dataset.paths[1])
    assert (meta.codec, meta.width, meta.height, meta.num_frames) == ("vp9", 160, 120, 135)
    frames = decode_frames(meta.path, [0, 67, 134], pts=meta.pts, keyframes=meta.keyframes)
    assert [read_frame_index(f) for f in frames] == [0, 67, 134]
    again = ensure_dataset(DatasetSpec("vp9", 160, 120, 2, duration=4.5), data_dir)
    assert again.generate_s == 0.0 and again.paths == dataset.paths  # reused, not regenerated


def test_a_smaller_dataset_reuses_the_files_of_a_larger_one(data_dir: Path) -> None:
    large = ensure_dataset(DatasetSpec("h264", 160, 120, 2, duration=4.5), data_dir)
    messages: list[str] = []
    small = ensure_dataset(
        DatasetSpec("h264", 160, 120, 1, duration=4.5), data_dir, log=messages.append
    )
    assert small.paths == large.paths[:1]
    assert not messages and small.generate_s == 0.0  # nothing generated
    assert small.mbit_per_s > 0.1 and small.keyframe_interval > 1


def test_suite_and_arguments() -> None:
    parser = build_parser()
    default = suite(parser.parse_args([]))
    assert [s.name for s in default][:1] == ["720p-h264"]  # the headline first
    assert {s.name for s in default} == {
        f"{h}p-{c}" for h in (360, 720, 1080) for c in ("h264", "vp9")
    }
    assert [s.name for s in suite(parser.parse_args(["--quick"]))] == ["720p-h264", "360p-vp9"]
    with pytest.raises(SystemExit):
        run_benchmarks(["--rows", "pytorchvideo,nope"])
    with pytest.raises(SystemExit):
        run_benchmarks(["--resolutions", "720p"])
    with pytest.raises(ValueError, match="codec"):
        DatasetSpec("av1", 64, 48, 1)  # type: ignore[arg-type]


def test_ratios_use_the_best_config_of_each_loader() -> None:
    def row(name: str, config: str, rate: float | None, status: str = "ok") -> dict:
        return {
            "dataset": "720p-h264",
            "row": name,
            "device": "cpu",
            "config": config,
            "status": status,
            "clips_per_s": rate,
            "params": {"num_workers": 0},
        }

    rows = [
        row("fastvid", "pyav", 10.0),
        row("pytorchvideo", "num_workers=0", 1.0),
        row("pytorchvideo", "num_workers=1", 2.0),
        row("torchcodec", "a", 8.0),
        row("torchcodec", "b", None, status="failed"),
        row("ceiling", "pyav", 12.5),
    ]
    report.mark_best(rows)
    assert [r["best"] for r in rows] == [True, False, True, True, False, True]
    (entry,) = report.headline_ratios(rows)
    assert entry["pytorchvideo"] == {
        "config": "num_workers=1",
        "clips_per_s": 2.0,
        "ratio": 5.0,
        "target": 5.0,
        "met": True,
    }
    assert entry["torchcodec"]["ratio"] == 1.25 and entry["torchcodec"]["met"]
    assert entry["ceiling"]["ratio"] == 0.8 and entry["ceiling"]["met"]


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
