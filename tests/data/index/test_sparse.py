"""A remote MP4/MOV is probed from its boxes and first frames only: the meta equals a full
local probe (timestamps, keyframes from the demuxer's index, pixel format, size), and the
server sends a fraction of the file."""

from __future__ import annotations

import numpy as np
import pytest

from fastvid.data.index import probe_video
from fastvid.data.index._sparse import HEAD, SPARSE_CODECS
from fastvid.testing import make_video
from fastvid.testing.servers import RangeHTTPServer


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("sparse")
    small = {"size": (320, 240), "duration": 3.0, "bitrate": 12_000_000}
    cases = [
        ("h264", ".mp4", small),
        ("h264", ".mov", {**small, "vfr": True}),
        ("hevc", ".mp4", small),
        ("mpeg4", ".mp4", {"size": (640, 480), "duration": 4.0, "bitrate": 6_000_000,
                           "audio": True}),  # MPEG-4 Part 2 needs more pixels for 2 MiB
    ]  # fmt: skip
    names = []
    for i, (codec, ext, options) in enumerate(cases):
        name = f"{codec}_{i}{ext}"
        make_video(root / name, codec=codec, gop=12, seed=i, **options)
        names.append(name)
    with RangeHTTPServer(root) as server:
        yield server, root, names


def test_sparse_probe_equals_the_full_probe_and_reads_a_fraction(served) -> None:
    server, root, names = served
    for name in names:
        local = probe_video(root / name)
        assert local.codec in SPARSE_CODECS
        size = (root / name).stat().st_size
        assert size > 2 * HEAD  # sample data is skipped
        server.reset_counts()
        remote = probe_video(f"{server.url}/{name}")
        for field in local.__dataclass_fields__:
            if field in ("path", "mtime_ns"):
                continue
            mine, theirs = getattr(remote, field), getattr(local, field)
            same = (
                np.array_equal(mine, theirs)
                if field in ("pts", "keyframes", "output_order")
                else mine == theirs
            )
            assert same, (name, field)
        assert len(local.keyframes) >= 4  # keyframes past the real head come from the index
        assert server.bytes_sent < 0.6 * size, (name, server.bytes_sent, size)
