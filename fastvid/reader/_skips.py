"""A loader's record of what it left out: videos at indexing, clips per epoch, each once.

:class:`SkipLog` is what :attr:`ClipLoader.skipped <fastvid.reader.loader.ClipLoader.skipped>`,
``ClipLoader.skipped_files`` and ``ClipLoader.skip_report()`` read. A bad file is skipped
again every epoch; the log keeps one entry per clip per epoch (a clip failing twice in one
epoch, or an epoch iterated again, does not add entries), and answers three questions:

* :meth:`SkipLog.current`: what the epoch being iterated (or the last one) left out, plus the
  videos left out when indexing: this does not grow from epoch to epoch;
* :meth:`SkipLog.files`: every file skipped so far, once (the cumulative, de-duplicated set);
* :meth:`SkipLog.entries`: every entry of every epoch (or of one), for reports.
"""

from __future__ import annotations

from fastvid.reader.errors import SkippedClip

__all__ = ["SkipLog"]


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
