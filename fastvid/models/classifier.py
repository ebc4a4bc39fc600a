"""``VideoClassifier``: a registry backbone, a linear head and Lightning's training steps.

Mirrors Lightning Flash's ``flash.video.VideoClassifier``: same constructor arguments, the
backbone's final projection replaced by ``Linear(num_features, num_classes)``, ``train_loss`` /
``val_accuracy``-style logging, and a ``backbone`` attribute for the finetuning strategies.

Batches are the dicts ``fastvid.data.VideoClassificationData`` yields::

    {"video": (B, C, T, H, W) float, "label": (B,) int64, "video_name": list[str],
     "video_index": ..., "clip_index": ..., "aug_index": ...}
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pytorch_lightning as pl
import torch
from torch import Tensor, nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import ReduceLROnPlateau
from torchmetrics import MetricCollection

from fastvid.models._arguments import (
    Head,
    LossFn,
    MetricsArg,
    build_metrics,
    check_labels,
    check_learning_rate,
    check_num_classes,
    resolve_head,
    resolve_loss_fn,
    resolve_optimizer,
    resolve_scheduler,
)
from fastvid.models.registry import BackboneInfo, backbone_info, create_backbone, list_backbones

__all__ = ["VideoClassifier", "average_by_video"]

VIDEO_KEY = "video"
LABEL_KEY = "label"
# Batch entries predict_step passes through so callers can group clips by video.
_PASS_THROUGH_KEYS: tuple[str, ...] = ("video_name", "video_index", "clip_index", "aug_index")
_STAGES: tuple[str, ...] = ("train", "val", "test")


class VideoClassifier(pl.LightningModule):
    """Classify video clips with a backbone from :func:`fastvid.models.list_backbones`.

    Args:
        num_classes: Number of classes. Default: ``None`` (``len(labels)``).
        labels: Class names, index ``i`` naming class ``i``. Default: ``None``.
        backbone: A registry name or an ``nn.Module`` mapping ``(B, C, T, H, W)`` clips to
            ``(B, num_features)`` features. Default: ``"x3d_xs"``.
        backbone_kwargs: Passed to the backbone's builder (a registry name only).
            Default: ``None``.
        pretrained: ``True`` for the published weights from ``torch.hub``'s cache (never
            downloaded: a missing file raises ``FileNotFoundError`` naming the path and URL),
            ``False`` for random weights, or a path to a local state dict. When loading a
            checkpoint elsewhere, pass ``pretrained=False`` to ``load_from_checkpoint``.
            Default: ``True``.
        head: An ``nn.Module`` or a function mapping features to logits.
            Default: ``None`` (``Sequential(Flatten(), Linear(num_features, num_classes))``).
        loss_fn: ``loss_fn(logits, target)``. Default: ``None`` (``F.cross_entropy``; with
            ``multi_label``, ``F.binary_cross_entropy_with_logits``).
        optimizer: A ``torch.optim`` name (case-insensitive), an ``Optimizer`` class or a
            factory ``f(params, lr=..., **optimizer_kwargs)``. Default: ``"Adam"``.
        optimizer_kwargs: Extra optimizer arguments. Default: ``None``.
        lr_scheduler: ``None``, a ``torch.optim.lr_scheduler`` name or class (or a factory
            ``f(optimizer, **kwargs)``), ``(scheduler, kwargs)`` or
            ``(scheduler, kwargs, lightning_config)`` where ``lightning_config`` holds
            Lightning's ``interval`` / ``frequency`` / ``monitor``. Default: ``None``.
        metrics: A torchmetrics ``Metric``, a list of them or a ``{name: Metric}`` dict,
            logged as ``train_<name>``, ``val_<name>``, ``test_<name>``.
            Default: ``None`` (multiclass ``Accuracy``; with ``multi_label``, ``F1Score``).
        learning_rate: The optimizer's ``lr``; ``None`` keeps the optimizer's default.
            Default: ``1e-3``.
        multi_label: Targets are ``(B, num_classes)`` multi-hot vectors. Default: ``False``.
    """

    def __init__(
        self,
        num_classes: int | None = None,
        labels: Sequence[str] | None = None,
        *,
        backbone: str | nn.Module = "x3d_xs",
        backbone_kwargs: Mapping[str, Any] | None = None,
        pretrained: bool | str | os.PathLike[str] = True,
        head: Head | None = None,
        loss_fn: LossFn | None = None,
        optimizer: str | type[Optimizer] | Callable[..., Optimizer] = "Adam",
        optimizer_kwargs: Mapping[str, Any] | None = None,
        lr_scheduler: Any = None,
        metrics: MetricsArg = None,
        learning_rate: float | None = 1e-3,
        multi_label: bool = False,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=_unsaveable_arguments(locals()))
        self.labels = check_labels(labels)
        self.num_classes = check_num_classes(num_classes, self.labels)
        self.multi_label = bool(multi_label)
        self.learning_rate = check_learning_rate(learning_rate)
        self._optimizer_factory = resolve_optimizer(optimizer)
        self.optimizer_kwargs = dict(optimizer_kwargs or {})
        self._scheduler = resolve_scheduler(lr_scheduler)
        self.loss_fn = resolve_loss_fn(loss_fn, self.multi_label)

        self.backbone_info: BackboneInfo | None = (
            backbone_info(backbone) if isinstance(backbone, str) else None
        )
        self.backbone, num_features = _build_backbone(backbone, backbone_kwargs, pretrained)
        self.head = resolve_head(head, num_features, self.num_classes)

        collection = build_metrics(metrics, self.num_classes, self.multi_label)
        self.train_metrics = collection.clone(prefix="train_")
        self.val_metrics = collection.clone(prefix="val_")
        self.test_metrics = collection.clone(prefix="test_")

    @classmethod
    def available_models(cls) -> list[str]:
        """Names accepted as ``backbone`` (Flash's spelling)."""
        return list_backbones()

    @classmethod
    def available_backbones(cls, filter: str | None = None) -> list[str]:
        """Names accepted as ``backbone``, optionally filtered by an ``fnmatch`` pattern.

        Args:
            filter: Pattern such as ``"x3d*"``. Default: ``None`` (all).
        """
        return list_backbones(filter)

    def modules_to_freeze(self) -> nn.Module:
        """The part the finetuning strategies freeze (Flash's hook): the backbone."""
        return self.backbone

    # ------------------------------------------------------------------ forward and steps

    def forward(self, x: Tensor) -> Tensor:
        """Logits ``(B, num_classes)`` for clips ``(B, C, T, H, W)``."""
        if x.dim() != 5:
            raise ValueError(f"expected clips of shape (B, C, T, H, W), got {tuple(x.shape)}")
        if self.backbone_info is not None:
            self.backbone_info.check_input(x.shape)
        logits: Tensor = self.head(self.backbone(x))
        return logits

    def to_probabilities(self, logits: Tensor) -> Tensor:
        """Softmax over classes, or an independent sigmoid per class with ``multi_label``."""
        return torch.sigmoid(logits) if self.multi_label else torch.softmax(logits, dim=-1)

    def _step(self, batch: Mapping[str, Any], stage: str) -> Tensor:
        video, target = _unpack(batch, need_label=True)
        logits = self(video)
        loss_target = target.to(logits.dtype) if self.multi_label else target
        loss = self.loss_fn(logits, loss_target)
        n = video.shape[0]
        on_step = stage == "train"
        self.log(f"{stage}_loss", loss, on_step=on_step, on_epoch=True, prog_bar=True, batch_size=n)
        metrics: MetricCollection = getattr(self, f"{stage}_metrics")
        metrics.update(self.to_probabilities(logits.detach()), target.long())
        self.log_dict(metrics, on_step=False, on_epoch=True, batch_size=n)
        return loss

    def training_step(self, batch: Mapping[str, Any], batch_idx: int) -> Tensor:
        """Loss of one batch; logs ``train_loss`` and ``train_<metric>``."""
        return self._step(batch, "train")

    def validation_step(self, batch: Mapping[str, Any], batch_idx: int) -> Tensor:
        """Logs ``val_loss`` and ``val_<metric>``."""
        return self._step(batch, "val")

    def test_step(self, batch: Mapping[str, Any], batch_idx: int) -> Tensor:
        """Logs ``test_loss`` and ``test_<metric>``."""
        return self._step(batch, "test")

    def predict_step(
        self, batch: Mapping[str, Any], batch_idx: int, dataloader_idx: int = 0
    ) -> dict[str, Any]:
        """Per-clip class probabilities (on the CPU) and the batch's video identifiers.

        Returns:
            ``{"probabilities": (B, num_classes), "logits": (B, num_classes),
            "video_name": [...], ...}`` with whichever of
            ``video_name``, ``video_index``, ``clip_index``, ``aug_index`` the batch has; see
            :func:`average_by_video` to turn these into one prediction per video.
        """
        video, _ = _unpack(batch, need_label=False)
        logits = self(video)
        output: dict[str, Any] = {
            "probabilities": self.to_probabilities(logits).detach().cpu(),
            "logits": logits.detach().cpu(),  # Trainer.predict(output=...) reads these
        }
        for key in _PASS_THROUGH_KEYS:
            if key in batch:
                value = batch[key]
                output[key] = value.detach().cpu() if isinstance(value, Tensor) else value
        return output

    def predict(
        self,
        inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
        **kwargs: Any,
    ) -> dict[str, Any]:
        """One label (or probability vector) per video of ``inputs`` (files and/or folders).

        Flash's convenience method; see :func:`fastvid.models.predict.predict_videos` for the
        options (``clip_duration``, ``transform``, ``reduce``, ``return_probabilities``, ...).
        """
        from fastvid.models.predict import predict_videos

        return predict_videos(self, inputs, **kwargs)

    # ------------------------------------------------------------------ optimisation

    def configure_optimizers(self) -> Any:
        """The optimizer over trainable parameters, plus the scheduler if one was given."""
        params = [p for p in self.parameters() if p.requires_grad]
        kwargs = dict(self.optimizer_kwargs)
        if self.learning_rate is not None:
            kwargs.setdefault("lr", self.learning_rate)
        optimizer = self._optimizer_factory(params, **kwargs)
        if self._scheduler is None:
            return optimizer
        scheduler = self._scheduler.factory(optimizer, **self._scheduler.kwargs)
        config: dict[str, Any] = {"interval": "epoch", "frequency": 1}
        if isinstance(scheduler, ReduceLROnPlateau):
            config["monitor"] = "val_loss"
        config.update(self._scheduler.config)
        config["scheduler"] = scheduler
        return {"optimizer": optimizer, "lr_scheduler": config}


def average_by_video(predictions: Iterable[Mapping[str, Any]]) -> dict[str, Tensor]:
    """Average per-clip probabilities from ``Trainer.predict`` into one vector per video.

    Args:
        predictions: The dicts :meth:`VideoClassifier.predict_step` returned (one per batch).

    Returns:
        ``{video_name: (num_classes,) mean probability}``, in order of first appearance.
    """
    sums: dict[str, Tensor] = {}
    counts: dict[str, int] = {}
    for batch in predictions:
        if "video_name" not in batch:
            raise ValueError("predictions lack 'video_name'; the batches must carry video names")
        for name, probs in zip(batch["video_name"], batch["probabilities"], strict=True):
            sums[name] = sums[name] + probs if name in sums else probs.clone()
            counts[name] = counts.get(name, 0) + 1
    return {name: total / counts[name] for name, total in sums.items()}


# ---------------------------------------------------------------------------- helpers


def _build_backbone(
    backbone: str | nn.Module,
    backbone_kwargs: Mapping[str, Any] | None,
    pretrained: bool | str | os.PathLike[str],
) -> tuple[nn.Module, int | None]:
    if isinstance(backbone, nn.Module):
        if backbone_kwargs:
            raise ValueError("backbone_kwargs apply to registry names only, not to modules")
        features = getattr(backbone, "num_features", None)
        return backbone, features if isinstance(features, int) else None
    if not isinstance(backbone, str):
        raise TypeError(
            f"backbone must be a registry name or an nn.Module, got {type(backbone).__name__}"
        )
    kwargs = dict(backbone_kwargs or {})
    # Flash passed these through backbone_kwargs; fastvid handles both itself.
    kwargs.pop("pretrained", None)
    kwargs.pop("head_activation", None)
    try:
        return create_backbone(backbone, pretrained=pretrained, **kwargs)
    except FileNotFoundError as error:
        if pretrained is not True:
            raise
        hint = (
            "restoring a checkpoint? VideoClassifier.load_from_checkpoint(path, pretrained=False)"
        )
        raise FileNotFoundError(f"{error} ({hint})") from error


def _unpack(batch: Mapping[str, Any], *, need_label: bool) -> tuple[Tensor, Tensor]:
    if not isinstance(batch, Mapping) or VIDEO_KEY not in batch:
        got = sorted(batch) if isinstance(batch, Mapping) else type(batch).__name__
        raise ValueError(f"batches must be dicts with a {VIDEO_KEY!r} tensor; got {got}")
    if need_label and LABEL_KEY not in batch:
        raise ValueError(f"training batches need a {LABEL_KEY!r} entry; got keys {sorted(batch)}")
    video = batch[VIDEO_KEY]
    target = batch.get(LABEL_KEY, torch.empty(0))
    return video, target


def _is_plain(value: object) -> bool:
    if value is None or isinstance(value, bool | int | float | str | os.PathLike):
        return True
    if isinstance(value, list | tuple):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False


def _unsaveable_arguments(arguments: Mapping[str, Any]) -> list[str]:
    """Constructor arguments that are modules, functions or classes: kept out of hparams."""
    return [k for k, v in arguments.items() if k not in ("self", "__class__") and not _is_plain(v)]
