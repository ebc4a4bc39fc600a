"""fastvid.data.storage against real loopback servers: stat/version, listing, ranged reads,
faults (5xx, dropped connections, slow answers), credentials hidden, the capped disk cache,
and the bytes one clip costs against the GOP bytes it needs."""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import av
import numpy as np
import pytest

from fastvid.data import storage
from fastvid.data.index import probe_video
from fastvid.reader.decoding.pyav_source import PyAVFrameReader
from fastvid.reader.planning.frames import clip_frame_indices
from fastvid.testing import make_video
from fastvid.testing.servers import RangeHTTPServer


@pytest.fixture(autouse=True)
def _no_faults(http_server):
    yield
    http_server.fail_next(0)
    http_server.drop_next(0)
    http_server.slow(0)


def test_urls_are_normalized_joined_and_redacted(tmp_path: Path) -> None:
    assert storage.normalize("file://" + str(tmp_path)) == str(tmp_path)
    assert storage.normalize("s3://b/k.mp4") == "s3://b/k.mp4"
    assert storage.is_remote("tar://m.mp4::s3://b/shard.tar")
    assert not storage.is_remote(str(tmp_path))
    assert storage.join("s3://b/root", "a/x.mp4") == "s3://b/root/a/x.mp4"
    assert storage.join("s3://b/root", "https://h/x.mp4") == "https://h/x.mp4"
    assert storage.parent("s3://b/root/a/x.mp4") == "s3://b/root/a"
    assert storage.redact("see https://bob:pw@h/x.mp4?sig=abc&v=1") == (
        "see https://***@h/x.mp4?sig=***&v=1"
    )
    options = {"key": "AKIA", "secret": "shh", "client_kwargs": {"endpoint_url": "http://h"}}
    shown = repr(storage.Storage(options))
    assert "shh" not in shown and "AKIA" not in shown and "http://h" in shown
    assert pickle.loads(pickle.dumps(storage.Storage(options))).options == options


def test_stat_lists_and_reads_like_local(s3_server, http_server, remote_tree: Path) -> None:
    local = remote_tree / "a" / "a_1.mp4"
    for url, options in [
        ("s3://fastvid-test/data/a/a_1.mp4", s3_server.storage_options),
        (f"{http_server.url}/data/a/a_1.mp4", None),
    ]:
        info = storage.stat(url, options)
        assert info.size == local.stat().st_size and info.version
        with storage.open_video(url, options) as handle:
            handle.seek(1000)
            assert handle.read(5000) == local.read_bytes()[1000:6000]
            handle.seek(-10, 2)
            assert handle.read() == local.read_bytes()[-10:]
        with pytest.raises(FileNotFoundError, match=r"missing\.mp4"):
            storage.stat(url.replace("a_1.mp4", "missing.mp4"), options)
    found = storage.glob("s3://fastvid-test/data/*/*.webm", s3_server.storage_options)
    assert found == ["s3://fastvid-test/data/b/b_0.webm"]


def test_remote_probe_equals_local_probe(s3_server, remote_tree: Path) -> None:
    url = "s3://fastvid-test/data/b/deeper/b_1.webm"
    remote = probe_video(url, storage_options=s3_server.storage_options)
    local = probe_video(remote_tree / "b" / "deeper" / "b_1.webm")
    assert np.array_equal(remote.pts, local.pts)
    assert np.array_equal(remote.keyframes, local.keyframes)
    assert (remote.codec, remote.size, remote.duration) == (local.codec, local.size, local.duration)
    assert remote.mtime_ns == storage.stat(url, s3_server.storage_options).version_key


def test_5xx_and_dropped_connections_are_retried(http_server, remote_tree: Path) -> None:
    url = f"{http_server.url}/data/a/a_0.mp4"
    expected = (remote_tree / "a" / "a_0.mp4").read_bytes()
    http_server.fail_next(2, status=503)
    with storage.open_video(url, storage.Storage(backoff=0.01)) as handle:
        assert handle.read() == expected
    assert http_server.fail == 0
    http_server.drop_next(1)
    with storage.open_video(url, storage.Storage(backoff=0.01)) as handle:
        assert handle.read() == expected
    assert http_server.drop == 0


def test_persistent_5xx_names_the_url_not_the_password(remote_tree: Path) -> None:
    with RangeHTTPServer(remote_tree.parent, auth=("bob", "hunter2")) as server:
        url = server.url.replace("http://", "http://bob:hunter2@") + "/data/a/a_0.mp4"
        assert storage.stat(url).size > 0  # the credentials work
        server.fail_next(100, status=502)
        with pytest.raises(storage.RemoteReadError) as caught:
            storage.open_video(url, storage.Storage(attempts=3, backoff=0.01)).read(10)
    message = str(caught.value)
    assert "a_0.mp4" in message and "after 3 tries" in message and "502" in message
    assert "hunter2" not in message and "bob" not in message


def test_a_stalled_read_times_out_instead_of_hanging(http_server) -> None:
    url = f"{http_server.url}/data/a/a_0.mp4"
    http_server.slow(5.0)
    quick = storage.Storage(timeout=0.5, attempts=2, backoff=0.01)
    started = time.monotonic()
    with pytest.raises(storage.RemoteReadError, match=r"a_0\.mp4.*after 2 tries"):
        storage.open_video(url, quick).read(10)
    assert time.monotonic() - started < 4.0


def test_disk_cache_serves_repeated_reads_and_keeps_its_cap(http_server, tmp_path: Path) -> None:
    cached = storage.as_storage(None, cache_dir=tmp_path / "blocks", cache_size="300KB")
    cached = storage.Storage(cached.options, 64 << 10, cached.cache_dir, cached.cache_size)
    url = f"{http_server.url}/data/a/a_0.mp4"
    with storage.open_video(url, cached) as handle:
        first = handle.read()
    http_server.reset_counts()
    with storage.open_video(url, cached) as handle:
        assert handle.read() == first
    assert http_server.bytes_sent == 0  # every block came from the disk cache
    for name in ("a/a_1.mp4", "b/b_0.webm", "b/deeper/b_1.webm"):
        with storage.open_video(f"{http_server.url}/data/{name}", cached) as handle:
            handle.read()
    disk = storage.DiskBlockCache(tmp_path / "blocks", 300_000)
    total = sum(len(first) for _ in range(4))
    assert total > 300_000 and disk.size() <= 300_000 * 17 // 16


def test_a_clip_fetches_under_3x_its_gop_bytes(tmp_path: Path) -> None:
    """Bytes served for one clip vs the packets of the GOP(s) it needs, and the file size."""
    path = make_video(
        tmp_path / "v" / "long.mp4", codec="h264", size=(320, 240), duration=8.0, gop=30,
        bitrate=2_000_000,
    )  # fmt: skip
    meta = probe_video(path)
    frames = clip_frame_indices(meta, 4.0, 4.5)
    keyframe = int(meta.keyframes[np.searchsorted(meta.keyframes, frames[0], side="right") - 1])
    with av.open(str(path)) as container:
        packets = [(p.pts, p.size) for p in container.demux(video=0) if p.pts is not None]
    first, last = int(meta.pts[keyframe]), int(meta.pts[frames[-1]])
    gop_bytes = sum(size for pts, size in packets if first <= pts <= last)
    with RangeHTTPServer(tmp_path / "v") as server:
        reader = PyAVFrameReader(storage=storage.Storage())
        url = f"{server.url}/long.mp4"
        server.reset_counts()
        clip = reader.decode_frames(url, frames, pts=meta.pts, keyframes=meta.keyframes)
        reader.close()
        fetched = server.bytes_sent
    local = PyAVFrameReader().decode_frames(path, frames, pts=meta.pts, keyframes=meta.keyframes)
    assert np.array_equal(clip, local)
    size = path.stat().st_size
    print(f"clip bytes {fetched}, GOP bytes {gop_bytes}, file {size}")
    assert fetched < 3 * gop_bytes
    assert fetched < size / 3


def test_local_paths_never_go_through_fsspec(remote_tree: Path) -> None:
    """The local fast path: listing, indexing and decoding local files import no fsspec."""
    import subprocess
    import sys

    script = f"""
import sys
from fastvid.data import layout
from fastvid.data.index import VideoIndex
from fastvid.reader.decoding.pyav_source import PyAVFrameReader
from fastvid.reader.decoding.gop import GopCutter
videos = layout.from_folder({str(remote_tree)!r})
index = VideoIndex.build([v.path for v in videos.videos], cache=False, num_workers=0,
                         progress=False)
meta = index.meta(videos.videos[0].path)
PyAVFrameReader().decode_frames(meta.path, [0, 5], pts=meta.pts, keyframes=meta.keyframes)
GopCutter().cut(meta.path, meta.keyframes[:1].astype("int64"), pts=meta.pts,
                keyframes=meta.keyframes)
assert "fsspec" not in sys.modules, "a local path went through fsspec"
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
