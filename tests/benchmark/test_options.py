"""``fastvid bench PATH``'s options: flags, config files, their order and their checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fastvid.benchmark import is_folder_command, parse_options
from fastvid.benchmark._options import DEFAULT_SAMPLE, read_config_file
from fastvid.benchmark.loaders import SEED, ClipConfig


def test_defaults_are_the_seed_config_on_16_files() -> None:
    options = parse_options(["videos/"])
    assert options.path == "videos/" and options.clip == SEED
    assert options.sample == DEFAULT_SAMPLE and options.minutes is None
    assert options.loaders is None and options.out == Path("fastvid-bench")


def test_flags_set_the_clips_and_the_run() -> None:
    options = parse_options(
        [
            *("data", "--clip-sampler", "constant_clips_per_video", "--clips-per-video", "3"),
            *("--clip-duration", "1.5", "--frames", "16", "--short-side", "128,160"),
            *("--size", "112", "--flip", "0", "--minutes", "2.5", "--seed", "7"),
            *("--loaders", "pytorchvideo,decord", "--batch-size", "8", "--workers", "0"),
            *("--max-clips", "40", "--out", "report"),
        ]
    )
    assert options.clip == ClipConfig(
        clip_sampler="constant_clips_per_video",
        clip_duration=1.5,
        clips_per_video=3,
        num_frames=16,
        short_side=(128, 160),
        crop=112,
        flip_p=0.0,
    )
    assert (options.sample, options.minutes, options.seed) == (None, 2.5, 7)
    assert options.loaders == ("pytorchvideo", "decord")
    assert (options.batch_size, options.workers, options.max_clips) == (8, 0, 40)
    assert options.out == Path("report")


def test_one_short_side_is_low_and_high() -> None:
    assert parse_options(["d", "--short-side", "224", "--size", "224"]).clip.short_side == (
        224,
        224,
    )


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_config_file_sets_options_and_flags_win(tmp_path: Path, suffix: str) -> None:
    values = {"clip_sampler": "random", "num_frames": 4, "short_side": [64, 80], "crop": 56}
    values |= {"sample": 3, "loaders": ["pytorchvideo"], "batch-size": 2}
    file = tmp_path / f"bench{suffix}"
    if suffix == ".json":
        file.write_text(json.dumps(values))
    else:
        import yaml

        file.write_text(yaml.safe_dump(values))
    options = parse_options(["d", "--config", str(file), "--frames", "6", "--minutes", "1"])
    assert options.clip == ClipConfig(
        clip_sampler="random", num_frames=6, short_side=(64, 80), crop=56
    )
    assert (options.sample, options.minutes) == (None, 1.0)  # --minutes replaces the file's
    assert options.loaders == ("pytorchvideo",) and options.batch_size == 2


def test_a_config_file_with_an_unknown_option_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "bench.yaml"
    file.write_text("num_frame: 8\n")
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['num_frame'\].*num_frames"):
        read_config_file(file)
    with pytest.raises(FileNotFoundError, match=r"missing\.yaml"):
        parse_options(["d", "--config", str(tmp_path / "missing.yaml")])
    file.write_text("- a list\n")
    with pytest.raises(ValueError, match="mapping"):
        read_config_file(file)


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--loaders", "pytorchvideo,dali"], r"loaders \['dali'\]"),
        (["--size", "300"], r"crop \(300\) must be <= the short side's low end \(256\)"),
        (["--frames", "0"], r"num_frames \(0\) must be > 0"),
        (["--short-side", "300,200", "--size", "100"], r"short_side \(300, 200\)"),
        (["--flip", "2"], r"flip_p \(2.0\)"),
        (["--sample", "0"], r"sample \(0\) must be > 0"),
        (["--workers", "-1"], r"workers \(-1\) must be >= 0"),
        (["--batch-size", "0"], r"batch_size \(0\)"),
    ],
)
def test_bad_values_are_refused_by_name(argv: list[str], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_options(["d", *argv])


def test_sample_and_minutes_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_options(["d", "--sample", "3", "--minutes", "1"])
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "folder"),
    [
        (["videos/"], True),
        (["videos/", "--quick"], True),
        (["--sample", "8", "videos/"], True),
        (["--out", "o", "--frames=4", "videos/"], True),
        ([], False),
        (["--quick"], False),
        (["--quick", "--out", "results/"], False),
        (["--classic", "--batch-size", "4"], False),
        (["--help"], False),
    ],
)
def test_which_bench_the_arguments_ask_for(argv: list[str], folder: bool) -> None:
    assert is_folder_command(argv) is folder
