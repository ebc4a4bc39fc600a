"""``download_data``: fetch (or copy) a dataset archive and extract it, once."""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import tempfile
import urllib.parse
import zipfile
from pathlib import Path, PurePosixPath, PureWindowsPath

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


class _Refused(ValueError):
    """A member that must not be extracted; ``_extract`` adds the archive's name."""

    def __init__(self, member: str, reason: str) -> None:
        super().__init__(f"member {member!r} {reason}")


def _parts(name: str) -> tuple[str, ...]:
    """The components of a member name, refusing absolute names, drive letters and ``..``."""
    if name.startswith(("/", "\\")) or PurePosixPath(name).is_absolute():
        raise _Refused(name, "is an absolute path, which would land outside the destination")
    if PureWindowsPath(name).drive:
        raise _Refused(name, "starts with a drive letter, which would land outside the destination")
    parts = PurePosixPath(name).parts
    if ".." in parts:
        raise _Refused(name, "contains '..', which would land outside the destination")
    return parts


def _check_tar_members(members: list[tarfile.TarInfo]) -> None:
    """Refuse any member that could write, or link, outside the destination, judging names only.

    A member may not be absolute or contain ``..``, nor go through a symlink of the archive; a
    symlink's target, followed from the link's folder, must stay inside without going through
    another symlink; a hard link names a member path under the same rules. Special files are
    refused. This runs on every member before anything is written, so member order does not
    matter, and it does not depend on ``os.path.realpath`` (whose quirks defeated tarfile's own
    filter before Python 3.11.13).
    """
    symlinks = {"/".join(PurePosixPath(m.name).parts).casefold() for m in members if m.issym()}

    def through_symlink(parts: tuple[str, ...]) -> str | None:
        for i in range(1, len(parts)):
            if "/".join(parts[:i]).casefold() in symlinks:
                return "/".join(parts[:i])
        return None

    for member in members:
        parts = _parts(member.name)
        link = through_symlink(parts)
        if link is not None:
            raise _Refused(
                member.name, f"goes through the symlink {link!r}, maybe outside the destination"
            )
        if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
            raise _Refused(member.name, "is a device, FIFO or other special file")
        if member.islnk():
            try:
                target = _parts(member.linkname)
            except _Refused:
                raise _Refused(
                    member.name, f"is a hard link to {member.linkname!r}, outside the destination"
                ) from None
            link = through_symlink((*target, ""))
            if link is not None:
                raise _Refused(member.name, f"is a hard link through the symlink {link!r}")
        elif member.issym():
            if not parts:
                raise _Refused(member.name, "is a symlink in place of the destination folder")
            if (
                PurePosixPath(member.linkname).is_absolute()
                or PureWindowsPath(member.linkname).drive
            ):
                raise _Refused(member.name, f"is a symlink to the absolute {member.linkname!r}")
            resolved = list(parts[:-1])
            steps = PurePosixPath(member.linkname).parts
            for i, step in enumerate(steps):
                if step == "..":
                    if not resolved:
                        raise _Refused(
                            member.name,
                            f"is a symlink to {member.linkname!r}, outside the destination",
                        )
                    resolved.pop()
                    continue
                resolved.append(step)
                if i < len(steps) - 1 and "/".join(resolved).casefold() in symlinks:
                    raise _Refused(
                        member.name, "is a symlink whose target goes through another symlink"
                    )


def _extract_tar(archive: Path, staging: Path) -> None:
    with tarfile.open(archive) as tarred:
        members = tarred.getmembers()
        _check_tar_members(members)
        if hasattr(tarfile, "data_filter"):  # Python 3.11.4+, 3.12+
            try:
                tarred.extractall(staging, filter="data")
            except tarfile.FilterError as exc:
                raise _Refused(
                    exc.tarinfo.name, f"was refused by tarfile's 'data' filter: {exc}"
                ) from None
            return
        for member in members:  # what the 'data' filter does that the check above does not
            if member.isfile() or member.isdir():
                member.mode = member.mode & 0o755 | (0o600 if member.isfile() else 0o700)
        tarred.extractall(staging, members=members)


def _extract_zip(archive: Path, staging: Path) -> None:
    root = staging.resolve()
    with zipfile.ZipFile(archive) as zipped:
        for info in zipped.infolist():
            _parts(info.filename)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise _Refused(info.filename, "is a symlink; zip archives may not hold links")
            if not (root / info.filename).resolve().is_relative_to(root):
                raise _Refused(info.filename, "points outside the destination")
        zipped.extractall(staging)


def _move_into(source: Path, dest: Path) -> None:
    """Move the extracted tree ``source`` into ``dest``, merging folders that already exist."""
    for entry in source.iterdir():
        target = dest / entry.name
        if target.is_symlink():
            target.unlink()  # replaced, never written through
        elif target.is_dir() and entry.is_dir() and not entry.is_symlink():
            _move_into(entry, target)
            continue
        os.replace(entry, target)


def _extract(archive: Path, dest: Path, *, source: str, staging: Path) -> None:
    """Extract ``archive`` into the empty folder ``staging``, then move its content into ``dest``.

    A refused archive raises before anything reaches ``dest``; the caller removes ``staging``.
    """
    if zipfile.is_zipfile(archive):
        extract = _extract_zip
    elif tarfile.is_tarfile(archive):
        extract = _extract_tar
    else:
        raise ValueError(
            f"{source} is not a zip or tar archive (.zip, .tar, .tar.gz, .tgz, .tar.bz2, .tar.xz)"
        )
    try:
        extract(archive, staging)
    except _Refused as exc:
        raise ValueError(
            f"refusing to extract {source} into {dest}: {exc}; nothing was extracted"
        ) from None
    _move_into(staging, dest)


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
        ValueError: If the file is not a zip or tar archive, or holds a member that could
            write or link outside ``path`` (absolute, ``..``, a link out or a path through a
            link, a device file); the error names the member, and nothing is extracted.
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
        staging = Path(scratch) / "extracted"
        staging.mkdir()
        _extract(archive, dest, source=source, staging=staging)
    marker.touch()
    return dest
