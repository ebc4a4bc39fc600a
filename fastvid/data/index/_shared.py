"""Build an index file once per node: a lock beside it, incremental probing, partial writes.

:func:`build_index_file` is what ``fastvid index`` and DDP ranks without an index run. The
process holding ``FILE.lock`` (``fcntl.flock``, released by the OS if it dies) reads the file,
keeps its entries of unchanged files, probes the others in chunks and rewrites the file every
``checkpoint_seconds`` marked incomplete, then complete. Another process asking for the same
file meanwhile waits on the lock; when it gets it, it finds the file written while it waited
and probes only what is still missing (nothing, unless the builder died). A process that starts
after a check of the whole file (recorded in the lock file) skips checking it again.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from fastvid.data.index import _cache, _pool
from fastvid.data.index._meta import VideoMeta, VideoProbeError
from fastvid.data.index._store import StoredIndex, read_index_file, write_index_file
from fastvid.data.index._table import Table
from fastvid.data.storage import Storage

try:  # POSIX; elsewhere builds are not coordinated between processes
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["build_index_file", "file_lock"]

logger = logging.getLogger("fastvid.data.index")

_CHUNK = 16384  # files probed between checkpoint checks (a process pool is started per chunk)


@contextlib.contextmanager
def file_lock(file: Path) -> Iterator[float]:
    """Hold ``FILE.lock`` exclusively; yields the time the last full check of ``file`` ended
    (0.0 if none was recorded). Says once, in the log, when another process holds it."""
    lock = file.with_name(file.name + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+") as handle:
        if fcntl is not None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                logger.info("waiting for another process building the index %s", file)
                fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            handle.seek(0)
            text = handle.read().strip()
            checked = float(text) if text.replace(".", "", 1).isdigit() else 0.0
            yield checked
        finally:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _mark_checked(file: Path) -> None:
    lock = file.with_name(file.name + ".lock")
    with contextlib.suppress(OSError):
        lock.write_text(f"{time.time():.6f}\n")


def _existing(file: Path) -> StoredIndex | None:
    if not file.exists():
        return None
    try:
        return read_index_file(file)
    except (OSError, ValueError) as err:
        warnings.warn(f"rebuilding the index file {file}: {err}", RuntimeWarning, stacklevel=4)
        return None


def build_index_file(
    paths: list[str],
    file: Path,
    *,
    workers: int,
    progress: bool,
    fingerprint: bool,
    storage: Storage | None,
    root: str,
    checkpoint_seconds: float,
    keep_others: bool = False,
) -> None:
    """Write ``file`` as the index of ``paths`` (normalized, unique), probing only what it
    lacks; see the module docstring. Never raises for a bad video (it lands in the errors).
    With ``keep_others``, the file's entries of other files stay in it (unchecked)."""
    asked = time.time()
    with file_lock(file) as checked:
        old = _existing(file)
        if keep_others and old is not None:
            asked_for = set(paths)
            paths = paths + [p for p in old.table.paths if p not in asked_for]
        keep: dict[str, int] = {}
        old_errors: dict[str, VideoProbeError] = {}
        if old is not None:
            rows = old.table.rows_of(paths)
            known = [(p, int(r)) for p, r in zip(paths, rows.tolist(), strict=True) if r >= 0]
            if old.complete and checked >= asked:  # checked whole while this process waited
                keep = dict(known)
            else:
                same = _cache.unchanged_many(
                    [p for p, _ in known],
                    [old.table.ints[r] for _, r in known],
                    storage,
                    fingerprint=fingerprint,
                )
                keep = {p: r for (p, r), ok in zip(known, same, strict=True) if ok}
            old_errors = {p: e for p, e in old.errors.items() if p not in keep}
        waited_for = checked >= asked and old is not None and old.complete
        to_probe = [p for p in paths if p not in keep and not (waited_for and p in old_errors)]
        wanted, again = set(paths), set(to_probe)
        errors = {p: e for p, e in old_errors.items() if p in wanted and p not in again}
        probed = _probe_with_checkpoints(
            to_probe,
            file,
            old,
            keep,
            errors,
            workers=workers,
            progress=progress,
            fingerprint=fingerprint,
            storage=storage,
            root=root,
            checkpoint_seconds=checkpoint_seconds,
        )
        unchanged = old is not None and old.complete and not probed and len(keep) == len(old.table)
        if not unchanged or set(old.errors) != set(errors):  # type: ignore[union-attr]
            table = _assemble(paths, old, keep, probed)
            write_index_file(table, file, errors=errors, complete=True, root=root)
        _mark_checked(file)
    if errors:
        first = next(iter(errors.values()))
        logger.warning(
            "could not read %d of %d videos (they are listed in %s); first: %s: %s",
            len(errors),
            len(paths),
            file,
            first.path,
            first.reason,
        )


def _probe_with_checkpoints(
    to_probe: list[str],
    file: Path,
    old: StoredIndex | None,
    keep: dict[str, int],
    errors: dict[str, VideoProbeError],
    *,
    workers: int,
    progress: bool,
    fingerprint: bool,
    storage: Storage | None,
    root: str,
    checkpoint_seconds: float,
) -> dict[str, VideoMeta]:
    """Probe ``to_probe`` in chunks (errors go into ``errors``), writing ``file`` partially
    every ``checkpoint_seconds``; the metas of the files probed."""
    probed: dict[str, VideoMeta] = {}
    last = time.monotonic()
    show = progress and sys.stderr.isatty()
    with tqdm(total=len(to_probe), desc="indexing videos", unit="video", disable=not show) as bar:
        for start in range(0, len(to_probe), _CHUNK):
            chunk = to_probe[start : start + _CHUNK]
            metas, failed = _pool.probe_all(
                chunk,
                workers=workers,
                progress=False,
                storage=storage,
                fingerprint=fingerprint,
                bar=bar,  # advanced per file
            )
            probed.update(metas)
            errors.update(failed)
            done = start + len(chunk) >= len(to_probe)
            if not done and time.monotonic() - last >= checkpoint_seconds:
                partial = _assemble(list(keep) + list(probed), old, keep, probed)
                write_index_file(partial, file, errors=errors, complete=False, root=root)
                last = time.monotonic()
    return probed


def _assemble(
    paths: list[str], old: StoredIndex | None, keep: dict[str, int], probed: dict[str, VideoMeta]
) -> Table:
    """The table of ``paths`` in order (failed ones left out): kept rows of ``old``, then new
    probes, reordered."""
    new = Table.from_metas(probed[p] for p in paths if p in probed)
    if old is None or not keep:
        return new
    kept = old.table.select(np.fromiter(keep.values(), np.int64, len(keep)))
    both = Table.concat(kept, new) if len(new) else kept
    position = both.rows
    order = [position[p] for p in paths if p in position]
    if order == list(range(len(both))):
        return both
    return both.select(order)
