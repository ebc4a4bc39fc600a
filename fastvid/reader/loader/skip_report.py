"""What the loader left out, and why: the skipped-file report.

:class:`~fastvid.reader.loader.clip_loader.ClipLoader` records every video it could not index and
every clip it could not decode (``SkippedClip`` s, each with the ``kind`` of problem set where it
was found: :data:`fastvid.errors.VideoErrorKind`). A :class:`SkipReport` summarises them for people:
how many clips were skipped, which files, each file's reasons and kinds, and a count per kind of
problem (empty file, not a video, truncated, ...). ``ClipLoader.skip_report()`` builds one;
``ClipLoader(skip_report_path=...)`` writes one as JSON at the end of every epoch.
:class:`fastvid.integrations.lightning.callbacks.SkippedVideosLogger` logs the counts to Lightning's
loggers.

Example::

    loader = ClipLoader(videos, clip_sampler="uniform", skip_report_path="skipped.json")
    for batch in loader:
        ...
    print(loader.skip_report().summary())
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

__all__ = ["FileSkips", "SkipReport"]

PathLike = str | os.PathLike[str]


class _Skipped(Protocol):
    """What a report reads from each entry (``fastvid.reader.loader.clip_loader.SkippedClip``)."""

    @property
    def path(self) -> str: ...

    @property
    def reason(self) -> str: ...

    @property
    def epoch(self) -> int | None: ...

    @property
    def clip_index(self) -> int | None: ...

    @property
    def kind(self) -> str: ...


@dataclass(frozen=True)
class FileSkips:
    """One file's entries in a :class:`SkipReport`.

    Attributes:
        clips: Entries recorded for the file (one per skipped clip per epoch; a file left out
            of the index counts once).
        reasons: Its distinct reasons, in the order first seen.
        epochs: The epochs it was skipped in (``None``: left out when indexing).
        kinds: Its distinct kinds of problem, in the order first seen.
    """

    clips: int
    reasons: tuple[str, ...]
    epochs: tuple[int | None, ...]
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class SkipReport:
    """A summary of the clips and videos a loader skipped.

    Build one with :meth:`from_skipped` (or ``ClipLoader.skip_report()``).

    Attributes:
        count: Number of entries: skipped clips, plus one per file that could not be indexed.
        files: Per file (in the order first skipped): its :class:`FileSkips`.
        by_kind: Entries per kind of problem (:data:`fastvid.errors.VideoErrorKind`), most
            frequent first.
        by_epoch: Skipped clips per epoch (entries recorded while indexing have no epoch and
            are not counted here).
        epoch: The epoch the report was written after, if any.
    """

    count: int
    files: Mapping[str, FileSkips]
    by_kind: Mapping[str, int]
    by_epoch: Mapping[int, int] = field(default_factory=dict)
    epoch: int | None = None

    @classmethod
    def from_skipped(cls, skipped: Iterable[_Skipped], *, epoch: int | None = None) -> SkipReport:
        """Summarise ``SkippedClip`` entries.

        Args:
            skipped: The entries (``ClipLoader.skipped``, or every epoch's).
            epoch: The epoch this report is written after. Default: ``None``.

        Returns:
            The report.
        """
        entries = list(skipped)
        clips: Counter[str] = Counter()
        reasons: dict[str, dict[str, None]] = {}
        epochs: dict[str, dict[int | None, None]] = {}
        kinds: dict[str, dict[str, None]] = {}
        for entry in entries:
            clips[entry.path] += 1
            reasons.setdefault(entry.path, {})[entry.reason] = None
            epochs.setdefault(entry.path, {})[entry.epoch] = None
            kinds.setdefault(entry.path, {})[entry.kind] = None
        files = {
            path: FileSkips(
                clips[path], tuple(reasons[path]), tuple(epochs[path]), tuple(kinds[path])
            )
            for path in reasons
        }
        by_kind = Counter(entry.kind for entry in entries)
        by_epoch = Counter(entry.epoch for entry in entries if entry.epoch is not None)
        return cls(
            count=len(entries),
            files=files,
            by_kind=dict(by_kind.most_common()),
            by_epoch=dict(sorted(by_epoch.items())),
            epoch=epoch,
        )

    @property
    def num_files(self) -> int:
        """Number of distinct files with at least one entry."""
        return len(self.files)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data."""
        return {
            "epoch": self.epoch,
            "count": self.count,
            "num_files": self.num_files,
            "by_kind": dict(self.by_kind),
            "by_epoch": {str(epoch): n for epoch, n in self.by_epoch.items()},
            "files": {
                path: {
                    "clips": skips.clips,
                    "reasons": list(skips.reasons),
                    "epochs": list(skips.epochs),
                    "kinds": list(skips.kinds),
                }
                for path, skips in self.files.items()
            },
        }

    def to_json(self, path: PathLike | None = None) -> str:
        """The report as JSON text; also written to ``path`` when one is given.

        Args:
            path: File to write (parent folders are created; written atomically).
                Default: ``None``, only return the text.

        Returns:
            The JSON text.
        """
        text = json.dumps(self.to_dict(), indent=2)
        if path is not None:
            _write_atomically(Path(path), text + "\n")
        return text

    def write(self, path: PathLike) -> Path:
        """Write the report as JSON (atomically: a reader never sees half a file).

        Args:
            path: The file. Parent folders are created.

        Returns:
            The path written.
        """
        self.to_json(path)
        return Path(path)

    def summary(self) -> str:
        """One line for logs, e.g. ``"3 clips skipped in 2 files (empty: 1, truncated: 2)"``."""
        if not self.count:
            return "no clips skipped"
        kinds = ", ".join(f"{kind}: {n}" for kind, n in self.by_kind.items())
        noun = "file" if self.num_files == 1 else "files"
        return f"{self.count} clips skipped in {self.num_files} {noun} ({kinds})"


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
