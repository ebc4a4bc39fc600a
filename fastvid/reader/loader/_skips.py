"""A loader's record of what it left out: videos at indexing, clips per epoch, each once.

:class:`SkipLog` is what :attr:`ClipLoader.skipped
<fastvid.reader.loader.clip_loader.ClipLoader.skipped>`, ``ClipLoader.skipped_files`` and
``ClipLoader.skip_report()`` read. A bad file is skipped again every epoch; the log keeps one entry
per clip per epoch (a clip failing twice in one epoch, or an epoch iterated again, does not add
entries), and answers three questions:

* :meth:`SkipLog.current`: what the epoch being iterated (or the last one) left out, plus the
  videos left out when indexing: this does not grow from epoch to epoch;
* :meth:`SkipLog.files`: every file skipped so far, once (the cumulative, de-duplicated set);
* :meth:`SkipLog.entries`: every entry of every epoch (or of one), for reports.

:class:`Skips` is the loader's policy around its log: with ``on_error="raise"`` a bad video or clip
raises :class:`~fastvid.reader.errors.VideoDecodeError` naming it; otherwise it is logged once (a
warning on the ``fastvid.reader.loader`` logger) and recorded; an epoch's end writes the
skip report where the loader's ``skip_report_path`` says.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from fastvid.data.storage import redact
from fastvid.errors import VideoErrorKind
from fastvid.reader.errors import SkippedClip, VideoDecodeError
from fastvid.reader.planning.frames import ClipRequest

if TYPE_CHECKING:
    from fastvid.reader.loader.skip_report import SkipReport

__all__ = ["OnError", "SkipLog", "SkipQueries", "Skips"]

OnError = Literal["skip", "raise"]

logger = logging.getLogger("fastvid.reader.loader")  # the logger docs/reliability.md names


class SkipLog:
    """Skipped videos and clips, each once per epoch."""

    def __init__(self) -> None:
        self._unindexed: dict[str, SkippedClip] = {}
        self._epochs: dict[int, dict[tuple[str, int | None], SkippedClip]] = {}
        self._latest: int | None = None
        self._files: dict[str, SkippedClip] = {}

    def begin(self, epoch: int) -> None:
        """The loader starts iterating ``epoch``: it becomes the current one, and an earlier
        pass over the same epoch is forgotten (its clips are skipped again if still bad)."""
        self._epochs[epoch] = {}
        self._latest = epoch

    def add(self, entry: SkippedClip) -> bool:
        """Record ``entry``; ``False`` if the same clip of the same epoch is already there."""
        if entry.epoch is None:
            known = entry.path in self._unindexed
            self._unindexed[entry.path] = entry
        else:
            clips = self._epochs.setdefault(entry.epoch, {})
            key = (entry.path, entry.clip_index)
            known = key in clips
            clips[key] = entry
        self._files[entry.path] = entry  # a file keeps its place: the order first skipped
        return not known

    @property
    def latest_epoch(self) -> int | None:
        """The epoch being iterated or iterated last (``None`` before the first)."""
        return self._latest

    def current(self) -> list[SkippedClip]:
        """The videos left out when indexing, then the current (or last) epoch's clips."""
        clips = self._epochs.get(self._latest, {}) if self._latest is not None else {}
        return [*self._unindexed.values(), *clips.values()]

    def entries(self, epoch: int | None = None) -> list[SkippedClip]:
        """The videos left out when indexing, then each epoch's clips (only ``epoch``'s if
        given), each clip once per epoch."""
        epochs = sorted(self._epochs) if epoch is None else [epoch]
        clips = [entry for e in epochs for entry in self._epochs.get(e, {}).values()]
        return [*self._unindexed.values(), *clips]

    def files(self) -> dict[str, SkippedClip]:
        """Every file skipped so far, once: ``{path: its latest entry}``, in the order first
        skipped."""
        return dict(self._files)


class Skips:
    """A loader's bad videos and clips: raised (``on_error="raise"``) or logged and recorded.

    Args:
        on_error: Returns the loader's ``on_error`` (``"skip"`` or ``"raise"``) when asked.
        report_path: Write the skip report here (``{epoch}`` replaced) at each epoch's end.
    """

    def __init__(
        self,
        on_error: Callable[[], OnError],
        report_path: str | os.PathLike[str] | None = None,
    ) -> None:
        self._on_error = on_error
        self.log = SkipLog()
        self._report_path = report_path

    def unindexed(self, path: str, reason: str, kind: VideoErrorKind) -> None:
        """A video that could not be indexed: recorded, then raised with ``on_error="raise"``."""
        self.record(SkippedClip(path, reason, kind=kind))
        if self._on_error() == "raise":
            raise VideoDecodeError(redact(path), redact(reason), kind)

    def fail(self, request: ClipRequest, reason: str, kind: VideoErrorKind, epoch: int) -> None:
        """A clip of ``epoch`` that could not be decoded: raised, or recorded."""
        if self._on_error() == "raise":
            raise VideoDecodeError(redact(request.path), redact(reason), kind)
        self.record(SkippedClip(request.path, reason, epoch, request.clip_index, kind))

    def record(self, skipped: SkippedClip) -> None:
        """Record ``skipped``; warn the first time it is seen in its epoch."""
        # credentials in a URL (user:password@, signed queries) are never kept nor printed
        skipped = dataclasses.replace(
            skipped, path=redact(skipped.path), reason=redact(skipped.reason)
        )
        if self.log.add(skipped):
            logger.warning("fastvid: skipped %s: %s", skipped.path, skipped.reason)

    def report(self, epoch: int | None = None) -> SkipReport:
        """The skip report of ``epoch`` (``None``: every epoch so far)."""
        from fastvid.reader.loader.skip_report import SkipReport

        return SkipReport.from_skipped(self.log.entries(epoch), epoch=epoch)

    def epoch_done(self, epoch: int) -> None:
        """``epoch`` was iterated to its end: write its report if the loader was asked to."""
        if self._report_path is not None:
            path = os.fspath(self._report_path)
            self.report().write(path.replace("{epoch}", str(epoch)))


class SkipQueries:
    """``ClipLoader``'s questions to its skip record (a mixin over the loader's :class:`Skips`)."""

    _skips: Skips

    @property
    def skipped(self) -> list[SkippedClip]:
        """The videos left out when indexing (``epoch=None``), then the clips skipped in the
        epoch being iterated (or the last one), each once: it does not grow from epoch to
        epoch. All epochs: :meth:`skip_report`; every file ever skipped: :attr:`skipped_files`.
        """
        return self._skips.log.current()

    @property
    def skipped_files(self) -> dict[str, SkippedClip]:
        """Every file skipped so far (when indexing or in any epoch), once:
        ``{path: its latest SkippedClip}``, in the order first skipped."""
        return self._skips.log.files()

    def skip_report(self, epoch: int | None = None) -> SkipReport:
        """A summary of what was skipped: counts, each file's reasons, counts per kind.

        Args:
            epoch: Only this epoch's clips, plus the videos left out when indexing.
                Default: ``None``, every epoch so far (each clip once per epoch).

        Returns:
            A :class:`~fastvid.reader.loader.skip_report.SkipReport` (``.write(path)`` saves it as
            JSON).
        """
        return self._skips.report(epoch)
