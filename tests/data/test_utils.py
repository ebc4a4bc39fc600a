"""``download_data``: local and http(s) archives, extracted once, safely."""

from __future__ import annotations

import functools
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from fastvid.data.utils import download_data


def _tree(root: Path) -> Path:
    (root / "ds" / "train" / "a").mkdir(parents=True)
    (root / "ds" / "train" / "a" / "x.mp4").write_bytes(b"fake")
    return root / "ds"


@pytest.mark.parametrize("kind", ["zip", "tar.gz", "tar"])
def test_extracts_a_local_archive(tmp_path: Path, kind: str) -> None:
    source = _tree(tmp_path / "src")
    archive = tmp_path / f"ds.{kind}"
    if kind == "zip":
        with zipfile.ZipFile(archive, "w") as z:
            z.write(source / "train" / "a" / "x.mp4", "ds/train/a/x.mp4")
    else:
        with tarfile.open(archive, "w:gz" if kind == "tar.gz" else "w") as t:
            t.add(source, arcname="ds")
    dest = download_data(archive, tmp_path / "data")
    assert (dest / "ds" / "train" / "a" / "x.mp4").read_bytes() == b"fake"


def test_is_idempotent(tmp_path: Path) -> None:
    source = _tree(tmp_path / "src")
    archive = tmp_path / "ds.tar"
    with tarfile.open(archive, "w") as t:
        t.add(source, arcname="ds")
    dest = download_data(archive, tmp_path / "data")
    extracted = dest / "ds" / "train" / "a" / "x.mp4"
    extracted.write_bytes(b"changed by the user")
    download_data(archive, tmp_path / "data")
    assert extracted.read_bytes() == b"changed by the user"


def test_missing_archive_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nothing\.zip"):
        download_data(tmp_path / "nothing.zip", tmp_path / "data")


def test_not_an_archive(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.zip"
    bogus.write_text("hello")
    with pytest.raises(ValueError, match="not a zip or tar"):
        download_data(bogus, tmp_path / "data")


def test_rejects_paths_escaping_the_destination(tmp_path: Path) -> None:
    archive = tmp_path / "evil.tar"
    payload = tmp_path / "payload.txt"
    payload.write_text("x")
    with tarfile.open(archive, "w") as t:
        t.add(payload, arcname="../escaped.txt")
    with pytest.raises(ValueError, match="outside"):
        download_data(archive, tmp_path / "data")


def test_a_folder_is_returned_as_is(tmp_path: Path) -> None:
    assert download_data(tmp_path) == tmp_path


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """An HTTP server on localhost serving ``tmp_path / "served"``; yields its base URL."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(QuietHandler, directory=str(folder))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
        httpd.shutdown()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_downloads_and_extracts_an_http_archive(tmp_path: Path, server: str) -> None:
    source = _tree(tmp_path / "src")
    with tarfile.open(tmp_path / "served" / "ds.tar.gz", "w:gz") as t:
        t.add(source, arcname="ds")
    dest = download_data(f"{server}/ds.tar.gz", tmp_path / "data")
    assert (dest / "ds" / "train" / "a" / "x.mp4").read_bytes() == b"fake"
    assert sorted(p.name for p in dest.iterdir()) == [".ds.tar.gz.fastvid-extracted", "ds"]
    (tmp_path / "served" / "ds.tar.gz").unlink()
    assert download_data(f"{server}/ds.tar.gz", tmp_path / "data") == dest  # not fetched again


def test_a_failed_download_names_the_url_and_leaves_nothing(tmp_path: Path, server: str) -> None:
    with pytest.raises(OSError, match=rf"cannot download {server}/missing\.zip: HTTP Error 404"):
        download_data(f"{server}/missing.zip", tmp_path / "data")
    assert list((tmp_path / "data").iterdir()) == []
