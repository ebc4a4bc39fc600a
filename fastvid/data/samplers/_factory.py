"""Clip samplers by name: the registry, ``make_clip_sampler`` and ``as_clip_sampler``."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from fastvid.data.samplers._base import (
    ClipSampler,
    PyTorchVideoClipSampler,
    _is_pytorchvideo_sampler,
)
from fastvid.data.samplers._constant import ConstantClipsPerVideoSampler
from fastvid.data.samplers._random import RandomClipSampler, RandomMultiClipSampler
from fastvid.data.samplers._uniform import UniformClipSampler

__all__ = [
    "ClipSamplerName",
    "as_clip_sampler",
    "list_clip_samplers",
    "make_clip_sampler",
    "register_clip_sampler",
]

#: The names PyTorchVideo 0.1.5's ``make_clip_sampler`` accepts (all of them).
ClipSamplerName = Literal["uniform", "random", "constant_clips_per_video", "random_multi"]

_SamplerT = TypeVar("_SamplerT", bound=type[ClipSampler[Any]])

_CLIP_SAMPLERS: dict[str, type[ClipSampler[Any]]] = {
    "uniform": UniformClipSampler,
    "random": RandomClipSampler,
    "constant_clips_per_video": ConstantClipsPerVideoSampler,
    "random_multi": RandomMultiClipSampler,
}


def register_clip_sampler(name: str) -> Callable[[_SamplerT], _SamplerT]:
    """Class decorator that makes a ``ClipSampler`` subclass available by ``name``.

    Args:
        name: The name ``make_clip_sampler`` will accept; must not be taken.

    Returns:
        The decorator (it returns the class unchanged).

    Raises:
        ValueError: ``name`` is empty or already registered.
        TypeError: ``name`` is not a string, or the decorated object is not a ClipSampler class.
    """
    if not isinstance(name, str):
        raise TypeError(f"clip sampler name must be a str, got {type(name).__name__}: {name!r}")
    if not name:
        raise ValueError("clip sampler name must not be empty")
    if name in _CLIP_SAMPLERS:
        raise ValueError(
            f"clip sampler name {name!r} is already registered to {_CLIP_SAMPLERS[name].__name__}"
        )

    def decorator(cls: _SamplerT) -> _SamplerT:
        if not (isinstance(cls, type) and issubclass(cls, ClipSampler)):
            raise TypeError(f"register_clip_sampler decorates ClipSampler subclasses, got {cls!r}")
        _CLIP_SAMPLERS[name] = cls
        return cls

    return decorator


def list_clip_samplers() -> list[str]:
    """The registered clip sampler names, sorted.

    Returns:
        The names ``make_clip_sampler`` accepts.
    """
    return sorted(_CLIP_SAMPLERS)


def make_clip_sampler(name: ClipSamplerName | str, *args: Any, **kwargs: Any) -> ClipSampler[Any]:
    """Build a clip sampler by name; PyTorchVideo's ``make_clip_sampler`` with keywords.

    ``make_clip_sampler("uniform", 2.0)`` is PyTorchVideo's call and gives the same sampler;
    options can also be passed by keyword (``make_clip_sampler("uniform", 2.0, stride=1.0)``).

    Args:
        name: One of ``list_clip_samplers()``: ``"uniform"`` (:class:`UniformClipSampler`),
            ``"random"`` (:class:`RandomClipSampler`), ``"constant_clips_per_video"``
            (:class:`ConstantClipsPerVideoSampler`), ``"random_multi"``
            (:class:`RandomMultiClipSampler`) or a name added with ``register_clip_sampler``.
        *args: Positional arguments of the sampler's constructor, in PyTorchVideo's order.
        **kwargs: Keyword arguments of the sampler's constructor.

    Returns:
        The new sampler.

    Raises:
        ValueError: ``name`` is not registered (the message lists close matches and all
            names), or the constructor rejects a value.
        TypeError: ``name`` is not a string, or the constructor rejects the arguments.
    """
    return _lookup(name)(*args, **kwargs)


def as_clip_sampler(sampler: Any, *args: Any, **kwargs: Any) -> ClipSampler[Any]:
    """Turn anything fastvid accepts as a clip sampler into a fastvid ``ClipSampler``.

    * a fastvid ``ClipSampler`` is returned as is;
    * a PyTorchVideo ``ClipSampler`` object (built-in or your own subclass) is wrapped in a
      :class:`PyTorchVideoClipSampler`, which returns fastvid ``ClipInfo`` values;
    * a name is built with ``make_clip_sampler(sampler, *args, **kwargs)``.

    Args:
        sampler: A sampler object or a registered name.
        *args: Constructor arguments; only with a name.
        **kwargs: Constructor keyword arguments; only with a name.

    Returns:
        A fastvid ``ClipSampler``.

    Raises:
        TypeError: ``sampler`` is none of the above, or arguments came with a sampler object.
        ValueError: an unknown name or a bad constructor value.
    """
    if isinstance(sampler, str):
        return make_clip_sampler(sampler, *args, **kwargs)
    if args or kwargs:
        raise TypeError(
            "constructor arguments are only accepted with a sampler name, not with the sampler "
            f"object {sampler!r}"
        )
    if isinstance(sampler, ClipSampler):
        return sampler
    if _is_pytorchvideo_sampler(sampler):
        return PyTorchVideoClipSampler(sampler)
    raise TypeError(
        "clip sampler must be a fastvid ClipSampler, a PyTorchVideo ClipSampler or one of the "
        f"names {list_clip_samplers()}, got {type(sampler).__name__}: {sampler!r}"
    )


def _lookup(name: object) -> type[ClipSampler[Any]]:
    if not isinstance(name, str):
        raise TypeError(f"clip sampler name must be a str, got {type(name).__name__}: {name!r}")
    try:
        return _CLIP_SAMPLERS[name]
    except KeyError:
        close = difflib.get_close_matches(name, _CLIP_SAMPLERS, n=3)
        hint = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
        raise ValueError(
            f"unknown clip sampler {name!r}; {hint}available: {list_clip_samplers()}"
        ) from None
