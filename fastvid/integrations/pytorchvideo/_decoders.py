"""PyTorchVideo's ``decoder=`` names, checked in one place for the datasets and ``EncodedVideo``.

PyTorchVideo takes ``"pyav"``, ``"torchvision"`` and ``"decord"`` (and ``"frame"`` for frame
folders); fastvid decodes every file with its PyAV decoder (the frames PyTorchVideo's
``"pyav"`` decoder returns), so the other libraries' names are accepted with a warning.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from fastvid._validate import check_choice

__all__ = ["OTHER_LIBRARIES", "check_decoder"]

OTHER_LIBRARIES = ("torchvision", "decord")
"""PyTorchVideo's other ``decoder=`` values: accepted, decoded with PyAV (with a warning)."""


def check_decoder(
    decoder: str,
    allowed: Sequence[str],
    *,
    stacklevel: int = 3,
    warned: set[str] | None = None,
) -> str:
    """``decoder`` if it is one of ``allowed``; a library fastvid does not use warns that PyAV
    decodes it instead.

    Args:
        decoder: The ``decoder=`` value given.
        allowed: The names accepted where it was given.
        stacklevel: The warning is attributed this many frames up from the caller. Default: 3.
        warned: Names warned about already: each warns once (the set is updated). Default:
            ``None``, a warning every call.

    Returns:
        ``decoder``, unchanged.

    Raises:
        ValueError: ``decoder`` is not one of ``allowed``.
    """
    check_choice("decoder", decoder, allowed)
    if decoder in OTHER_LIBRARIES and (warned is None or decoder not in warned):
        if warned is not None:
            warned.add(decoder)
        warnings.warn(
            f"fastvid: decoder={decoder!r} is decoded with PyAV (PyTorchVideo's 'pyav' "
            f"decoder's frames); pass decoder='pyav' to silence this warning",
            UserWarning,
            stacklevel=stacklevel + 1,
        )
    return decoder
