"""The probe cache keys remote objects by (URL, size, ETag): a second build probes nothing, a
replaced object (new ETag) is probed again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fastvid.data.index import VideoIndex, _probe
from fastvid.data.storage import stat
from fastvid.testing import make_video


def test_remote_cache_hits_and_replaced_objects(s3_server, tmp_path: Path, monkeypatch) -> None:
    options = s3_server.storage_options
    client = s3_server.client()
    client.create_bucket(Bucket="cache-test")
    short = make_video(tmp_path / "short.mp4", codec="h264", size=(64, 48), duration=1.0)
    longer = make_video(tmp_path / "long.mp4", codec="h264", size=(64, 48), duration=2.0)
    client.upload_file(str(short), "cache-test", "v/clip.mp4")
    url = "s3://cache-test/v/clip.mp4"
    calls: list[str] = []
    real = _probe.probe_video

    def counting(path: Any, **kwargs: Any) -> Any:
        calls.append(str(path))
        return real(path, **kwargs)

    monkeypatch.setattr(_probe, "probe_video", counting)

    def build() -> VideoIndex:
        return VideoIndex.build(
            [url], cache_dir=tmp_path / "cache", num_workers=0, progress=False,
            storage_options=options,
        )  # fmt: skip

    first = build()
    assert calls == [url] and first.meta(url).num_frames == 30
    assert first.meta(url).mtime_ns == stat(url, options).version_key
    assert build().meta(url) == first.meta(url) and calls == [url]  # a cache hit

    client.upload_file(str(longer), "cache-test", "v/clip.mp4")  # a new ETag
    third = build()
    assert calls == [url, url] and third.meta(url).num_frames == 60


def test_remote_paths_are_not_made_absolute() -> None:
    from fastvid.data import storage

    assert storage.normalize("s3://b/a.mp4") == "s3://b/a.mp4"
    with pytest.raises(TypeError, match="storage_options must be a dict"):
        storage.as_storage(["not", "a", "dict"])  # type: ignore[arg-type]
