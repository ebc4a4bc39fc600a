"""The ``fastvid`` command: every subcommand, config files, and a clear ``bench`` refusal."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fastvid.cli import main
from fastvid.testing import make_dataset
from tests.conftest import GpuCheckRun

ROOT = Path(__file__).resolve().parents[1]


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("train", "predict", "models", "demo", "bench", "gpu-check"):
        assert command in out


def test_unknown_command_suggests_a_close_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trian"]) == 2
    assert "did you mean 'train'" in capsys.readouterr().out.lower()


def test_models_filters_the_registry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "x3d*"]) == 0
    names = capsys.readouterr().out.split()
    assert names and all(name.startswith("x3d") for name in names)


def test_console_script_is_installed() -> None:
    out = subprocess.run(
        [Path(sys.executable).with_name("fastvid"), "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "gpu-check" in out.stdout


def test_gpu_check_runs_the_cpu_half_and_writes_json(gpu_check_quick: GpuCheckRun) -> None:
    """``fastvid gpu-check`` without CUDA: the CPU half passes, the GPU half is said skipped.

    ``tests/test_gpu_check.py`` checks the report's contents; this is the command line (one
    run of it, shared with those tests: the ``gpu_check_quick`` fixture).
    """
    run = gpu_check_quick
    assert run.code == 0, run.out
    data = json.loads(run.json_path.read_text())
    assert data["ok"] and data["gpu_reason"] and "machine" in data
    assert any(r["name"].startswith("cpu ") and r["passed"] for r in data["results"])
    assert "GPU half skipped" in run.out and "untested on GPU" in run.out
    assert "result: OK" in run.out
    assert f"wrote {run.workdir / 'report'}" in run.out  # --out: the report files, named


def test_gpu_check_without_out_writes_nothing_when_the_gpu_half_did_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without ``--out`` and without CUDA nothing is written (the check itself: above)."""
    import fastvid.gpu_check._cli as gpu_check_cli
    from fastvid.gpu_check import GpuCheckReport

    report = GpuCheckReport({"python": "3"}, "no CUDA here")
    calls: list[dict[str, object]] = []
    monkeypatch.setattr(gpu_check_cli, "_gpu_reason", lambda: "no CUDA here")
    monkeypatch.setattr(gpu_check_cli, "run_gpu_check", lambda *a, **k: calls.append(k) or report)
    path = tmp_path / "report.json"
    assert main(["gpu-check", "--quick", "--json", str(path)]) == 0
    assert [(c["profile"], c["out"]) for c in calls] == [("quick", None)]
    assert "nothing written to" in capsys.readouterr().out
    assert json.loads(path.read_text())["gpu_reason"] == "no CUDA here"
    assert list(tmp_path.iterdir()) == [path]


def test_demo_runs_end_to_end_on_a_tiny_dataset(tmp_path: Path) -> None:
    from fastvid.demo import run_demo

    result = run_demo(
        tmp_path / "demo",
        max_epochs=1,
        batch_size=4,
        device="cpu",
        train_per_class=2,
        val_per_class=1,
    )
    assert result["chance"] == 0.25
    # 4 validation videos of 2 s, 3 uniform 0.6 s clips each: the accuracy counts 12 clips.
    clips = result["val_accuracy"] * 12
    assert abs(clips - round(clips)) < 1e-4, result["val_accuracy"]
    assert list(result["predictions"]) == ["left_000.webm"]  # the one 'left' val video
    assert set(result["predictions"].values()) <= {"left", "right", "up", "down"}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dataset(
        tmp_path_factory.mktemp("cli") / "ds",
        classes=("a", "b"),
        per_class=2,
        splits=("train", "val"),
        codec="mjpeg",
        size=(64, 48),
        duration=1.2,
        fps=10,
    )


def test_train_then_predict_with_config_files(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoint = tmp_path / "out" / "model.ckpt"
    args = [
        "train",
        f"--data.train_folder={tiny / 'train'}",
        f"--data.val_folder={tiny / 'val'}",
        "--data.device=cpu",
        "--data.batch_size=2",
        "--data.clip_duration=1",
        '--data.transform_kwargs={"image_size": 64}',  # 64x64 crops: x3d_xs steps take seconds
        "--model.backbone=x3d_xs",
        "--trainer.fast_dev_run=true",
        "--trainer.logger=false",
        "--trainer.enable_progress_bar=false",
        "--trainer.default_root_dir",
        str(tmp_path),
        "--strategy=freeze_unfreeze:1",
        f"--output={checkpoint}",
    ]
    assert main(args) == 0
    saved = yaml.safe_load(checkpoint.with_suffix(".yaml").read_text())
    assert saved["model"]["backbone"] == "x3d_xs" and saved["model"]["pretrained"] is False
    assert saved["data"]["train_folder"] == str(tiny / "train")
    assert saved["strategy"] == "freeze_unfreeze:1" and saved["trainer"]["max_epochs"] == 1
    assert f"saved {checkpoint}" in capsys.readouterr().out

    again = tmp_path / "again.ckpt"  # the saved config reproduces the run
    rerun = ["train", "--config", str(checkpoint.with_suffix(".yaml")), f"--output={again}"]
    assert main(rerun) == 0
    assert again.is_file() and again.with_suffix(".yaml").is_file()
    capsys.readouterr()

    config = tmp_path / "predict.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "checkpoint": str(checkpoint),
                "inputs": [str(tiny / "val")],
                "clip_duration": 1.0,
                "device": "cpu",
                "model_device": "cpu",
                "return_probabilities": True,
            }
        )
    )
    assert main(["predict", "--config", str(config)]) == 0
    probabilities = json.loads(capsys.readouterr().out)
    assert sorted(probabilities) == sorted(str(p) for p in (tiny / "val").rglob("*.avi"))
    assert all(len(p) == 2 and abs(sum(p) - 1) < 1e-5 for p in probabilities.values())

    first = str(next((tiny / "val" / "a").iterdir()))
    assert main(["predict", "--checkpoint", str(checkpoint), first, "--device=cpu"]) == 0
    assert set(json.loads(capsys.readouterr().out).values()) <= {"a", "b"}


def test_train_help_lists_the_lightning_groups(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--config", "--data.train_folder", "--model.backbone", "--trainer.max_epochs"):
        assert option in out


def test_train_strategy_spellings() -> None:
    from fastvid.cli import _strategy

    assert _strategy("freeze") == "freeze"
    assert _strategy("freeze_unfreeze:3") == ("freeze_unfreeze", 3)
    assert _strategy(["freeze_unfreeze", 3]) == ("freeze_unfreeze", 3)
    assert _strategy(["unfreeze_milestones", [[1, 2], 3]]) == ("unfreeze_milestones", ((1, 2), 3))


def test_bench_without_the_source_tree_says_where_it_runs(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"  # fastvid as `pip install .` leaves it: no benchmarks/
    shutil.copytree(
        ROOT / "fastvid", site / "fastvid", ignore=shutil.ignore_patterns("__pycache__")
    )
    code = "import sys; from fastvid.cli import main; sys.exit(main(['bench', '--quick']))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(
        "fastvid bench: the benchmark suite runs from a source checkout"
    )
    assert "git clone" in result.stderr and "make bench" in result.stderr


def test_shard_writes_shards_and_says_their_pattern(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_dataset(
        tmp_path / "ds", per_class=2, splits=("train",), size=(64, 48), duration=1.0, fps=10
    )
    out = tmp_path / "shards"
    assert main(["shard", str(root / "train"), str(out), "--max-count", "3"]) == 0
    said = capsys.readouterr().out
    assert f"wrote 4 videos of 2 classes in 2 shards: {out}/shard-{{000000..000001}}.tar" in said
    assert sorted(p.name for p in out.iterdir()) == [
        "classes.json",
        "shard-000000.tar",
        "shard-000000.tar.idx.json",
        "shard-000001.tar",
        "shard-000001.tar.idx.json",
    ]
    assert main(["shard", str(root / "train"), str(out)]) == 2
    assert "already holds shards" in capsys.readouterr().err
    assert main(["shard", str(root / "train"), str(tmp_path / "x"), "--max-size", "1 GX"]) == 2
    assert "max_size '1 GX' is not a size" in capsys.readouterr().err


def test_index_writes_the_file_beside_the_data_and_reruns_incrementally(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fastvid.data.index import VideoIndex

    root = make_dataset(
        tmp_path / "data", per_class=1, splits=("train",), size=(64, 48), duration=0.5
    )
    assert main(["index", str(root), "--workers", "0", "--quiet"]) == 0
    assert "indexed 2 of 2 videos" in capsys.readouterr().out
    file = root / "fastvid.index"
    first = VideoIndex.load(file)
    assert first.complete and len(first) == 2
    shutil.copy(first.paths[0], root / "train" / "a" / "copy.webm")
    assert main(["index", str(root), "--out", str(tmp_path / "x.index"), "--quiet"]) == 0
    assert len(VideoIndex.load(tmp_path / "x.index")) == 3
    assert main(["index", str(tmp_path / "missing")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_index_of_a_remote_tree(s3_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from fastvid.data.index import VideoIndex

    out = tmp_path / "remote.index"
    options = json.dumps(s3_server.storage_options)
    argv = ["index", "s3://fastvid-test/data", "--out", str(out), "--storage-options", options]
    assert main([*argv, "--workers", "0", "--quiet"]) == 0
    index = VideoIndex.load(out)
    assert sorted(p.rsplit("/data/", 1)[1] for p in index.paths) == [
        "a/a_0.mp4", "a/a_1.mp4", "b/b_0.webm", "b/deeper/b_1.webm",
    ]  # fmt: skip
    assert main(["index", "s3://fastvid-test/data"]) == 2  # a remote SRC needs --out


def test_bench_with_a_path_benchmarks_that_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", str(tmp_path / "nowhere"), "--sample", "2"]) == 2
    assert "nowhere does not exist" in capsys.readouterr().err
    assert main(["bench", str(tmp_path), "--size", "400"]) == 2
    assert "crop (400) must be <= the short side's low end (256)" in capsys.readouterr().err
