"""``tar://<member>::<archive>``: a member read as a byte range of the archive (local, S3)."""

from __future__ import annotations

import gzip
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fastvid.data.storage import Storage, split_tar_url
from fastvid.data.storage import _tar as tar_module


@pytest.fixture(autouse=True)
def _fresh_scans() -> Iterator[None]:
    tar_module._ARCHIVES.clear()  # every test scans its archives itself
    yield
    tar_module._ARCHIVES.clear()


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    root = tmp_path_factory.mktemp("tar")
    members = {f"{i:04d}.mp4": bytes(range(256)) * 800 + bytes([i]) * i for i in range(6)}
    path = root / "shard.tar"
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members.items():
            (root / name).write_bytes(data)
            tar.add(root / name, arcname=name)
    return path, members


def test_split_tar_url() -> None:
    assert split_tar_url("tar://a/b.mp4::s3://x/s.tar") == ("a/b.mp4", "s3://x/s.tar")
    assert split_tar_url("s3://x/s.tar") is None
    assert split_tar_url("tar://m.mp4::zip://x::s3://y") is None  # left to fsspec


def test_local_members_read_back_exactly(archive: tuple[Path, dict[str, bytes]]) -> None:
    path, members = archive
    storage = Storage()
    for name, data in members.items():
        url = f"tar://{name}::{path}"
        info = storage.stat(url)
        assert info.size == len(data) and "@" in str(info.version)
        with storage.open(url) as handle:
            assert handle.read() == data
            handle.seek(1000)
            assert handle.read(10) == data[1000:1010]
    with pytest.raises(FileNotFoundError, match=r"no member 'nope\.mp4'"):
        storage.stat(f"tar://nope.mp4::{path}")


def test_a_compressed_archive_is_refused(tmp_path: Path, archive: Any) -> None:
    path, _ = archive
    packed = tmp_path / "shard.tar.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    with pytest.raises(ValueError, match="not an uncompressed tar"):
        Storage().stat(f"tar://0000.mp4::{packed}")


def test_s3_member_reads_fetch_the_member_not_the_archive(
    archive: tuple[Path, dict[str, bytes]],
) -> None:
    pytest.importorskip("moto")
    pytest.importorskip("s3fs")
    from fastvid.testing.servers import S3Server

    path, members = archive
    with S3Server() as server:
        base = server.upload(path.parent, "fastvid-tar", "t")
        storage = Storage(server.storage_options)
        url = f"tar://0003.mp4::{base}/shard.tar"
        server.reset_counts()
        with storage.open(url) as handle:
            assert handle.read() == members["0003.mp4"]
        scanned_and_read = server.bytes_sent
        # the header scan reads ~2 small blocks per member (a header, and the byte before it
        # that tarfile checks), then the member's own bytes
        assert scanned_and_read < len(members["0003.mp4"]) + 6 * 2 * 8192 + 65536
        assert scanned_and_read < path.stat().st_size / 2
        server.reset_counts()  # a second member: the archive is not scanned again
        with storage.open(f"tar://0001.mp4::{base}/shard.tar") as handle:
            assert handle.read() == members["0001.mp4"]
        assert server.bytes_sent <= len(members["0001.mp4"]) + 65536


def test_an_index_next_to_the_archive_replaces_the_scan(tmp_path: Path) -> None:
    pytest.importorskip("moto")
    pytest.importorskip("s3fs")
    from fastvid.data.shards import write_shards
    from fastvid.testing import make_dataset
    from fastvid.testing.servers import S3Server

    tree = make_dataset(
        tmp_path / "ds", per_class=3, splits=("train",), size=(64, 48), duration=1.0, fps=10
    )
    summary = write_shards(tree / "train", tmp_path / "shards")
    local = summary.shards[0]
    with tarfile.open(local) as tar:
        members = [m for m in tar.getmembers() if m.name.endswith(".webm")]
    with S3Server() as server:
        base = server.upload(tmp_path / "shards", "fastvid-idx", "s")
        storage = Storage(server.storage_options)
        server.reset_counts()
        for m in members:
            assert storage.stat(f"tar://{m.name}::{base}/shard-000000.tar").size == m.size
        assert server.gets == 1  # the .idx.json, once; no header scan
        with storage.open(f"tar://{members[1].name}::{base}/shard-000000.tar") as handle:
            data = handle.read()
        with open(local, "rb") as raw:
            raw.seek(members[1].offset_data)
            assert data == raw.read(members[1].size)
    # a stale index (the archive changed size) is not trusted: the headers are scanned
    tar_module._ARCHIVES.clear()
    index = Path(f"{local}.idx.json")
    index.write_text(index.read_text().replace('"size":', '"size":1', 1))
    offset, info, _ = tar_module.locate_member(
        members[2].name, local, stat=Storage().stat, open_for_scan=Storage().open
    )
    assert (offset, info.size) == (members[2].offset_data, members[2].size)
