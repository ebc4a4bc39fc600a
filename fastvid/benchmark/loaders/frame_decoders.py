"""The frame-decoder rows: torchcodec and decord decode the planned frames, torch transforms.

Each decodes exactly the 8 planned frames of a clip, keeps a few decoders open between clips
(like fastvid's reader), and runs the seed transforms in torch, in a ``DataLoader``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

import torch

from fastvid.benchmark.loaders.harness import _check_clips, two_passes
from fastvid.benchmark.loaders.workload import SEED, ClipConfig, Workload

__all__ = ["DecordClips", "TorchcodecClips", "decoded_clip_batches"]


class _DecoderCache:
    """Keeps a few decoders open (like fastvid's reader), so consecutive clips reuse them."""

    def __init__(self, opener: Callable[[str], Any], size: int = 4) -> None:
        self._opener = opener
        self._size = size
        self._open: OrderedDict[str, Any] = OrderedDict()

    def get(self, path: str) -> Any:
        decoder = self._open.get(path)
        if decoder is None:
            decoder = self._opener(path)
            self._open[path] = decoder
            while len(self._open) > self._size:
                self._open.popitem(last=False)
        self._open.move_to_end(path)
        return decoder


class TorchcodecClips:
    """The 8 planned frames of a clip with ``torchcodec.decoders.VideoDecoder.get_frames_at``.

    Args:
        device: ``"cpu"`` or ``"cuda"``.
        threads: ``num_ffmpeg_threads`` (0: FFmpeg picks). Default: 0.
    """

    def __init__(self, *, device: str = "cpu", threads: int = 0) -> None:
        self.device = device
        self.threads = threads
        self._cache: _DecoderCache | None = None

    def _open(self, path: str) -> Any:
        from torchcodec.decoders import VideoDecoder

        return VideoDecoder(
            path, device=self.device, num_ffmpeg_threads=self.threads, seek_mode="exact"
        )

    def frames(self, request: Any) -> torch.Tensor:
        """uint8 ``(T, C, H, W)`` frames of one clip."""
        if self._cache is None:
            self._cache = _DecoderCache(self._open)
        decoder = self._cache.get(request.path)
        return decoder.get_frames_at(request.frame_indices.tolist()).data


class DecordClips:
    """The 8 planned frames of a clip with ``decord.VideoReader.get_batch``.

    Args:
        threads: decord decoder threads (0: automatic). Default: 0.
    """

    def __init__(self, *, threads: int = 0) -> None:
        self.threads = threads
        self._cache: _DecoderCache | None = None

    def _open(self, path: str) -> Any:
        import decord

        return decord.VideoReader(path, ctx=decord.cpu(0), num_threads=self.threads)

    def frames(self, request: Any) -> torch.Tensor:
        """uint8 ``(T, C, H, W)`` frames of one clip."""
        if self._cache is None:
            self._cache = _DecoderCache(self._open)
        reader = self._cache.get(request.path)
        array = reader.get_batch(request.frame_indices.tolist()).asnumpy()
        return torch.from_numpy(array).permute(0, 3, 1, 2)


class _TransformedClips(torch.utils.data.Dataset):
    """Map-style dataset: planned clip ``i`` → decoded 8 frames → the seed transforms."""

    def __init__(self, plan: list[Any], clips: Any, config: ClipConfig = SEED) -> None:
        self.plan = plan
        self.clips = clips
        self.transform = config.video_transform(subsample=False)

    def __len__(self) -> int:
        return len(self.plan)

    def __getitem__(self, i: int) -> dict[str, Any]:
        request = self.plan[i]
        frames = self.clips.frames(request)  # (T, C, H, W) uint8
        video = frames.permute(1, 0, 2, 3).float()  # (C, T, H, W) float, as PyTorchVideo gives
        return {"video": self.transform(video), "label": request.label}


def decoded_clip_batches(
    work: Workload, clips: Any, *, num_workers: int, row: str, device: str = "cpu"
) -> Iterator[int | None]:
    """Decode the planned frames with ``clips`` and transform them in torch, via a DataLoader."""
    from torch.utils.data import DataLoader

    dataset = _TransformedClips(work.plan, clips, work.config)
    loader = DataLoader(dataset, batch_size=work.batch_size, num_workers=num_workers, shuffle=False)

    def one_pass() -> Iterator[int]:
        for batch in loader:
            video = batch["video"]
            if device != "cpu" and video.device.type == "cpu":
                raise RuntimeError(f"{row}: expected batches on {device}, got {video.device}")
            yield _check_clips(video, None, row, work.config)

    yield from two_passes(one_pass, warmup_batches=1)
