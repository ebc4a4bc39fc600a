"""``fastvid bench PATH``'s options: flags, a config file (YAML or JSON), and their checks.

A config file holds the same names as the seed config (the fields of
:class:`~fastvid.benchmark.loaders.ClipConfig`: ``clip_sampler``, ``clip_duration``,
``clips_per_video``, ``num_frames``, ``short_side``, ``crop``, ``flip_p``) and the run's
(``sample``, ``minutes``, ``seed``, ``loaders``, ``batch_size``, ``workers``, ``max_clips``)::

    clip_sampler: random
    clip_duration: 2.0
    num_frames: 16
    short_side: [128, 160]
    crop: 112
    sample: 32

A flag given on the command line wins over the file; the file wins over the defaults (the seed
config, 16 files).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from fastvid.benchmark.loaders.workload import SAMPLER_NAMES, SEED, ClipConfig

__all__ = [
    "LOADER_NAMES",
    "FolderBenchOptions",
    "build_parser",
    "is_folder_command",
    "parse_options",
    "read_config_file",
]

# The loaders ``fastvid bench PATH`` compares, in run order: the ones that fork DataLoader
# workers first, fastvid (which starts DALI's threads in this process) last.
LOADER_NAMES = ("pytorchvideo", "torchcodec", "decord", "spdl", "fastvid")
DEFAULT_SAMPLE = 16
DEFAULT_BATCH_SIZE = 4

_CLIP_KEYS = tuple(f.name for f in fields(ClipConfig))
_RUN_KEYS = ("sample", "minutes", "seed", "loaders", "batch_size", "workers", "max_clips")


@dataclass(frozen=True)
class FolderBenchOptions:
    """What one ``fastvid bench PATH`` run measures.

    Attributes:
        path: A class-per-folder tree, a folder of videos (any depth), or a list file.
        out: Folder for ``bench.md``, ``bench.json`` and ``bench.png``.
        clip: The clips and their augmentation (every loader's).
        sample: Files to sample (seeded), or ``None`` with ``minutes``.
        minutes: Sample files until their durations add up to this many minutes, or ``None``.
        seed: Seed of the sample. Same seed, same folder: same files.
        loaders: The loaders asked for (``fastvid`` always runs: its plan is everyone's);
            ``None``: every installed one.
        batch_size: Clips per batch.
        workers: Worker processes of every loader (``DataLoader`` workers of the peers,
            ``ClipLoader`` workers of fastvid); ``None``: all cores for the peers, fastvid's
            own choice.
        max_clips: At most this many clips per pass (whole videos), or ``None``: every clip.
    """

    path: str
    out: Path
    clip: ClipConfig = SEED
    sample: int | None = DEFAULT_SAMPLE
    minutes: float | None = None
    seed: int = 0
    loaders: tuple[str, ...] | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
    workers: int | None = None
    max_clips: int | None = None


def _csv(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _short_side(text: str) -> list[int]:
    try:
        values = [int(v) for v in _csv(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"short side ({text!r}) must be LOW,HIGH or one integer, e.g. 256,320"
        ) from None
    if len(values) not in (1, 2):
        raise argparse.ArgumentTypeError(f"short side ({text!r}) must be LOW,HIGH or one integer")
    return values


def build_parser() -> argparse.ArgumentParser:
    """The ``fastvid bench PATH`` argument parser (every default ``None``: see
    :func:`parse_options` for the order flags, config file and defaults are read in)."""
    parser = argparse.ArgumentParser(
        prog="fastvid bench PATH",
        description="Benchmark fastvid against PyTorchVideo and, where installed, torchcodec, "
        "decord and SPDL on a sample of YOUR videos: the same clips for every loader (fastvid's "
        "plan), one run; writes bench.md, bench.json and bench.png, with the decoder route "
        "fastvid took for each file. `fastvid bench` without PATH runs the source tree's suite.",
    )
    parser.add_argument(
        "path", help="class-per-folder tree, folder of videos (any depth) or a list file"
    )
    parser.add_argument("--config", type=Path, help="YAML or JSON file of these options")
    parser.add_argument("--out", type=Path, help="report folder (default: ./fastvid-bench)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--sample", type=int, help=f"files to sample (default {DEFAULT_SAMPLE})")
    which.add_argument("--minutes", type=float, help="sample files up to this many minutes")
    parser.add_argument("--seed", type=int, help="seed of the sample (default 0)")
    parser.add_argument(
        "--loaders",
        type=_csv,
        help=f"comma-separated, of {','.join(LOADER_NAMES)} (default: every installed one)",
    )
    parser.add_argument(
        "--clip-sampler", dest="clip_sampler", choices=SAMPLER_NAMES, help="default uniform"
    )
    parser.add_argument(
        "--clip-duration", dest="clip_duration", type=float, help="seconds (default 2)"
    )
    parser.add_argument(
        "--clips-per-video",
        dest="clips_per_video",
        type=int,
        help="constant_clips_per_video's clips (default 4)",
    )
    parser.add_argument("--frames", dest="num_frames", type=int, help="per clip (default 8)")
    parser.add_argument(
        "--short-side",
        dest="short_side",
        type=_short_side,
        help="random short side LOW,HIGH (or one size) before the crop (default 256,320)",
    )
    parser.add_argument("--size", dest="crop", type=int, help="square crop side (default 244)")
    parser.add_argument("--flip", dest="flip_p", type=float, help="flip probability (0.5)")
    parser.add_argument("--batch-size", dest="batch_size", type=int, help="default 4")
    parser.add_argument(
        "--workers",
        type=int,
        help="worker processes of every loader (default: all cores; fastvid's own choice)",
    )
    parser.add_argument(
        "--max-clips", dest="max_clips", type=int, help="at most this many clips per pass"
    )
    return parser


# Options the source tree's suite (``benchmarks/cli_args.py``) takes too: they say nothing about
# which of the two ``fastvid bench`` runs.
_SHARED_OPTIONS = frozenset({"-h", "--help", "--out", "--batch-size"})


def is_folder_command(argv: Sequence[str]) -> bool:
    """Whether ``fastvid bench ARGV`` asks for a folder benchmark: PATH comes first, or an
    option only ``fastvid bench PATH`` has is given (``--sample 8 videos/``)."""
    if argv and not argv[0].startswith("-"):
        return True
    ours = {
        option for action in build_parser()._actions for option in action.option_strings
    } - _SHARED_OPTIONS
    return any(token.split("=", 1)[0] in ours for token in argv)


def read_config_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A config file's options (``.json``: JSON; anything else: YAML).

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: If it is not a mapping, or names an option that does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config file {path} does not exist")
    text = path.read_text()
    if path.suffix.lower() == ".json":
        data = json.loads(text)
    else:
        import yaml

        data = yaml.safe_load(text)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"config file {path} must hold a mapping of options, not {type(data)}")
    data = {str(k).replace("-", "_"): v for k, v in data.items()}
    unknown = sorted(set(data) - set(_CLIP_KEYS) - set(_RUN_KEYS))
    if unknown:
        raise ValueError(
            f"config file {path}: unknown option(s) {unknown}; allowed: "
            f"{sorted((*_CLIP_KEYS, *_RUN_KEYS))}"
        )
    return data


def _positive(name: str, value: float | None, *, zero: bool = False) -> None:
    if value is not None and not (value >= 0 if zero else value > 0):
        raise ValueError(f"{name} ({value}) must be {'>= 0' if zero else '> 0'}")


def _loaders(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    names = _csv(value) if isinstance(value, str) else [str(v) for v in value]
    unknown = [n for n in names if n not in LOADER_NAMES]
    if unknown:
        raise ValueError(f"loaders {unknown} are not benchmarked; choose from {list(LOADER_NAMES)}")
    return tuple(dict.fromkeys(names))


def parse_options(argv: Sequence[str]) -> FolderBenchOptions:
    """Parse ``fastvid bench PATH ...``: flags over the config file over the defaults.

    Raises:
        SystemExit: On a malformed command line (argparse's usage message).
        FileNotFoundError: If the config file does not exist.
        ValueError: If an option is out of range or unknown (the message names it).
    """
    args = vars(build_parser().parse_args(list(argv)))
    config_file = args.pop("config")
    given = {k: v for k, v in args.items() if v is not None}
    merged = {**(read_config_file(config_file) if config_file else {}), **given}
    if "sample" in given:  # --sample and --minutes exclude each other, also across the file
        merged.pop("minutes", None)
    elif "minutes" in given:
        merged.pop("sample", None)
    if merged.get("sample") is not None and merged.get("minutes") is not None:
        raise ValueError("give sample or minutes, not both")
    clip_values = {k: merged[k] for k in _CLIP_KEYS if k in merged}
    if "short_side" in clip_values:
        side = [int(v) for v in clip_values["short_side"]]
        clip_values["short_side"] = (side[0], side[-1])
    clip = replace(SEED, **clip_values)
    minutes = merged.get("minutes")
    sample = None if minutes is not None else int(merged.get("sample", DEFAULT_SAMPLE))
    workers = merged.get("workers")
    max_clips = merged.get("max_clips")
    _positive("sample", sample)
    _positive("minutes", minutes)
    _positive("batch_size", merged.get("batch_size", DEFAULT_BATCH_SIZE))
    _positive("workers", workers, zero=True)
    _positive("max_clips", max_clips)
    return FolderBenchOptions(
        path=str(merged["path"]),
        out=Path(merged.get("out") or "fastvid-bench"),
        clip=clip,
        sample=sample,
        minutes=None if minutes is None else float(minutes),
        seed=int(merged.get("seed", 0)),
        loaders=_loaders(merged.get("loaders")),
        batch_size=int(merged.get("batch_size", DEFAULT_BATCH_SIZE)),
        workers=None if workers is None else int(workers),
        max_clips=None if max_clips is None else int(max_clips),
    )
