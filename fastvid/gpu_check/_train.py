"""One ``Trainer.finetune`` run of X3D-S on batches the GPU loader decodes (a few steps)."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

__all__ = ["training_step"]


def training_step(
    paths: Sequence[Path],
    *,
    device: str = "gpu",
    batch_size: int = 4,
    steps: int = 2,
    transform: Any = None,
) -> dict[str, Any]:
    """Fit ``x3d_s`` (random weights) for ``steps`` steps, Flash-style, and report each step.

    The data module decodes with ``device`` (NVDEC where the routing allows) and ``transform``
    (default: the seed transform); the Trainer runs on the GPU when ``device="gpu"``.

    Returns:
        ``step_seconds``, ``losses``, ``batch_device``, ``batch_shape``, ``params_changed``,
        ``seconds`` (all of it, the model build and the loader start included), ``problems``.
    """
    from torch.utils.data import SequentialSampler

    import fastvid
    from fastvid.gpu_check._runs import seed_transform
    from fastvid.video import VideoClassificationData, VideoClassifier

    started = time.perf_counter()
    datamodule = VideoClassificationData.from_files(
        train_files=[str(p) for p in paths],
        train_targets=[i % 2 for i in range(len(paths))],
        train_transform={"post_tensor_transform": transform or seed_transform()},
        clip_sampler="uniform",
        clip_duration=2,
        video_sampler=SequentialSampler,
        batch_size=batch_size,
        device=device,
        seed=0,
    )
    model = VideoClassifier(num_classes=2, backbone="x3d_s", pretrained=False)
    head = [p for p in model.parameters() if p.requires_grad][-1]
    before = head.detach().clone()
    timer = _step_timer()
    trainer = fastvid.Trainer(
        max_steps=steps,
        accelerator="gpu" if device == "gpu" else "cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        limit_val_batches=0,
        callbacks=[timer],
    )
    try:
        trainer.finetune(model, datamodule=datamodule, strategy="no_freeze")
    finally:
        for loader in getattr(datamodule, "_loaders", {}).values():
            loader.close()
    changed = not torch.equal(before.cpu(), head.detach().cpu())
    result: dict[str, Any] = {
        "backbone": "x3d_s",
        "steps": len(timer.seconds),
        "step_seconds": [round(s, 4) for s in timer.seconds],
        "losses": [round(v, 5) for v in timer.losses],
        "batch_device": sorted(timer.devices),
        "batch_shape": timer.shape,
        "params_changed": changed,
        "seconds": round(time.perf_counter() - started, 2),
    }
    problems = []
    if len(timer.seconds) < steps:
        problems.append(f"ran {len(timer.seconds)} of {steps} steps")
    if not all(math.isfinite(v) for v in timer.losses):
        problems.append(f"non-finite loss {timer.losses}")
    if not changed:
        problems.append("the head's weights did not change")
    if device == "gpu" and any(not d.startswith("cuda") for d in timer.devices):
        problems.append(f"batches on {sorted(timer.devices)}, expected cuda")
    result["problems"] = problems
    return result


def _step_timer() -> Any:
    """A Lightning callback that times each training step and keeps its loss."""
    import pytorch_lightning as pl

    class StepTimer(pl.Callback):
        def __init__(self) -> None:
            self.seconds: list[float] = []
            self.losses: list[float] = []
            self.devices: set[str] = set()
            self.shape: list[int] = []
            self._began = 0.0

        def on_train_batch_start(
            self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int
        ) -> None:
            video = batch["video"]
            self.devices.add(str(video.device))
            self.shape = list(video.shape)
            self._began = time.perf_counter()

        def on_train_batch_end(
            self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int
        ) -> None:
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            self.seconds.append(time.perf_counter() - self._began)
            loss = outputs["loss"] if isinstance(outputs, dict) else outputs
            self.losses.append(float(loss.detach()) if torch.is_tensor(loss) else float("nan"))

    return StepTimer()
