"""Compact storage: exact round trips of any timestamps, select/concat, memory per video."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fastvid.data.index import VideoIndex, VideoMeta, _cache
from fastvid.data.index._table import Table


def _synthetic(path: str, pts: np.ndarray, keyframes: list[int], **fields: object) -> VideoMeta:
    values: dict[str, object] = {
        "path": path,
        "size": 1000,
        "mtime_ns": 1_700_000_000_123_456_789,
        "codec": "h264",
        "width": 320,
        "height": 240,
        "rotation": 0,
        "time_base": Fraction(1, 15360),
        "start_pts": int(pts[0]) if len(pts) else 0,
        "pts": pts.astype(np.int64),
        "keyframes": np.asarray(keyframes, np.int32),
        "avg_fps": 29.97,
        "num_frames": len(pts),
        "duration": Fraction(10),
        "has_audio": False,
        "pix_fmt": "yuv420p",
    }
    values.update(fields)
    return VideoMeta(**values)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    first=st.integers(-(2**40), 2**40),
    steps=st.lists(st.integers(0, 2**33), min_size=0, max_size=40),
)
def test_compact_storage_round_trips_any_sorted_pts(first: int, steps: list[int]) -> None:
    pts = first + np.concatenate([[0], np.cumsum(steps, dtype=np.int64)])
    meta = _synthetic(
        "/v.mp4",
        pts,
        [0],
        duration=None,
        rotation=270,
        codec="vp9",
        pix_fmt="yuv420p10le",
        has_audio=True,
        duration_with_audio=Fraction(7, 3),
    )
    assert VideoIndex.from_metas([meta]).meta("/v.mp4") == meta


def _mixed_metas(count: int, seed: int) -> list[VideoMeta]:
    rng = np.random.default_rng(seed)
    metas = []
    for i in range(count):
        frames = int(rng.integers(1, 30))
        scale = [1, 30, 600, 2**20, 2**40][i % 5]  # constant, uint8 ... uint64 deltas
        steps = rng.integers(0, scale + 1, frames - 1) if i % 5 else np.full(frames - 1, 7)
        pts = np.concatenate([[int(rng.integers(-99, 99))], steps]).cumsum()
        keys = sorted(set(rng.integers(0, frames, int(rng.integers(0, 4))).tolist()))
        codec = ["h264", "vp9", "mjpeg"][int(rng.integers(0, 3))]
        pix_fmt = ["yuv420p", "yuvj420p", "yuv444p", ""][int(rng.integers(0, 4))]
        path = f"/d/{seed}/{i}.mp4"
        metas.append(_synthetic(path, pts, keys, codec=codec, pix_fmt=pix_fmt))
    return metas


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), data=st.data())
def test_select_and_concat_keep_every_field(seed: int, data: st.DataObject) -> None:
    first, second = _mixed_metas(12, seed), _mixed_metas(7, seed + 1)
    table = Table.from_metas(first)
    rows = data.draw(st.lists(st.integers(0, len(first) - 1), max_size=12, unique=True))
    selected = table.select(rows)
    assert list(selected.metas()) == [first[row] for row in rows]
    joined = Table.concat(selected, Table.from_metas(second))
    assert list(joined.metas()) == [first[row] for row in rows] + second


def test_compact_storage_memory_per_video(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    metas = []
    for i in range(2000):
        jitter = rng.integers(-3, 4, 300) if i % 2 else np.zeros(300, np.int64)
        pts = np.sort(np.arange(300) * 512 + jitter)  # 10 s at 30 fps, half of them VFR
        metas.append(_synthetic(f"/data/class_{i % 400:03d}/video_{i:06d}.mp4", pts, [0, 250]))
    index = VideoIndex.from_metas(metas)
    assert list(index) == metas
    per_video = index.nbytes() / len(index)
    assert per_video < 1000, f"{per_video:.0f} B per video; 100k videos must fit in 200 MB"

    cache_file = tmp_path / "t.npz"
    _cache.save_table(index._table, cache_file)
    assert list(VideoIndex(_cache.load_table(cache_file))) == metas


def test_an_unknown_pixel_format_survives_the_cache(tmp_path: Path) -> None:
    metas = [
        _synthetic("/a.mp4", np.arange(3), [0], pix_fmt=""),
        _synthetic("/b.mp4", np.arange(3), [0], pix_fmt=""),
    ]
    table = Table.from_metas(metas)
    assert table.pix_fmts == [""]
    _cache.save_table(table, tmp_path / "t.npz")
    assert list(_cache.load_table(tmp_path / "t.npz").metas()) == metas


def test_meta_without_pix_fmt_defaults_to_unknown() -> None:
    fields = {
        name: value
        for name, value in vars(_synthetic("/a.mp4", np.arange(3), [0])).items()
        if name != "pix_fmt"
    }
    assert VideoMeta(**fields).pix_fmt == ""
