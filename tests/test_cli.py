from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fastvid.cli import main


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


def test_gpu_check_runs_the_cpu_half_and_reports(tmp_path: Path) -> None:
    from fastvid.gpu_check import run_gpu_check

    report = run_gpu_check(tmp_path)
    cpu = [r for r in report.results if r.name.startswith("cpu decode")]
    assert cpu and all(r.passed for r in cpu), report.text()
    if report.gpu_reason is not None:
        assert "GPU half skipped" in report.text()
        assert any(r.passed is None for r in report.results)
    assert report.ok


def test_gpu_check_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "report.json"
    assert main(["gpu-check", "--json", str(path)]) == 0
    data = json.loads(path.read_text())
    assert data["results"] and "machine" in data
    assert "result: OK" in capsys.readouterr().out


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
    assert 0.0 <= result["val_accuracy"] <= 1.0
    assert set(result["predictions"].values()) <= {"left", "right", "up", "down"}
