"""Drop-in replacements for PyTorchVideo's dataset API, decoded by fastvid.

Change two import lines of a PyTorchVideo training script::

    # from pytorchvideo.data import labeled_video_dataset, make_clip_sampler
    # from torch.utils.data import DataLoader
    from fastvid.data import DataLoader, labeled_video_dataset, make_clip_sampler

and its batches come from fastvid's worker processes and DALI, with the same keys, shapes and
clips. ``DataLoader`` given any other dataset is torch's own ``DataLoader``, so replacing the
import is safe.

The dataset itself behaves as PyTorchVideo's: ``iter(dataset)`` / ``next(dataset)``, its
``video_sampler`` instance, and under torch's own ``DataLoader`` (bare or wrapped, any
``num_workers``, ``batch_size=None``, any ``collate_fn``) the same samples in the same order as
PyTorchVideo's dataset under that ``DataLoader``: each torch worker decodes its share of the
videos in its own process (:mod:`fastvid.integrations.pytorchvideo._stream`), with fastvid's
frame-selective PyAV decoder and lowered transforms, instead of starting worker processes of its
own (a torch worker may not have children).

``decode_audio=True`` (PyTorchVideo's default) decodes each clip's audio with PyAV, sample for
sample as PyTorchVideo does (:mod:`fastvid.reader.decoding.audio`): a sample has ``"audio"``
(float32 ``(N,)``) when its clip has audio and no ``"audio"`` key otherwise, as in PyTorchVideo. A
batch from :class:`DataLoader` pads the clips' audio: ``"audio"`` ``(B, N_max)``,
``"audio_lengths"`` and ``"audio_sample_rate"`` ``(B,)`` (torch's default collate, which
PyTorchVideo uses, fails on clips of different lengths).
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch.utils.data
from torch.utils.data import RandomSampler, Sampler

from fastvid.data import layout
from fastvid.data.storage import as_storage, is_remote, redact
from fastvid.integrations.pytorchvideo._decoders import OTHER_LIBRARIES, check_decoder
from fastvid.integrations.pytorchvideo._samples import split_batch
from fastvid.integrations.pytorchvideo._stream import (
    InlineSource,
    SampleStream,
    make_video_sampler,
    reseed_in_worker,
)
from fastvid.reader import ClipLoader
from fastvid.reader.inline import InlineClips
from fastvid.reader.loader._options import lowered_transform
from fastvid.reader.loader.clip_loader import CPU_DECODERS

__all__ = ["DataLoader", "LabeledVideoDataset", "labeled_video_dataset"]

DECODERS = (*CPU_DECODERS, *OTHER_LIBRARIES)


def _cpu_decoder(decoder: str, *, stacklevel: int = 3) -> str:
    """The CPU decoder that runs for PyTorchVideo's ``decoder=`` value (one warning for the
    libraries fastvid does not use, attributed ``stacklevel`` frames up)."""
    check_decoder(decoder, DECODERS, stacklevel=stacklevel)
    return "pyav" if decoder in OTHER_LIBRARIES else decoder


class LabeledVideoDataset(torch.utils.data.IterableDataset[dict[str, Any]]):
    """PyTorchVideo's ``LabeledVideoDataset``: same signature, same iteration.

    Iterating it (``for sample in dataset``, ``next(dataset)``, or torch's ``DataLoader`` with
    any ``num_workers``) yields PyTorchVideo's sample dicts in PyTorchVideo's order, decoded in
    the iterating process; :class:`DataLoader` (fastvid's) batches it through fastvid's worker
    processes and DALI instead, in fastvid's seeded order.

    Args:
        labeled_video_paths: ``(path, {"label": i, ...})`` pairs, as PyTorchVideo takes them.
        clip_sampler: A clip sampler (fastvid's or PyTorchVideo's).
        video_sampler: torch ``Sampler`` class for the video order (or an instance).
            Default: ``RandomSampler``.
        transform: Applied to each sample dict (known parts are lowered). Default: none.
        decode_audio: Also decode each clip's audio (PyAV, as PyTorchVideo); ``False``
            decodes none. Default: ``True`` (PyTorchVideo's).
        decoder: ``"pyav"`` (PyTorchVideo's value); fastvid's loader's ``cpu_decoder``
            ``"dali"`` or ``"auto"``; PyTorchVideo's ``"torchvision"`` and ``"decord"`` are
            decoded with PyAV, with a warning. Default: ``"pyav"``.
        device: ``"auto"``, ``"gpu"`` or ``"cpu"`` (fastvid's :class:`DataLoader`).
            Default: ``"auto"``.
        **loader_kwargs: More :class:`~fastvid.reader.ClipLoader` options (``index``,
            ``on_error``, ``decoder_threads`` and ``storage_options`` also serve iteration).
    """

    def __init__(
        self,
        labeled_video_paths: Sequence[tuple[str, dict[str, Any] | None]],
        clip_sampler: Any,
        video_sampler: type[Sampler[int]] | Sampler[int] = RandomSampler,
        transform: Callable[[dict[str, Any]], Any] | None = None,
        decode_audio: bool = True,
        decoder: str = "pyav",
        *,
        device: str = "auto",
        **loader_kwargs: Any,
    ) -> None:
        decoder = _cpu_decoder(decoder)
        self._pairs: list[tuple[str, int]] = []
        self._annotations: list[dict[str, Any]] = []
        self._labeled: list[tuple[str, dict[str, Any]]] = []
        for path, info in labeled_video_paths:
            info = dict(info or {})
            self._labeled.append((os.fspath(path), dict(info)))
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
        self._video_sampler_arg = video_sampler
        self._video_sampler, self._video_random_generator = make_video_sampler(
            video_sampler, self._labeled
        )
        self.transform = transform
        self.device = device
        self.decode_audio = decode_audio
        self.loader_kwargs = {"cpu_decoder": decoder, "decode_audio": decode_audio, **loader_kwargs}
        self._stream: SampleStream | None = None
        self._metas: dict[str, Any] = {}

    @property
    def video_sampler(self) -> Sampler[int]:
        """The video sampler instance (PyTorchVideo's property): call its ``set_epoch`` under
        DDP, as with PyTorchVideo."""
        return self._video_sampler

    @property
    def num_videos(self) -> int:
        """Number of videos (PyTorchVideo's property)."""
        return len(self._pairs)

    def make_loader(self, *, batch_size: int, **overrides: Any) -> ClipLoader:
        """A :class:`~fastvid.reader.ClipLoader` over this dataset (fastvid's order)."""
        options = {
            "clip_sampler": self.clip_sampler,
            "transform": self.transform,
            "video_sampler": self._video_sampler_arg,
            "device": self.device,
            "annotations": self._annotations,
            **self.loader_kwargs,
            **overrides,
        }
        return ClipLoader(self._pairs, batch_size=batch_size, **options)

    # -- PyTorchVideo's iteration -------------------------------------------------------------
    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Start a pass over the video sampler (PyTorchVideo's ``__iter__``: returns the
        dataset; in a torch ``DataLoader`` worker a ``RandomSampler`` is reseeded from the
        loader's base seed, so every worker sees the same order and takes its share)."""
        self._stream_here().restart()
        reseed_in_worker(self._video_random_generator)
        return self

    def __next__(self) -> dict[str, Any]:
        """The next sample dict (PyTorchVideo's ``__next__``)."""
        return next(self._stream_here())

    def _stream_here(self) -> SampleStream:
        if self._stream is None:
            options = self.loader_kwargs
            storage = as_storage(options.get("storage_options"))
            self._stream = SampleStream(
                self._labeled,
                video_sampler=self._video_sampler,
                clip_sampler=self.clip_sampler,
                source=InlineSource(
                    InlineClips(
                        lowered_transform(self.transform),
                        threads=options.get("decoder_threads"),
                        storage=storage,
                    ),
                    transform=self.transform,
                    meta=self._meta,
                    decode_audio=self.decode_audio,
                    on_error=options.get("on_error", "skip"),
                ),
            )
        return self._stream

    def _meta(self, path: str) -> Any:
        """A video's index entry: from ``index=`` if given, else probed once per process."""
        index = self.loader_kwargs.get("index")
        if index is not None and path in index:
            return index.meta(path)
        meta = self._metas.get(path)
        if meta is None:
            from fastvid.data.index import probe_video

            storage = as_storage(self.loader_kwargs.get("storage_options"))
            meta = self._metas[path] = probe_video(path, storage_options=storage)
        return meta


def labeled_video_dataset(
    data_path: str,
    clip_sampler: Any,
    video_sampler: type[Sampler[int]] | Sampler[int] = RandomSampler,
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
        video_path_prefix: Prepended to relative paths in a file. Default: ``""``: they are
            relative to the working directory, as in PyTorchVideo (a remote list's: to its
            folder).
        decode_audio: Also decode each clip's audio. Default: ``True`` (PyTorchVideo's).
        decoder: As in :class:`LabeledVideoDataset`. Default: ``"pyav"``.
        storage_options: fsspec options for URLs (fastvid option). Default: ``None``.
        **kwargs: fastvid options (``device``, ...).
    """
    from fastvid.integrations.pytorchvideo.data import frame_video_dataset

    frames = frame_video_dataset(
        data_path, clip_sampler, video_sampler, transform, video_path_prefix, decode_audio,
        decoder, storage_options=storage_options,
    )  # fmt: skip
    if frames is not None:  # a list of frame folders: PyTorchVideo's FrameVideo datasets
        return frames  # type: ignore[return-value]
    decoder = _cpu_decoder(decoder)  # before listing a large folder
    storage = as_storage(storage_options)
    kind = storage.kind(os.fspath(data_path))
    if kind == "directory":
        videos = layout.from_folder(data_path, storage_options=storage)
    elif kind == "file":
        here = None if is_remote(data_path) else os.getcwd()  # PyTorchVideo's relative paths
        videos = layout.from_csv(data_path, root=video_path_prefix or here, storage_options=storage)
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
    """torch's ``DataLoader`` signature; batches a :class:`LabeledVideoDataset` with fastvid's
    worker processes and DALI, in fastvid's seeded order (:class:`~fastvid.reader.ClipLoader`).

    For any other dataset (a wrapper such as ``LimitDataset``, ``ChainDataset``) this returns
    ``torch.utils.data.DataLoader(dataset, ...)`` itself, over which the dataset decodes in
    torch's workers (see :class:`LabeledVideoDataset`). ``num_workers`` sets fastvid's worker
    processes (0 means fastvid's default); ``batch_size=None`` yields single samples and a
    ``collate_fn`` gets PyTorchVideo's sample dicts, as torch's would (both split fastvid's
    batches); ``pin_memory``, ``persistent_workers``, ``prefetch_factor``, ``timeout`` and
    ``worker_init_fn`` are accepted and unused (fastvid manages its own workers and memory).
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
        self.dataset = dataset
        self.batch_size = batch_size
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self._loader = dataset.make_loader(
            batch_size=batch_size or 1,
            drop_last=drop_last and batch_size is not None,
            num_workers=num_workers or None,
        )

    def __iter__(self) -> Iterator[Any]:
        if self.batch_size is None:  # torch: each sample, through collate_fn if given
            for batch in self._loader:
                for sample in split_batch(batch, self.dataset._annotations):
                    yield sample if self.collate_fn is None else self.collate_fn(sample)
        elif self.collate_fn is not None:
            for batch in self._loader:
                yield self.collate_fn(split_batch(batch, self.dataset._annotations))
        else:
            yield from self._loader

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
