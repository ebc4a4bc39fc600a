"""Image files (JPEG, PNG, ...) decoded by DALI: nvJPEG on the GPU, DALI's CPU decoder here.

Frame-folder videos (PyTorchVideo's ``FrameVideo``) are folders of images, one per frame; their
clips are decoded here, a clip's frames as one DALI batch. :class:`ImageDecoder` keeps one built
pipeline per process and batch size; like :class:`~fastvid.reader.dali.pipeline.ClipPipeline`
it never runs a DALI destructor in a forked child (a torch ``DataLoader`` worker), where DALI's
threads do not exist: the child builds its own pipeline on first use.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from nvidia.dali import fn, types
from nvidia.dali.pipeline import Pipeline

from fastvid.reader.dali.pipeline import DaliRunError, _dali_reason, _keep_forever

__all__ = ["ImageDecoder"]


class ImageDecoder:
    """Decodes encoded images to RGB ``HWC`` uint8 arrays with ``fn.decoders.image``.

    Args:
        device: ``"cpu"`` (DALI's CPU decoder: libjpeg-turbo, libpng, ...) or ``"gpu"``
            (nvJPEG through DALI's ``mixed`` decoder). Default: ``"cpu"``.
        device_id: CUDA device for ``device="gpu"``. Default: ``0``.
        num_threads: DALI threads. Default: ``1``.

    Example::

        decoder = ImageDecoder()
        frames = decoder.decode([open(p, "rb").read() for p in paths])  # list of (H, W, 3)
    """

    def __init__(
        self,
        *,
        device: Literal["cpu", "gpu"] = "cpu",
        device_id: int = 0,
        num_threads: int = 1,
    ) -> None:
        if device not in ("cpu", "gpu"):
            raise ValueError(f"device ({device!r}) must be 'cpu' or 'gpu'")
        self.device = device
        self.device_id = device_id
        self.num_threads = num_threads
        self._pipes: dict[int, Pipeline] = {}  # batch size -> built pipeline
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def decode(self, encoded: Sequence[bytes | np.ndarray]) -> list[np.ndarray]:
        """Decode images (their files' bytes), in order.

        Args:
            encoded: Each image's file contents.

        Returns:
            One RGB ``(H, W, 3)`` uint8 array per image (images may differ in size).

        Raises:
            DaliRunError: DALI cannot decode one of them (not an image, truncated, ...).
        """
        if not encoded:
            return []
        arrays = [np.frombuffer(data, dtype=np.uint8) for data in encoded]
        with self._lock:
            pipe = self._pipeline(len(arrays))
            pipe.feed_input("encoded", arrays)
            try:
                (out,) = pipe.run()
            except RuntimeError as exc:
                raise DaliRunError(_dali_reason(exc)) from exc
            if self.device == "gpu":
                out = out.as_cpu()
            return [np.array(out.at(i)) for i in range(len(arrays))]

    def _pipeline(self, batch_size: int) -> Pipeline:
        if self._pid != os.getpid():  # forked: the parent's pipelines are not ours to destroy
            for parents in self._pipes.values():
                _keep_forever(parents)
            self._pipes = {}
            self._pid = os.getpid()
        # Power-of-two batch sizes: few pipelines, each fed up to its size.
        size = 1 << max(0, (batch_size - 1).bit_length())
        if size not in self._pipes:
            self._pipes[size] = _build(size, self.device, self.device_id, self.num_threads)
        return self._pipes[size]

    def close(self) -> None:
        """Stop DALI's threads now (idempotent; in a forked child, only forgets them)."""
        pipes, self._pipes = self._pipes, {}
        if self._pid != os.getpid():
            for pipe in pipes.values():
                _keep_forever(pipe)
            return
        for pipe in pipes.values():
            pipe._shutdown()

    def __del__(self) -> None:
        # Not contextlib.suppress: at interpreter exit the module's globals may be gone.
        try:  # noqa: SIM105
            self.close()
        except Exception:  # a finaliser must not raise
            pass

    def __getstate__(self) -> dict[str, Any]:
        return {"device": self.device, "device_id": self.device_id, "threads": self.num_threads}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            device=state["device"], device_id=state["device_id"], num_threads=state["threads"]
        )


def _build(batch_size: int, device: str, device_id: int, num_threads: int) -> Pipeline:
    gpu = device == "gpu"
    pipe = Pipeline(
        batch_size=batch_size,
        num_threads=num_threads,
        device_id=device_id if gpu else None,
        prefetch_queue_depth=1,
        exec_dynamic=True,  # a failed run leaves the pipeline usable
    )
    with pipe:
        encoded = fn.external_source(name="encoded", no_copy=False)
        images = fn.decoders.image(
            encoded, device="mixed" if gpu else "cpu", output_type=types.DALIImageType.RGB
        )
        pipe.set_outputs(images)
    pipe.build()
    return pipe
