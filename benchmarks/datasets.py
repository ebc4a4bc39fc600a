"""Benchmark videos: generated once under ``bench_data/``, reused by later runs.

Every video is a panning textured scene with sensor noise (``fastvid.testing.make_video``,
``content="textured"``), 30 fps, 10 s by default, at bit rates like real footage (about 0.5 /
2.3 / 5 Mbit/s for 360p / 720p / 1080p H.264). Flat synthetic frames decode about 3x faster and
would flatten every ratio, so they are never used.

H.264 files come straight from ``make_video`` (libx264). ``gop=None`` keeps x264's default GOP
(a keyframe every 250 frames at most, like Kinetics-style re-encodes); ``gop=60`` gives 2 s
GOPs. VP9 files are the same scenes transcoded from the H.264 files of the same GOP setting with
libvpx-vp9 in real-time mode. The encoders themselves are in :mod:`benchmarks.footage`; this
module holds the dataset specs and decides which files to write, where, and when to reuse them.

A folder holds one (codec, size, fps, duration, GOP, bit rate, seed) combination, and its name
spells every one of them, so datasets of other durations or GOPs never mix; ``dataset.json``
records the spec and each file's size and stream statistics, updated as each file is written
(an interrupted generation keeps what it finished). A file is reused while it is still there
with the recorded size; missing ones are generated (video ``i`` depends only on ``seed + i``, so
datasets with fewer videos share the files of larger ones). A lock file serialises generation
of one folder between processes (a second run waits, then reuses the files).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from benchmarks.footage import (
    file_stats,
    make_h264,
    make_tiny,
    make_xvid_avi,
    transcode_mpeg4_avi,
    transcode_vp9,
)

__all__ = [
    "DEFAULT_DATA_DIR",
    "Dataset",
    "DatasetSpec",
    "ensure_dataset",
    "ensure_datasets",
    "ensure_scaling_videos",
]

Codec = Literal["h264", "vp9", "mpeg4", "xvid"]

DEFAULT_DATA_DIR = Path("bench_data")
_MANIFEST = "dataset.json"
_LOCK = ".lock"
_FORMAT_VERSION = 2
_NUM_CLASSES = 4
#: x264's default maximum keyframe interval (``gop=None``); VP9 transcodes of such files use it.
X264_DEFAULT_KEYINT = 250
_IN_PROCESS_PIXELS = 320 * 240  # up to this frame size, generate in this process (no pool)

_EXTENSIONS: dict[str, str] = {"h264": ".mp4", "vp9": ".webm", "mpeg4": ".avi", "xvid": ".avi"}


@dataclass(frozen=True)
class DatasetSpec:
    """One benchmark dataset: ``num_videos`` videos of one codec, resolution and GOP.

    Attributes:
        codec: ``"h264"``, ``"vp9"``, ``"mpeg4"`` (MPEG-4 Part 2 in AVI, with B-frames,
            transcoded from the H.264 set) or ``"xvid"`` (UCF101's format, written directly:
            packed-bitstream B-frames in AVI with an MP3 track, see
            :func:`benchmarks.footage.make_xvid_avi`).
        width: Frame width in pixels.
        height: Frame height in pixels.
        num_videos: Number of videos (each a different seeded scene).
        duration: Seconds per video. Default: 10.
        fps: Frame rate. Default: 30.
        bitrate: Target bit rate in bit/s; ``None`` uses ``make_video``'s default for H.264 and
            ``benchmarks.footage.VP9_BITS_PER_PIXEL`` for VP9. Default: ``None``.
        seed: Seed of the first video (video ``i`` uses ``seed + i``). Default: 0.
        gop: Keyframe interval in frames; ``None`` keeps x264's default (at most 250 frames;
            VP9 and MPEG-4 transcodes of those use a keyframe interval of 250). Default:
            ``None``.
        label: The dataset's name when it stands for a public dataset (``"ucf101-like"``);
            empty: ``"<height>p-<codec>-gop<keyint>"``. Not part of the folder name (the files
            do not depend on it). Default: ``""``.
    """

    codec: Codec
    width: int
    height: int
    num_videos: int
    duration: float = 10.0
    fps: int = 30
    bitrate: int | None = None
    seed: int = 0
    gop: int | None = None
    label: str = ""

    def __post_init__(self) -> None:
        if self.codec not in _EXTENSIONS:
            raise ValueError(f"codec ({self.codec!r}) must be one of {sorted(_EXTENSIONS)}")
        if self.num_videos < 1:
            raise ValueError(f"num_videos ({self.num_videos}) must be >= 1")
        if self.gop is not None and self.gop < 1:
            raise ValueError(f"gop ({self.gop}) must be >= 1 or None")
        if self.duration <= 0:
            raise ValueError(f"duration ({self.duration}) must be > 0")

    @property
    def keyint(self) -> int:
        """The maximum keyframe interval in frames (``gop``, or x264's default 250)."""
        return X264_DEFAULT_KEYINT if self.gop is None else self.gop

    @property
    def name(self) -> str:
        """Short label, e.g. ``"720p-h264-gop250"`` (or ``label``, e.g. ``"ucf101-like"``)."""
        if self.label:
            return self.label
        return f"{self.height}p-{self.codec}-gop{self.keyint}"

    @property
    def folder_name(self) -> str:
        """Folder under the data directory; encodes every parameter but ``num_videos``.

        Video ``i`` depends only on ``seed + i``, so a smaller dataset reuses the first videos of
        a larger one (``--quick`` reuses the default run's files) and a larger one adds to them.
        """
        rate = "auto" if self.bitrate is None else str(self.bitrate)
        gop = "default" if self.gop is None else str(self.gop)
        return (
            f"{self.codec}_{self.width}x{self.height}_{self.fps}fps_{self.duration:g}s_"
            f"gop{gop}_seed{self.seed}_br{rate}"
        )

    def h264_source(self) -> DatasetSpec:
        """The H.264 dataset a VP9 or MPEG-4 dataset is transcoded from (same scenes, same GOP;
        an odd width is rounded up to the even one ``make_video`` writes, then scaled down)."""
        width = self.width + self.width % 2
        return replace(self, codec="h264", bitrate=None, width=width, label="")


@dataclass
class Dataset:
    """A generated dataset, ready to benchmark.

    Attributes:
        spec: What was asked for.
        folder: Where the files are.
        paths: The video files, in label order.
        labels: One integer class per video.
        mbit_per_s: Mean measured bit rate (file size * 8 / duration).
        keyframe_interval: Mean distance between keyframes, in frames (the whole video when it
            has one keyframe).
        generate_s: Seconds spent generating in this run (0 when reused).
    """

    spec: DatasetSpec
    folder: Path
    paths: list[str]
    labels: list[int]
    mbit_per_s: float
    keyframe_interval: float
    generate_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pairs(self) -> list[tuple[str, int]]:
        """``(path, label)`` pairs."""
        return list(zip(self.paths, self.labels, strict=True))

    def describe(self) -> dict[str, Any]:
        """JSON-ready description for ``results.json``."""
        return {
            "name": self.spec.name,
            **asdict(self.spec),
            "folder": str(self.folder),
            "mbit_per_s": round(self.mbit_per_s, 3),
            "keyframe_interval_frames": round(self.keyframe_interval, 1),
            "generate_s": round(self.generate_s, 2),
            **self.extra,
        }


# --------------------------------------------------------------------------- cache and generation


def _folder_key(spec: DatasetSpec) -> dict[str, Any]:
    key = asdict(spec)
    del key["num_videos"], key["label"]
    return key


def _load_manifest(folder: Path, spec: DatasetSpec) -> dict[str, dict[str, Any]]:
    """``{file name: {"size", "stats"}}`` of the files in ``folder`` still as recorded."""
    try:
        manifest = json.loads((folder / _MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    if manifest.get("version") != _FORMAT_VERSION or manifest.get("spec") != _folder_key(spec):
        return {}
    valid = {}
    for name, entry in manifest["files"].items():
        file = folder / name
        if file.is_file() and file.stat().st_size == entry["size"]:
            valid[name] = entry
    return valid


def _write_manifest(folder: Path, spec: DatasetSpec, files: dict[str, dict[str, Any]]) -> None:
    manifest = {
        "version": _FORMAT_VERSION,
        "spec": _folder_key(spec),
        "generator": "benchmarks.datasets (fastvid.testing.make_video, content='textured')",
        "files": dict(sorted(files.items())),
    }
    tmp = folder / f"{_MANIFEST}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(manifest, indent=1))
    os.replace(tmp, folder / _MANIFEST)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold ``folder``'s generation lock (another process generating it makes this wait)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / _LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _pool(workers: int) -> ProcessPoolExecutor:
    import multiprocessing

    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


def ensure_dataset(
    spec: DatasetSpec,
    data_dir: str | os.PathLike[str] = DEFAULT_DATA_DIR,
    *,
    workers: int | None = None,
    log: Any = print,
) -> Dataset:
    """Return the dataset for ``spec``, generating the files the first time.

    Args:
        spec: What to generate.
        data_dir: Root folder of all benchmark data. Default: ``bench_data``.
        workers: Processes that encode in parallel. Default: all cores.
        log: ``print``-like function for progress messages. Default: ``print``.

    Returns:
        The dataset, with its measured bit rate and keyframe interval.
    """
    folder = Path(data_dir) / spec.folder_name
    names = [f"v{i:03d}{_EXTENSIONS[spec.codec]}" for i in range(spec.num_videos)]
    paths = [str(folder / name) for name in names]
    started = time.perf_counter()
    known = _load_manifest(folder, spec)
    missing = [i for i, name in enumerate(names) if name not in known]
    if missing:
        with _locked(folder):
            known = _load_manifest(folder, spec)  # another process may have made them meanwhile
            missing = [i for i, name in enumerate(names) if name not in known]
            if missing:
                _generate(spec, data_dir, folder, paths, missing, known, workers, log)
    generate_s = time.perf_counter() - started if missing else 0.0
    stats = [known[name]["stats"] for name in names]
    sizes = [known[name]["size"] for name in names]
    rates = [size * 8 / max(s[0], 1e-9) / 1e6 for size, s in zip(sizes, stats, strict=True)]
    intervals = [s[1] / max(s[2], 1) for s in stats]
    return Dataset(
        spec,
        folder,
        paths,
        [i % _NUM_CLASSES for i in range(spec.num_videos)],
        float(np.mean(rates)),
        float(np.mean(intervals)),
        generate_s,
    )


def _generate(
    spec: DatasetSpec,
    data_dir: str | os.PathLike[str],
    folder: Path,
    paths: list[str],
    missing: list[int],
    known: dict[str, dict[str, Any]],
    workers: int | None,
    log: Any,
) -> None:
    """Write the ``missing`` videos, recording each in the manifest as it is finished."""
    cores = os.cpu_count() or 1
    workers = max(1, min(workers or cores, len(missing)))
    # Small videos encode faster than new interpreters import fastvid and PyAV.
    in_process = workers == 1 or spec.width * spec.height <= _IN_PROCESS_PIXELS
    workers = 1 if in_process else workers
    how = "in this process" if in_process else f"{workers} processes"
    log(
        f"[data] generating {len(missing)} of {spec.num_videos} {spec.name} videos "
        f"({spec.duration:g} s, {spec.width}x{spec.height}) into {folder} ({how})"
    )
    sources: list[str] = []
    if spec.codec not in (
        "h264",
        "xvid",
    ):  # before the pool: the H.264 dataset may need its own pool
        source = ensure_dataset(spec.h264_source(), data_dir, workers=workers, log=log)
        sources = source.paths
    threads = max(1, cores // workers)

    def job(i: int) -> tuple[Any, tuple[Any, ...]]:
        if spec.codec == "h264":
            return make_h264, (paths[i], spec, spec.seed + i)
        if spec.codec == "xvid":
            return make_xvid_avi, (paths[i], spec, spec.seed + i)
        if spec.codec == "mpeg4":
            return transcode_mpeg4_avi, (sources[i], paths[i], spec)
        return transcode_vp9, (sources[i], paths[i], spec, threads)

    def record(done: int, path: str) -> None:
        known[os.path.basename(path)] = {"size": os.path.getsize(path), "stats": file_stats(path)}
        _write_manifest(folder, spec, known)
        if done % 16 == 0 and done < len(missing):
            log(f"[data] {spec.name}: {done} of {len(missing)} written")

    if in_process:
        for done, i in enumerate(missing, 1):
            function, args = job(i)
            record(done, function(*args))
        return
    with _pool(workers) as pool:
        futures = [pool.submit(function, *args) for function, args in map(job, missing)]
        for done, future in enumerate(as_completed(futures), 1):
            record(done, future.result())


def ensure_datasets(
    specs: Sequence[DatasetSpec],
    data_dir: str | os.PathLike[str] = DEFAULT_DATA_DIR,
    *,
    workers: int | None = None,
    log: Any = print,
) -> list[Dataset]:
    """:func:`ensure_dataset` for each spec, in order (what ``--generate-only`` runs)."""
    return [ensure_dataset(spec, data_dir, workers=workers, log=log) for spec in specs]


def ensure_scaling_videos(
    count: int,
    data_dir: str | os.PathLike[str] = DEFAULT_DATA_DIR,
    *,
    unique: int = 100,
    log: Any = print,
) -> list[str]:
    """``count`` small videos (64x48, 1 s, H.264) for the scaling run.

    ``unique`` distinct videos are encoded; the rest are hard links to them (distinct paths,
    so each is indexed and opened on its own, at no extra disk space).

    Args:
        count: How many video paths to return.
        data_dir: Root folder of all benchmark data. Default: ``bench_data``.
        unique: How many different videos to encode. Default: 100.
        log: ``print``-like function for progress messages. Default: ``print``.

    Returns:
        ``count`` paths.
    """
    if count < 1:
        raise ValueError(f"count ({count}) must be >= 1")
    folder = Path(data_dir) / "scaling_64x48_1s_h264"
    sources = folder / "unique"
    sources.mkdir(parents=True, exist_ok=True)
    unique = min(unique, count)
    originals = [str(sources / f"u{i:04d}.mp4") for i in range(unique)]
    missing = [(p, i) for i, p in enumerate(originals) if not os.path.exists(p)]
    if missing:
        log(f"[data] encoding {len(missing)} small scaling videos into {sources}")
        with _pool(os.cpu_count() or 1) as pool:
            list(pool.map(make_tiny, [p for p, _ in missing], [i for _, i in missing]))
    links = folder / "videos"
    links.mkdir(exist_ok=True)
    paths = []
    for i in range(count):
        link = links / f"v{i:05d}.mp4"
        if not link.exists():
            os.link(originals[i % unique], link)
        paths.append(str(link))
    return paths


def describe_datasets(datasets: Sequence[Dataset]) -> list[dict[str, Any]]:
    """JSON-ready descriptions of several datasets."""
    return [d.describe() for d in datasets]
