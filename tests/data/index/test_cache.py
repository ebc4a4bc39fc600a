"""The on-disk probe cache: reuse, incremental updates, damaged and stale files."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from fastvid.data.index import VideoIndex, VideoMeta, _cache, _probe, default_cache_dir, probe_video
from fastvid.data.index._table import COLUMN
from fastvid.testing import make_video


def _count_probes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real: Callable[..., VideoMeta] = _probe.probe_video

    def counting(path: str, **options: bool) -> VideoMeta:
        calls.append(os.path.basename(path))
        return real(path, **options)

    monkeypatch.setattr(_probe, "probe_video", counting)
    return calls


def _build(paths: list[Path], cache_dir: Path, *, fingerprint: bool = False) -> VideoIndex:
    return VideoIndex.build(
        paths, cache_dir=cache_dir, num_workers=0, progress=False, fingerprint=fingerprint
    )


def test_second_build_is_served_from_the_cache(
    dataset: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    first = _build(dataset, cache)
    assert [p.name for p in cache.iterdir()] == [f"{_cache.dataset_key(first.paths)}.npz"]

    def broken(path: str, **options: bool) -> VideoMeta:
        raise AssertionError(f"probed {path} despite the cache")

    monkeypatch.setattr(_probe, "probe_video", broken)
    second = _build(dataset, cache)
    assert not second.errors
    assert list(second) == list(first) == [probe_video(p) for p in dataset]


def test_cache_is_incremental(
    dataset: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    _build(dataset, cache)
    calls = _count_probes(monkeypatch)

    stat = dataset[0].stat()
    os.utime(dataset[0], ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    added = dataset[0].parent / "new.webm"
    shutil.copy(dataset[1], added)
    index = _build([*dataset, added], cache)
    assert sorted(calls) == ["h264.mp4", "new.webm"]
    assert index.meta(dataset[0]).mtime_ns == stat.st_mtime_ns + 1_000_000

    calls.clear()
    added.unlink()
    index = _build(dataset, cache)
    assert calls == [] and len(index) == 3
    (stored,) = cache.iterdir()
    assert sorted(os.path.basename(p) for p in _cache.load_table(stored).paths) == sorted(
        p.name for p in dataset
    )


def test_building_a_subset_of_the_cache_neither_probes_nor_rewrites(
    dataset: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    _build(dataset, cache)
    (stored,) = cache.iterdir()
    written = stored.stat().st_mtime_ns
    calls = _count_probes(monkeypatch)
    subset = [dataset[2], dataset[0]]  # same folder, other order
    index = _build(subset, cache)
    assert calls == [] and stored.stat().st_mtime_ns == written
    assert list(index) == [probe_video(p) for p in subset]


def test_cache_keeps_other_unchanged_entries_of_the_same_folder(
    dataset: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    _build(dataset, cache)
    sub = dataset[0].parent / "sub"
    sub.mkdir()
    shutil.copy(dataset[0], sub / "x.mp4")
    _build([dataset[0], dataset[1], sub / "x.mp4"], cache)  # same root folder, fewer files
    calls = _count_probes(monkeypatch)
    _build(dataset, cache)
    assert calls == []


def _damage_offsets(file: Path) -> None:
    table = _cache.load_table(file)
    table.ints[1, COLUMN["kf_offset"]] = 10**9
    _cache.save_table(table, file)


def _old_version(file: Path) -> None:
    with np.load(file) as data:
        arrays = {name: data[name] for name in data.files}
    arrays["version"] = np.array(0)
    with open(file, "wb") as handle:
        np.savez(handle, **arrays)


CORRUPTIONS: dict[str, Callable[[Path], None]] = {
    "garbage": lambda file: file.write_bytes(b"not an npz file"),
    "truncated": lambda file: file.write_bytes(file.read_bytes()[:200]),
    "bad offsets": _damage_offsets,
    "old version": _old_version,
}


@pytest.mark.parametrize("damage", sorted(CORRUPTIONS))
def test_corrupt_cache_is_ignored_with_a_warning(
    dataset: list[Path], tmp_path: Path, damage: str
) -> None:
    cache = tmp_path / "cache"
    first = _build(dataset, cache)
    (stored,) = cache.iterdir()
    CORRUPTIONS[damage](stored)
    with pytest.warns(RuntimeWarning, match=f"ignoring the unreadable video index cache {stored}"):
        again = _build(dataset, cache)
    assert list(again) == list(first)
    assert [p.name for p in cache.iterdir()] == [stored.name]  # rewritten, no temp files left
    assert list(_cache.load_table(stored).metas()) == list(first)


def test_unwritable_cache_dir_warns_and_still_builds(dataset: list[Path], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.warns(RuntimeWarning, match="could not write the video index cache"):
        index = _build(dataset, blocker / "cache")
    assert len(index) == 3


def test_default_cache_dir_respects_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("FASTVID_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / ".cache" / "fastvid" / "index"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "fastvid" / "index"
    monkeypatch.setenv("FASTVID_CACHE_DIR", str(tmp_path / "fv"))
    assert default_cache_dir() == tmp_path / "fv" / "index"


def test_build_uses_the_default_cache_dir(
    dataset: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FASTVID_CACHE_DIR", str(tmp_path / "fv"))
    VideoIndex.build(dataset, num_workers=0, progress=False)
    assert len(list((tmp_path / "fv" / "index").glob("*.npz"))) == 1


def test_a_cache_of_the_previous_format_is_probed_again(
    dataset: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    _build(dataset, cache)
    (stored,) = cache.iterdir()
    with np.load(stored) as data:  # format 1 had no pixel formats
        arrays = {name: data[name] for name in data.files if name != "pix_fmts"}
    arrays["version"] = np.array(1)
    with open(stored, "wb") as handle:
        np.savez(handle, **arrays)
    calls = _count_probes(monkeypatch)

    expected = f"in cache format 1; this fastvid reads format {_cache.CACHE_VERSION}"
    with pytest.warns(RuntimeWarning, match=expected):
        index = _build(dataset, cache)

    assert sorted(calls) == sorted(p.name for p in dataset)
    assert [meta.pix_fmt for meta in index] == ["yuv420p"] * 3
    assert list(_cache.load_table(stored).metas()) == list(index)


def test_a_cache_of_format_3_without_fingerprints_is_probed_again(
    dataset: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    _build(dataset, cache)
    (stored,) = cache.iterdir()
    with np.load(stored) as data:  # format 3: no fingerprint column
        arrays = {name: data[name] for name in data.files}
    arrays["ints"] = np.ascontiguousarray(arrays["ints"][:, : COLUMN["fingerprint"]])
    names = arrays["columns"].tobytes().decode().split("\0")[:-1]
    arrays["columns"] = np.frombuffer(
        "".join(f"{n}\0" for n in names if n != "fingerprint").encode(), np.uint8
    )
    arrays["version"] = np.array(3)
    with open(stored, "wb") as handle:
        np.savez(handle, **arrays)
    calls = _count_probes(monkeypatch)

    expected = f"in cache format 3; this fastvid reads format {_cache.CACHE_VERSION}"
    with pytest.warns(RuntimeWarning, match=expected):
        index = _build(dataset, cache)

    assert sorted(calls) == sorted(p.name for p in dataset)
    assert list(_cache.load_table(stored).metas()) == list(index)


def _same_size_rewrite(path: Path, tmp_path: Path) -> None:
    """Replace ``path`` by a shorter video padded to the same size, with the old mtime back."""
    before = path.stat()
    shorter = make_video(tmp_path / "shorter.webm", codec="vp9", size=(64, 48), duration=0.5,
                         seed=5)  # fmt: skip
    data = shorter.read_bytes()
    assert len(data) < before.st_size
    path.write_bytes(data + bytes(before.st_size - len(data)))  # Matroska ignores the tail
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def test_a_same_size_same_mtime_rewrite_is_noticed_only_with_fingerprints(
    dataset: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    video = dataset[1]  # vp9.webm, 1 s
    old = _build(dataset, cache).meta(video)
    assert old.fingerprint == 0  # off by default
    calls = _count_probes(monkeypatch)

    # entries cached without a fingerprint are probed again once, then served from the cache
    with_fingerprints = _build(dataset, cache, fingerprint=True)
    assert sorted(calls) == sorted(p.name for p in dataset)
    assert all(meta.fingerprint != 0 for meta in with_fingerprints)
    calls.clear()
    assert list(_build(dataset, cache, fingerprint=True)) == list(with_fingerprints)
    assert calls == []

    _same_size_rewrite(video, tmp_path)
    stale = _build(dataset, cache).meta(video)  # size and mtime match: the old meta is served
    assert calls == [] and stale.num_frames == old.num_frames
    fresh = _build(dataset, cache, fingerprint=True).meta(video)  # the hash does not match
    assert calls == [video.name]
    assert fresh == probe_video(video, fingerprint=True)
    assert fresh.num_frames < old.num_frames and fresh.fingerprint != stale.fingerprint
