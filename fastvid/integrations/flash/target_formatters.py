"""Lightning Flash 0.8's target formatters (``flash.core.data.utilities.classification``).

Pass one as ``target_formatter=`` to fix how a DataModule reads its targets (and its classes)
instead of inferring both from the training targets::

    fixed = SingleLabelTargetFormatter(labels=["cat", "dog", "eel"])
    VideoClassificationData.from_files(files, ["cat", "dog"], target_formatter=fixed)

The built-in formatters map onto fastvid's own reader of Flash's formats
(:class:`fastvid.data.layout.TargetFormat`), which checks every target; a subclass of
:class:`TargetFormatter` that overrides :meth:`~TargetFormatter.format` (Flash's customisation)
is called on each target and must return a class index (``multi_label = False``) or one value
per class (``multi_label = True``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from fastvid.data.layout import TargetFormat

__all__ = [
    "CommaDelimitedMultiLabelTargetFormatter",
    "MultiBinaryTargetFormatter",
    "MultiLabelTargetFormatter",
    "MultiNumericTargetFormatter",
    "MultiSoftTargetFormatter",
    "SingleBinaryTargetFormatter",
    "SingleLabelTargetFormatter",
    "SingleNumericTargetFormatter",
    "SpaceDelimitedTargetFormatter",
    "TargetFormatter",
    "as_target_format",
]


@dataclass
class TargetFormatter:
    """Flash's ``TargetFormatter``: ``labels`` (class names) and/or ``num_classes``; calling it
    formats one target. Subclass it and override :meth:`format` for a format of your own."""

    multi_label: ClassVar[bool | None] = None
    kind: ClassVar[str | None] = None
    labels: list[str] | None = None
    num_classes: int | None = None

    def __post_init__(self) -> None:
        self.num_classes = len(self.labels) if self.labels is not None else self.num_classes

    def __call__(self, target: Any) -> Any:
        return self.format(target)

    @property
    def classes(self) -> tuple[str, ...]:
        """The class names: ``labels``, else ``"0" .. str(num_classes - 1)``."""
        if self.labels is not None:
            return tuple(str(label) for label in self.labels)
        if self.num_classes is None:
            raise ValueError(
                f"{type(self).__name__} needs labels= or num_classes= to know the classes"
            )
        return tuple(str(i) for i in range(self.num_classes))

    def format(self, target: Any) -> Any:
        """``target`` as a class index or a list of one value per class."""
        if self.kind is None:
            raise NotImplementedError(f"{type(self).__name__} must override format(target)")
        value = TargetFormat(self.kind, self.classes).format(target)  # type: ignore[arg-type]
        return list(value) if isinstance(value, tuple) else value


def _formatter(name: str, kind: str, multi: bool, doc: str) -> type[TargetFormatter]:
    cls: type[TargetFormatter] = dataclass(
        type(name, (TargetFormatter,), {"kind": kind, "multi_label": multi, "__doc__": doc})
    )
    cls.__module__ = __name__
    return cls


SingleNumericTargetFormatter = _formatter(
    "SingleNumericTargetFormatter", "single_numeric", False, "Targets are class indices: ``2``."
)
SingleLabelTargetFormatter = _formatter(
    "SingleLabelTargetFormatter", "single_label", False, "Targets are class names: ``'cat'``."
)
SingleBinaryTargetFormatter = _formatter(
    "SingleBinaryTargetFormatter", "single_binary", False, "One-hot targets: ``[0, 1, 0]``."
)
MultiNumericTargetFormatter = _formatter(
    "MultiNumericTargetFormatter", "multi_numeric", True, "Lists of class indices: ``[0, 2]``."
)
MultiLabelTargetFormatter = _formatter(
    "MultiLabelTargetFormatter", "multi_label", True, "Lists of names: ``['cat', 'dog']``."
)
CommaDelimitedMultiLabelTargetFormatter = _formatter(
    "CommaDelimitedMultiLabelTargetFormatter",
    "comma_delimited",
    True,
    "Comma-separated names: ``'cat,dog'``.",
)
SpaceDelimitedTargetFormatter = _formatter(
    "SpaceDelimitedTargetFormatter", "space_delimited", True, "Space-separated: ``'cat dog'``."
)
MultiBinaryTargetFormatter = _formatter(
    "MultiBinaryTargetFormatter", "multi_binary", True, "Multi-hot targets: ``[1, 0, 1]``."
)
MultiSoftTargetFormatter = _formatter(
    "MultiSoftTargetFormatter", "multi_soft", True, "Soft targets: ``[0.2, 0.0, 0.9]``."
)


@dataclass(frozen=True)
class _CustomFormat(TargetFormat):
    """A user formatter's ``format`` behind fastvid's ``TargetFormat`` interface."""

    formatter: Any = None

    def format(self, target: Any, where: str = "") -> int | tuple[float, ...]:
        value = self.formatter.format(target)
        if self.formatter.multi_label:
            values = list(value.tolist() if hasattr(value, "tolist") else value)
            if len(values) != len(self.classes):
                raise ValueError(
                    f"{type(self.formatter).__name__} gave {values!r} for {target!r}{where}: "
                    f"multi-label targets need one value per class ({len(self.classes)})"
                )
            return tuple(float(v) for v in values)
        index = int(value)
        if not 0 <= index < len(self.classes):
            raise ValueError(
                f"{type(self.formatter).__name__} gave class {index} for {target!r}{where}; "
                f"there are {len(self.classes)} classes {list(self.classes)}"
            )
        return index


def as_target_format(formatter: Any) -> TargetFormat | None:
    """fastvid's :class:`~fastvid.data.layout.TargetFormat` for ``target_formatter=``.

    Args:
        formatter: ``None``, a ``TargetFormat``, or a :class:`TargetFormatter` (built-in or a
            subclass overriding ``format``).

    Raises:
        TypeError: Anything else, naming what to pass.
    """
    if formatter is None or isinstance(formatter, TargetFormat):
        return formatter
    if not isinstance(formatter, TargetFormatter):
        raise TypeError(
            f"target_formatter must be a TargetFormatter (e.g. SingleLabelTargetFormatter("
            f"labels=['cat', 'dog'])) or a fastvid TargetFormat, got {formatter!r}"
        )
    if type(formatter).format is not TargetFormatter.format or formatter.kind is None:
        if formatter.multi_label is None:
            raise TypeError(
                f"{type(formatter).__name__} must set the class variable multi_label "
                "(True or False) so fastvid knows what format() returns"
            )
        kind = "multi_soft" if formatter.multi_label else "single_numeric"
        return _CustomFormat(kind, formatter.classes, formatter)  # type: ignore[arg-type]
    return TargetFormat(formatter.kind, formatter.classes)  # type: ignore[arg-type]
