"""``download_data``: local and http(s) archives, extracted once, safely."""

from __future__ import annotations

import functools
import io
import os
import re
import stat
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


def _entries(root: Path) -> set[str]:
    """Every path under ``root`` (links included, never followed), relative to ``root``."""
    found = set()
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            found.add(os.path.relpath(os.path.join(folder, name), root))
    return found


def _assert_refused(archive: Path, tmp_path: Path, member: str, reason: str) -> None:
    """``download_data`` names the archive and ``member``, and writes nothing anywhere."""
    before = _entries(tmp_path)
    dest = tmp_path / "data"
    match = (
        rf"refusing to extract {re.escape(str(archive))} into .*data: "
        rf"member {re.escape(repr(member))} {reason}"
    )
    with pytest.raises(ValueError, match=match):
        download_data(archive, dest)
    assert _entries(tmp_path) - before == {"data"}
    assert list(dest.iterdir()) == []


def _tar(archive: Path, *members: tarfile.TarInfo) -> Path:
    with tarfile.open(archive, "w") as t:
        for member in members:
            data = b"pwned" if member.isfile() else b""
            member.size = len(data)
            t.addfile(member, io.BytesIO(data) if member.isfile() else None)
    return archive


def _member(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


def _zip(archive: Path, *names: str) -> Path:
    with zipfile.ZipFile(archive, "w") as z:
        for name in names:
            z.writestr(zipfile.ZipInfo(name), b"pwned")
    return archive


# (member name, expected reason); the sibling case escaped the old ``str.startswith`` check
_ESCAPING_NAMES = [
    ("../evil", "contains '..'"),
    ("../../x", "contains '..'"),
    ("../data2/x", "contains '..'"),  # dest is .../data: resolves to .../data2/x
    ("ok/../../evil", "contains '..'"),
    ("{tmp}/absolute.txt", "is an absolute path"),
    ("C:/evil.txt", "starts with a drive letter"),
]


@pytest.mark.parametrize(("name", "reason"), _ESCAPING_NAMES)
@pytest.mark.parametrize("kind", ["tar", "zip"])
def test_rejects_member_paths_escaping_the_destination(
    tmp_path: Path, kind: str, name: str, reason: str
) -> None:
    name = name.format(tmp=tmp_path)
    archive = tmp_path / f"evil.{kind}"
    if kind == "tar":
        _tar(archive, _member("ok.txt"), _member(name))
    else:
        _zip(archive, "ok.txt", name)
    _assert_refused(archive, tmp_path, name, re.escape(reason))


@pytest.mark.parametrize("target", ["{outside}", "../outside", "ok/../../outside"])
def test_rejects_a_symlink_out_then_a_file_through_it(tmp_path: Path, target: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    target = target.format(outside=outside)
    archive = _tar(
        tmp_path / "evil.tar",
        _member("link", tarfile.SYMTYPE, target),
        _member("link/pwned.txt"),
    )
    _assert_refused(archive, tmp_path, "link", "is a symlink to")
    assert list(outside.iterdir()) == []


def test_rejects_files_written_through_any_symlink(tmp_path: Path) -> None:
    # Links that stay inside are fine, but nothing is extracted through one: chains of such links
    # are how tarfile's own filter was bypassed before Python 3.11.13 (CVE-2025-4517).
    archive = _tar(
        tmp_path / "evil.tar",
        _member("sub", tarfile.DIRTYPE),
        _member("inner", tarfile.SYMTYPE, "sub"),
        _member("inner/pwned.txt"),
    )
    _assert_refused(archive, tmp_path, "inner/pwned.txt", "goes through the symlink 'inner'")


def test_rejects_a_symlink_through_a_symlink_that_climbs(tmp_path: Path) -> None:
    # d/up -> .. is inside, and so is d/esc -> up/.. read lexically; followed, it is outside.
    archive = _tar(
        tmp_path / "evil.tar",
        _member("d", tarfile.DIRTYPE),
        _member("d/esc", tarfile.SYMTYPE, "up/../.."),
        _member("d/up", tarfile.SYMTYPE, ".."),
    )
    _assert_refused(archive, tmp_path, "d/esc", "is a symlink whose target goes through")


@pytest.mark.parametrize("target", ["{secret}", "../secret.txt"])
def test_rejects_a_hard_link_to_an_outside_file(tmp_path: Path, target: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    target = target.format(secret=secret)
    archive = _tar(
        tmp_path / "evil.tar",
        _member("h", tarfile.LNKTYPE, target),
        _member("h"),  # would overwrite the linked file
    )
    _assert_refused(archive, tmp_path, "h", re.escape(f"is a hard link to {target!r}"))
    assert secret.read_text() == "secret"


def test_rejects_device_files(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "evil.tar", _member("null", tarfile.CHRTYPE))
    _assert_refused(archive, tmp_path, "null", "is a device")


def test_rejects_zip_symlink_entries(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    link = zipfile.ZipInfo("link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(link, "../outside")
    _assert_refused(archive, tmp_path, "link", "is a symlink")


def test_keeps_symlinks_that_stay_inside(tmp_path: Path) -> None:
    archive = _tar(
        tmp_path / "ds.tar",
        _member("ds/a/x.mp4"),
        _member("ds/b/x.mp4", tarfile.SYMTYPE, "../a/x.mp4"),
    )
    dest = download_data(archive, tmp_path / "data")
    link = dest / "ds" / "b" / "x.mp4"
    assert link.is_symlink()
    assert link.read_bytes() == b"pwned"


def test_merges_into_an_existing_destination(tmp_path: Path) -> None:
    dest = tmp_path / "data"
    (dest / "ds" / "train").mkdir(parents=True)
    (dest / "ds" / "train" / "mine.txt").write_text("kept")
    download_data(_tar(tmp_path / "one.tar", _member("ds/train/one.txt")), dest)
    download_data(_zip(tmp_path / "two.zip", "ds/val/two.txt"), dest)
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*.txt")) == [
        "ds/train/mine.txt",
        "ds/train/one.txt",
        "ds/val/two.txt",
    ]


def test_without_tarfiles_data_filter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Python < 3.11.4: the member checks alone guard the extraction.
    monkeypatch.delattr(tarfile, "data_filter", raising=False)
    source = _tree(tmp_path / "src")
    with tarfile.open(tmp_path / "ds.tar", "w") as t:
        t.add(source, arcname="ds")
    dest = download_data(tmp_path / "ds.tar", tmp_path / "data")
    assert (dest / "ds" / "train" / "a" / "x.mp4").read_bytes() == b"fake"
    archive = _tar(tmp_path / "evil.tar", _member("link", tarfile.SYMTYPE, "../outside"))
    with pytest.raises(ValueError, match=r"is a symlink to '\.\./outside', outside"):
        download_data(archive, tmp_path / "other")


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
