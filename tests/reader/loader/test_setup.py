"""The loader's set-up: the index it builds (cache, fingerprints) and the videos it leaves out."""

from __future__ import annotations

import os
from pathlib import Path

from fastvid.data.samplers import make_clip_sampler
from fastvid.reader.loader.clip_loader import ClipLoader
from fastvid.testing import make_video


def _clips(path: Path, cache: Path, **options: bool) -> int:
    loader = ClipLoader(
        [(str(path), 0)],
        clip_sampler=make_clip_sampler("uniform", 0.25),
        device="cpu",
        cache_dir=cache,
        progress=False,
        **options,
    )
    try:
        return len(loader.plan(0))
    finally:
        loader.close()


def test_index_fingerprint_re_probes_a_file_rewritten_with_the_same_size_and_mtime(
    tmp_path: Path,
) -> None:
    video = make_video(tmp_path / "a.webm", codec="vp9", size=(64, 48), duration=1.0, seed=1)
    cache = tmp_path / "cache"
    old = _clips(video, cache, index_fingerprint=True)
    before = video.stat()
    shorter = make_video(tmp_path / "b.webm", codec="vp9", size=(64, 48), duration=0.5, seed=2)
    data = shorter.read_bytes()
    video.write_bytes(data + bytes(before.st_size - len(data)))  # same size; Matroska ignores it
    os.utime(video, ns=(before.st_atime_ns, before.st_mtime_ns))  # same mtime

    new = _clips(video, tmp_path / "empty_cache")
    assert new < old
    assert _clips(video, cache) == old  # size and mtime match: the cached probe is used
    assert _clips(video, cache, index_fingerprint=True) == new  # the hash differs: re-probed
