"""PyTorchVideo's dataset helpers: ``Kinetics``, ``Ucf101``, ``Hmdb51``, and frame-folder lists.

``Kinetics`` and ``Ucf101`` are ``labeled_video_dataset`` under their names (a class-per-folder
tree or a ``path label`` list). ``Hmdb51`` reads HMDB51's split files. A list whose videos are
folders of frame images (or ``decoder="frame"``) gives a :class:`VideoPathsDataset`, read in the
iterating process as PyTorchVideo reads frame videos.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from torch.utils.data import RandomSampler, Sampler

from fastvid.data.storage import StorageLike, as_storage
from fastvid.integrations.pytorchvideo.data._hmdb51 import Hmdb51LabeledVideoPaths
from fastvid.integrations.pytorchvideo.data._inprocess import VideoPathsDataset
from fastvid.integrations.pytorchvideo.data._paths import LabeledVideoPaths

__all__ = ["Hmdb51", "Kinetics", "Ucf101", "frame_video_dataset"]

Transform = Callable[[dict[str, Any]], Any]


def _named_labeled_video_dataset(name: str, doc: str) -> Callable[..., Any]:
    """``labeled_video_dataset`` under a dataset's name (PyTorchVideo's ``Kinetics`` and
    ``Ucf101`` are exactly that)."""

    def dataset(
        data_path: str | os.PathLike[str],
        clip_sampler: Any,
        video_sampler: type[Sampler[int]] = RandomSampler,
        transform: Transform | None = None,
        video_path_prefix: str = "",
        decode_audio: bool = True,
        decoder: str = "pyav",
        **kwargs: Any,
    ) -> Any:
        from fastvid.integrations.pytorchvideo.api import labeled_video_dataset

        return labeled_video_dataset(
            os.fspath(data_path), clip_sampler, video_sampler, transform, video_path_prefix,
            decode_audio, decoder, **kwargs,
        )  # fmt: skip

    dataset.__name__ = dataset.__qualname__ = name
    dataset.__doc__ = doc
    return dataset


_ARGUMENTS_DOC = """

    ``data_path`` is a class-per-folder tree (``train/<class>/<video>.mp4``) or a
    ``<path> <label>`` list file. The arguments are ``labeled_video_dataset``'s, in its order
    (``clip_sampler``, ``video_sampler``, ``transform``, ``video_path_prefix``,
    ``decode_audio``, ``decoder``); fastvid options such as ``device`` or ``storage_options``
    pass through ``**kwargs``.
    """

Kinetics = _named_labeled_video_dataset(
    "Kinetics",
    "Kinetics-400/600/700: PyTorchVideo 0.1.5's ``Kinetics``, decoded by fastvid." + _ARGUMENTS_DOC,
)
Ucf101 = _named_labeled_video_dataset(
    "Ucf101", "UCF101: PyTorchVideo 0.1.5's ``Ucf101``, decoded by fastvid." + _ARGUMENTS_DOC
)


def Hmdb51(
    data_path: str | os.PathLike[str],
    clip_sampler: Any,
    video_sampler: type[Sampler[int]] = RandomSampler,
    transform: Transform | None = None,
    video_path_prefix: str = "",
    split_id: int = 1,
    split_type: str = "train",
    decode_audio: bool = True,
    decoder: str = "pyav",
    *,
    storage_options: StorageLike = None,
    **kwargs: Any,
) -> Any:
    """HMDB51 from its split files: PyTorchVideo 0.1.5's ``Hmdb51``, decoded by fastvid.

    Args:
        data_path: The folder of split files (``<action>_test_split<1|2|3>.txt``, see
            :class:`Hmdb51LabeledVideoPaths`).
        clip_sampler: A clip sampler.
        video_sampler: torch ``Sampler`` class. Default: ``RandomSampler``.
        transform: Applied to each sample dict. Default: none.
        video_path_prefix: The videos' folder (``<prefix>/<action>/<video>.avi``).
            Default: ``""``.
        split_id: The fold, 1, 2 or 3. Default: ``1``.
        split_type: ``"train"``, ``"test"`` or ``"unused"``. Default: ``"train"``.
        decode_audio: Also decode audio. Default: ``True``.
        decoder: PyTorchVideo's decoder name. Default: ``"pyav"``.
        storage_options: fsspec options for URLs (fastvid option). Default: ``None``.
        **kwargs: More fastvid dataset options (``device``, ...).

    Returns:
        A ``LabeledVideoDataset``; each sample's ``"label"`` is the action's name and
        ``"meta_tags"`` its five tags, as in PyTorchVideo.
    """
    from fastvid.integrations.pytorchvideo.api import LabeledVideoDataset

    storage = as_storage(storage_options)
    paths = Hmdb51LabeledVideoPaths.from_dir(
        data_path, split_id=split_id, split_type=split_type, storage_options=storage
    )
    paths.path_prefix = os.fspath(video_path_prefix)
    return LabeledVideoDataset(
        paths,  # type: ignore[arg-type]
        clip_sampler,
        video_sampler,
        transform,
        decode_audio=decode_audio,
        decoder=decoder,
        storage_options=storage,
        **kwargs,
    )


def frame_video_dataset(
    data_path: str | os.PathLike[str],
    clip_sampler: Any,
    video_sampler: type[Sampler[int]] | Sampler[int] = RandomSampler,
    transform: Transform | None = None,
    video_path_prefix: str = "",
    decode_audio: bool = True,
    decoder: str = "pyav",
    *,
    storage_options: StorageLike = None,
) -> VideoPathsDataset | None:
    """The dataset of a list file whose videos are frame folders, else ``None``.

    ``labeled_video_dataset`` asks this first: with ``decoder="frame"``, or when the list's
    first video is a folder (PyTorchVideo reads a folder as a frame video whatever the
    decoder), the videos are read in the iterating process by :class:`VideoPathsDataset`.
    A class-per-folder tree is never a frame dataset (PyTorchVideo lists only .mp4/.avi
    files there).
    """
    storage = as_storage(storage_options)
    name = os.fspath(data_path)
    if storage.kind(name) != "file":
        return None
    if decoder != "frame":  # look at the first listed video only (cheap; any label format)
        lines = [line for line in storage.read_text(name).splitlines() if line.strip()]
        if not lines:
            return None
        first = os.path.join(os.fspath(video_path_prefix), lines[0].rsplit(None, 1)[0])
        if storage.kind(first) != "directory":
            return None
    paths = LabeledVideoPaths.from_csv(name, storage_options=storage)
    paths.path_prefix = os.fspath(video_path_prefix)
    return VideoPathsDataset(
        paths,  # type: ignore[arg-type]
        clip_sampler,
        video_sampler,
        transform,
        decode_audio=False,  # frame folders have no audio (PyTorchVideo refuses it for them)
        decoder=decoder,
    )
