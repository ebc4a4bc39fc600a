"""Drop-in replacements for PyTorchVideo's dataset API, decoded by fastvid.

Change two import lines of a PyTorchVideo training script::

    # from pytorchvideo.data import labeled_video_dataset, make_clip_sampler
    # from torch.utils.data import DataLoader
    from fastvid.data import DataLoader, labeled_video_dataset, make_clip_sampler

and its batches come from DALI, with the same keys, shapes and clips. ``DataLoader`` given
any other dataset is torch's own ``DataLoader``, so replacing the import is safe.

``decode_audio=True`` (PyTorchVideo's default) decodes each clip's audio with PyAV in
fastvid's workers, sample for sample as PyTorchVideo does (:mod:`fastvid.reader.audio`): a
sample has ``"audio"`` (float32 ``(N,)``) when its clip has audio and no ``"audio"`` key
otherwise, as in PyTorchVideo. A batch from :class:`DataLoader` pads the clips' audio:
``"audio"`` ``(B, N_max)``, ``"audio_lengths"`` and ``"audio_sample_rate"`` ``(B,)`` (torch's
default collate, which PyTorchVideo uses, fails on clips of different lengths).
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch.utils.data
from torch.utils.data import RandomSampler, Sampler

from fastvid._validate import check_choice
from fastvid.data import layout
from fastvid.data.storage import as_storage, redact
from fastvid.reader import ClipLoader
from fastvid.reader._audio_batch import AUDIO_KEYS
from fastvid.reader.loader import CPU_DECODERS

__all__ = ["DataLoader", "LabeledVideoDataset", "labeled_video_dataset"]


class LabeledVideoDataset(torch.utils.data.IterableDataset[dict[str, Any]]):
    """PyTorchVideo's ``LabeledVideoDataset``, same signature; iterating yields single samples.

    Args:
        labeled_video_paths: ``(path, {"label": i, ...})`` pairs, as PyTorchVideo takes them.
        clip_sampler: A clip sampler (fastvid's or PyTorchVideo's).
        video_sampler: torch ``Sampler`` class for the video order. Default: ``RandomSampler``.
        transform: Applied to each sample dict (known parts run inside DALI). Default: none.
        decode_audio: Also decode each clip's audio (PyAV, as PyTorchVideo); ``False``
            decodes none. Default: ``True`` (PyTorchVideo's).
        decoder: The CPU decoder (the loader's ``cpu_decoder``) for files not decoded on the
            GPU: ``"pyav"`` (PyTorchVideo's value), ``"dali"`` or ``"auto"``; PyTorchVideo's
            ``"torchvision"`` and ``"decord"`` are not offered. Default: ``"pyav"``.
        device: ``"auto"``, ``"gpu"`` or ``"cpu"`` (fastvid option). Default: ``"auto"``.
        **loader_kwargs: More :class:`~fastvid.reader.ClipLoader` options.
    """

    def __init__(
        self,
        labeled_video_paths: Sequence[tuple[str, dict[str, Any] | None]],
        clip_sampler: Any,
        video_sampler: type[Sampler[int]] = RandomSampler,
        transform: Callable[[dict[str, Any]], Any] | None = None,
        decode_audio: bool = True,
        decoder: str = "pyav",
        *,
        device: str = "auto",
        **loader_kwargs: Any,
    ) -> None:
        check_choice("decoder", decoder, CPU_DECODERS)
        self._pairs: list[tuple[str, int]] = []
        self._annotations: list[dict[str, Any]] = []
        for path, info in labeled_video_paths:
            info = dict(info or {})
            label = info.get("label", -1)
            if isinstance(label, numbers.Integral) or (
                torch.is_tensor(label) and label.numel() == 1
            ):
                info.pop("label", None)
            else:  # e.g. Hmdb51's action names: passed through to the samples as they are
                label = -1
            self._pairs.append((os.fspath(path), int(label)))
            self._annotations.append(info)
        if not self._pairs:
            raise ValueError("labeled_video_paths is empty: there are no videos to load")
        self.clip_sampler = clip_sampler
        self.video_sampler = video_sampler
        self.transform = transform
        self.device = device
        self.decode_audio = decode_audio
        self.loader_kwargs = {"cpu_decoder": decoder, "decode_audio": decode_audio, **loader_kwargs}
        self._single: ClipLoader | None = None

    @property
    def num_videos(self) -> int:
        """Number of videos (PyTorchVideo's property)."""
        return len(self._pairs)

    def make_loader(self, *, batch_size: int, **overrides: Any) -> ClipLoader:
        """A :class:`~fastvid.reader.ClipLoader` over this dataset."""
        options = {
            "clip_sampler": self.clip_sampler,
            "transform": self.transform,
            "video_sampler": self.video_sampler,
            "device": self.device,
            "annotations": self._annotations,
            **self.loader_kwargs,
            **overrides,
        }
        return ClipLoader(self._pairs, batch_size=batch_size, **options)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if self._single is None:
            self._single = self.make_loader(batch_size=1)
        for batch in self._single:
            yield _first_of_batch(batch)


def _first_of_batch(batch: dict[str, Any]) -> dict[str, Any]:
    """The one sample of a one-clip batch; its audio as PyTorchVideo's (no key without audio)."""
    sample = {key: _first(value) for key, value in batch.items() if key not in AUDIO_KEYS}
    if "audio_lengths" in batch:
        length = int(batch["audio_lengths"][0])
        if length > 0:
            sample["audio"] = batch["audio"][0, :length]
    return sample


def _first(value: Any) -> Any:
    """Undo ``default_collate`` for a batch of one: a collated list (e.g. Hmdb51's
    ``meta_tags``, collated into one list per element) becomes the sample's list again."""
    collated_list = (
        isinstance(value, list | tuple)
        and bool(value)
        and all(isinstance(item, list | tuple) or torch.is_tensor(item) for item in value)
    )
    if collated_list:
        return type(value)(_first(item) for item in value)
    return value[0]


def labeled_video_dataset(
    data_path: str,
    clip_sampler: Any,
    video_sampler: type[Sampler[int]] = RandomSampler,
    transform: Callable[[dict[str, Any]], Any] | None = None,
    video_path_prefix: str = "",
    decode_audio: bool = True,
    decoder: str = "pyav",
    storage_options: dict[str, Any] | None = None,
    **kwargs: Any,
) -> LabeledVideoDataset:
    """PyTorchVideo's ``labeled_video_dataset``: a class-per-folder tree or a ``path label`` file.

    Args:
        data_path: A folder (class-per-folder) or a CSV / text file of ``path label`` lines;
            a local path or a URL (``s3://b/train``, ``https://host/train.csv``, ...).
        clip_sampler: A clip sampler.
        video_sampler: torch ``Sampler`` class. Default: ``RandomSampler``.
        transform: Applied to each sample dict. Default: none.
        video_path_prefix: Prepended to relative paths in a file. Default: ``""``.
        decode_audio: Also decode each clip's audio. Default: ``True`` (PyTorchVideo's).
        decoder: The CPU decoder, as in :class:`LabeledVideoDataset`. Default: ``"pyav"``.
        storage_options: fsspec options for URLs (fastvid option). Default: ``None``.
        **kwargs: fastvid options (``device``, ...).
    """
    from fastvid.integrations.pytorchvideo_data import frame_video_dataset

    frames = frame_video_dataset(
        data_path, clip_sampler, video_sampler, transform, video_path_prefix, decode_audio,
        decoder, storage_options=storage_options,
    )  # fmt: skip
    if frames is not None:  # a list of frame folders: PyTorchVideo's FrameVideo datasets
        return frames  # type: ignore[return-value]
    check_choice("decoder", decoder, CPU_DECODERS)  # before listing a large folder
    storage = as_storage(storage_options)
    kind = storage.kind(os.fspath(data_path))
    if kind == "directory":
        videos = layout.from_folder(data_path, storage_options=storage)
    elif kind == "file":
        prefix = video_path_prefix or None
        videos = layout.from_csv(data_path, root=prefix, storage_options=storage)
    else:
        raise FileNotFoundError(
            f"data_path {redact(os.fspath(data_path))} is neither a folder nor a file"
        )
    return LabeledVideoDataset(
        videos.as_pytorchvideo(),
        clip_sampler,
        video_sampler,
        transform,
        decode_audio=decode_audio,
        decoder=decoder,
        storage_options=storage,
        **kwargs,
    )


class DataLoader:
    """torch's ``DataLoader`` signature; batches a :class:`LabeledVideoDataset` through DALI.

    For any other dataset this returns ``torch.utils.data.DataLoader(dataset, ...)`` itself.
    ``num_workers`` sets fastvid's worker processes (0 means fastvid's default);
    ``pin_memory``, ``persistent_workers``, ``prefetch_factor``, ``timeout`` and
    ``worker_init_fn`` are accepted and unused (DALI manages its own workers and memory).
    """

    def __new__(cls, dataset: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(dataset, LabeledVideoDataset):
            return torch.utils.data.DataLoader(dataset, *args, **kwargs)
        return super().__new__(cls)

    def __init__(
        self,
        dataset: LabeledVideoDataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Any = None,
        batch_sampler: Any = None,
        num_workers: int = 0,
        collate_fn: Callable[..., Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        **unused: Any,
    ) -> None:
        if shuffle or sampler is not None or batch_sampler is not None:
            raise ValueError(
                "DataLoader with IterableDataset: expected unspecified shuffle, sampler and "
                "batch_sampler (the dataset's video_sampler sets the order)"
            )
        if collate_fn is not None:
            raise ValueError(
                "collate_fn is not supported: fastvid collates inside DALI; transform the "
                "batch dict after the loader instead"
            )
        self.dataset = dataset
        self.batch_size = batch_size or 1
        self.drop_last = drop_last
        self._loader = dataset.make_loader(
            batch_size=self.batch_size,
            drop_last=drop_last,
            num_workers=num_workers or None,
        )

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._loader)

    def __len__(self) -> int:
        return len(self._loader)

    def state_dict(self) -> dict[str, Any]:
        """Where the batches stand: :meth:`ClipLoader.state_dict` (torchdata's
        ``StatefulDataLoader`` protocol, which Lightning saves in checkpoints)."""
        return self._loader.state_dict()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Continue from :meth:`state_dict`: :meth:`ClipLoader.load_state_dict`."""
        self._loader.load_state_dict(state_dict)

    @property
    def skipped(self) -> list[Any]:
        """The videos left out when indexing and the clips skipped in the last epoch, each once
        (file, reason, kind: ``ClipLoader.skipped``)."""
        return list(self._loader.skipped)
