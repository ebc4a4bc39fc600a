"""``download_data``: fetch (or copy) a dataset archive and extract it, once."""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import urllib.parse
import zipfile
from pathlib import Path

__all__ = ["download_data"]

_MARKER_SUFFIX = ".fastvid-extracted"


def _is_url(source: str) -> bool:
    return urllib.parse.urlparse(source).scheme in ("http", "https")


def _fetch(url: str, destination: Path, *, verbose: bool) -> None:
    # torch.hub writes to a temporary file next to `destination` and renames it when complete.
    from torch.hub import download_url_to_file

    try:
        download_url_to_file(url, str(destination), progress=verbose)
    except OSError as exc:  # urllib's URLError and HTTPError are OSErrors
        raise OSError(
            f"cannot download {url}: {exc}. Check the address and your network, or download "
            f"the archive yourself and pass its local path"
        ) from exc


def _safe_members(archive: tarfile.TarFile, root: Path) -> list[tarfile.TarInfo]:
    members = []
    for member in archive.getmembers():
        target = (root / member.name).resolve()
        if not str(target).startswith(str(root.resolve())):
            raise ValueError(f"refusing to extract {member.name!r}: it points outside {root}")
        members.append(member)
    return members


def _extract(archive: Path, dest: Path) -> None:
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zipped:
            for name in zipped.namelist():
                target = (dest / name).resolve()
                if not str(target).startswith(str(dest.resolve())):
                    raise ValueError(f"refusing to extract {name!r}: it points outside {dest}")
            zipped.extractall(dest)
        return
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tarred:
            tarred.extractall(dest, members=_safe_members(tarred, dest))
        return
    raise ValueError(
        f"{archive} is not a zip or tar archive (.zip, .tar, .tar.gz, .tgz, .tar.bz2, .tar.xz)"
    )


def download_data(
    url: str | os.PathLike[str], path: str | os.PathLike[str] = "data/", verbose: bool = False
) -> Path:
    """Download (http/https) or copy a zip/tar archive into ``path`` and extract it there.

    Idempotent: a marker file records a finished extraction, so calling it again (each time
    a script runs) does nothing. A plain folder given as ``url`` is returned as is.

    Args:
        url: An ``http(s)://`` address or a local archive path (or a local folder).
        path: Folder to extract into. Default: ``"data/"`` (Flash's).
        verbose: Show a download progress bar. Default: ``False``.

    Returns:
        The folder the archive was extracted into.

    Raises:
        FileNotFoundError: If a local ``url`` does not exist.
        ValueError: If the file is not a zip or tar archive, or holds paths that escape
            ``path``.
        OSError: If the download fails.
    """
    source = os.fspath(url)
    dest = Path(path)
    if not _is_url(source):
        local = Path(source)
        if local.is_dir():
            return local
        if not local.exists():
            raise FileNotFoundError(
                f"{local} does not exist: pass an http(s) URL or the path of a zip/tar archive"
            )
    name = Path(urllib.parse.urlparse(source).path).name if _is_url(source) else Path(source).name
    marker = dest / f".{name}{_MARKER_SUFFIX}"
    if marker.exists():
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest) as scratch:
        archive = Path(scratch) / name
        if _is_url(source):
            _fetch(source, archive, verbose=verbose)
        else:
            shutil.copyfile(source, archive)
        _extract(archive, dest)
    marker.touch()
    return dest
