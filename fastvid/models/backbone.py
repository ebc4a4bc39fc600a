"""``BackboneInfo``: what the registry knows about one backbone (no building, no loading)."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import urlparse

import torch
from torch import nn

__all__ = ["SOURCES", "BackboneInfo", "CatalogEntry", "Source", "WeightsURL", "catalog_info"]

Source = Literal["pytorchvideo", "torchvision", "custom"]
SOURCES: tuple[str, ...] = ("pytorchvideo", "torchvision", "custom")
# A URL, or a function returning it on first use (torchvision's weight enums are looked up
# lazily: importing torchvision.models costs ~1 s that listing backbones need not pay).
WeightsURL = str | Callable[[], str | None] | None


@dataclass(frozen=True)
class BackboneInfo:
    """One registry entry.

    Attributes:
        name: Registry name (``"x3d_xs"``).
        source: Where the architecture comes from: ``"pytorchvideo"``, ``"torchvision"`` or
            ``"custom"``.
        builder: Builds the authors' full model (with its original head) with random weights;
            keyword arguments are passed through.
        projection: Dotted name of the final projection inside the built model.
        min_input: Smallest clip ``(T, H, W)`` the backbone accepts.
        max_input: Largest clip per dimension, ``None`` for unbounded. Transformers with
            absolute position embeddings accept one size only: ``max_input == min_input``.
        native_input: The clip ``(T, H, W)`` the published weights were trained or evaluated
            with.
        weights_source: :attr:`weights_url`, or a function that returns it when first asked.
        weights_key: Key of the state dict inside the published checkpoint, ``None`` if the
            file is the state dict itself.
    """

    name: str
    source: Source
    builder: Callable[..., nn.Module]
    projection: str
    min_input: tuple[int, int, int]
    max_input: tuple[int | None, int | None, int | None]
    native_input: tuple[int, int, int]
    weights_source: WeightsURL
    weights_key: str | None

    @functools.cached_property
    def weights_url(self) -> str | None:
        """Where the published weights live, ``None`` if there are none."""
        source = self.weights_source
        return source() if callable(source) else source

    @property
    def weights_path(self) -> Path | None:
        """Where ``torch.hub`` caches :attr:`weights_url` (read at call time: ``TORCH_HOME``)."""
        if self.weights_url is None:
            return None
        file_name = os.path.basename(urlparse(self.weights_url).path)
        return Path(torch.hub.get_dir()) / "checkpoints" / file_name

    def check_input(self, shape: tuple[int, ...] | torch.Size) -> None:
        """Raise ``ValueError`` unless a clip of ``shape`` (``(..., T, H, W)``) fits this backbone.

        Args:
            shape: Shape of a clip or batch; the last three entries are ``T, H, W``.
        """
        if len(shape) < 3:
            raise ValueError(f"a clip shape ends in (T, H, W); got {tuple(shape)}")
        thw = tuple(int(s) for s in shape[-3:])
        too_small = any(s < lo for s, lo in zip(thw, self.min_input, strict=True))
        highs = self.max_input
        too_large = any(hi is not None and s > hi for s, hi in zip(thw, highs, strict=True))
        if too_small or too_large:
            raise ValueError(
                f"backbone {self.name!r} cannot take clips of (T, H, W) = {thw}: it needs at "
                f"least {self.min_input} and at most {self.max_input} (None: unbounded); its "
                f"weights were trained on {self.native_input}"
            )


class CatalogEntry(Protocol):
    """What a built-in catalogue lists per model: its head and the clips it takes."""

    @property
    def projection(self) -> str: ...

    @property
    def min_input(self) -> tuple[int, int, int]: ...

    @property
    def max_input(self) -> tuple[int | None, int | None, int | None]: ...

    @property
    def native_input(self) -> tuple[int, int, int]: ...


def catalog_info(
    name: str,
    entry: CatalogEntry,
    *,
    source: Source,
    builder: Callable[..., nn.Module],
    weights_source: WeightsURL,
    weights_key: str | None,
) -> BackboneInfo:
    """The :class:`BackboneInfo` of a catalogue entry."""
    return BackboneInfo(
        name=name,
        source=source,
        builder=builder,
        projection=entry.projection,
        min_input=entry.min_input,
        max_input=entry.max_input,
        native_input=entry.native_input,
        weights_source=weights_source,
        weights_key=weights_key,
    )
