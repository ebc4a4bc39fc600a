"""``VideoClassifier``: a registry backbone, a linear head and Lightning's training steps.

Mirrors Lightning Flash 0.8's ``flash.video.VideoClassifier``: the same constructor (positional
order and defaults), the backbone's final projection replaced by
``Linear(num_features, num_classes)``, Flash's optimizer / scheduler / loss / metric forms and
logged names (``train_cross_entropy``, ``val_accuracy``, ...), its ``available_*`` registries
and a ``backbone`` attribute for the finetuning strategies.

Batches are the dicts ``fastvid.data.VideoClassificationData`` yields, or Flash's::

    {"video": (B, C, T, H, W) float, "label": (B,) int64, "video_name": list[str], ...}
    {"input": (B, C, T, H, W) float, "target": (B,) int64, ...}
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pytorch_lightning as pl
import torch
from torch import Tensor, nn

from fastvid.models._arguments import (
    Head,
    MetricsArg,
    build_metrics,
    check_labels,
    check_learning_rate,
    check_num_classes,
    resolve_head,
    resolve_losses,
)
from fastvid.models._optim import (
    build_lr_scheduler,
    build_optimizer,
    check_lr_scheduler,
    check_optimizer,
)
from fastvid.models._task import FlashTaskMixin
from fastvid.models.registry import BackboneInfo, backbone_info, create_backbone

__all__ = ["VideoClassifier", "average_by_video"]

# The first key found names the clips / the targets: fastvid's, then Flash's (DataKeys).
VIDEO_KEYS: tuple[str, ...] = ("video", "input")
LABEL_KEYS: tuple[str, ...] = ("label", "target")
# Batch entries predict_step passes through so callers can group clips by video.
_PASS_THROUGH_KEYS: tuple[str, ...] = ("video_name", "video_index", "clip_index", "aug_index")


class VideoClassifier(FlashTaskMixin, pl.LightningModule):
    """Classify video clips with a backbone from :func:`fastvid.models.list_backbones`.

    Args:
        num_classes: Number of classes. Default: ``None`` (``len(labels)``).
        labels: Class names, index ``i`` naming class ``i``. Default: ``None``.
        backbone: A registry name or an ``nn.Module`` mapping ``(B, C, T, H, W)`` clips to
            ``(B, num_features)`` features. Default: ``"x3d_xs"``.
        backbone_kwargs: Passed to the backbone's builder (a registry name only).
            Default: ``None``.
        pretrained: ``True`` for the published weights, downloaded into ``torch.hub``'s cache
            on first use as ``torch.hub`` does (progress bar; hash checked where the file name
            carries one); ``False`` for random weights; or a path to a local state dict.
            Default: ``True``.
        loss_fn: ``loss_fn(logits, target)``, a list or a ``{name: loss}`` dict (summed).
            Default: ``None`` (``F.cross_entropy``; with ``multi_label``,
            ``F.binary_cross_entropy_with_logits``).
        optimizer: A name from :meth:`available_optimizers` (any case), ``(name, kwargs)``, an
            ``Optimizer`` class, a factory ``f(params, **kwargs)`` or an ``Optimizer``
            instance over this model's parameters. Default: ``"Adam"``.
        lr_scheduler: ``None``, a name from :meth:`available_lr_schedulers`,
            ``(name, kwargs)``, ``(name, kwargs, lightning_config)`` (``interval``,
            ``frequency``, ``monitor``, ...), a scheduler class or a factory ``f(optimizer)``.
            Named step-based schedulers step every optimizer step, as in Flash.
            Default: ``None``.
        metrics: A torchmetrics ``Metric``, a ``Metric`` class, a function
            ``f(probabilities, target)``, or a list or ``{name: metric}`` dict of those, logged
            as ``train_<name>``, ``val_<name>``, ``test_<name>``. Default: ``None``
            (multiclass ``Accuracy``, logged as ``accuracy``; with ``multi_label``,
            ``F1Score``).
        learning_rate: The optimizer's ``lr``; ``None`` keeps the optimizer's default.
            Default: ``None``.
        head: An ``nn.Module`` or a function mapping features to logits.
            Default: ``None`` (``Sequential(Flatten(), Linear(num_features, num_classes))``).
        optimizer_kwargs: Extra optimizer arguments (fastvid). Default: ``None``.
        multi_label: Targets are ``(B, num_classes)`` multi-hot vectors (fastvid).
            Default: ``False``.
    """

    def __init__(
        self,
        num_classes: int | None = None,
        labels: Sequence[str] | None = None,
        backbone: str | nn.Module = "x3d_xs",
        backbone_kwargs: Mapping[str, Any] | None = None,
        pretrained: bool | str | os.PathLike[str] = True,
        loss_fn: Any = None,
        optimizer: Any = "Adam",
        lr_scheduler: Any = None,
        metrics: MetricsArg = None,
        learning_rate: float | None = None,
        head: Head | None = None,
        *,
        optimizer_kwargs: Mapping[str, Any] | None = None,
        multi_label: bool = False,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=_unsaveable_arguments(locals()))
        self.labels = check_labels(labels)
        self.num_classes = check_num_classes(num_classes, self.labels)
        self.multi_label = bool(multi_label)
        self.learning_rate = check_learning_rate(learning_rate)
        check_optimizer(optimizer, self.optimizers_registry)
        check_lr_scheduler(lr_scheduler, self.lr_schedulers_registry)
        self.optimizer = optimizer
        self.lr_scheduler = lr_scheduler
        self.optimizer_kwargs = dict(optimizer_kwargs or {})
        losses = resolve_losses(loss_fn, self.multi_label)
        # Flash keeps losses as a dict, a ModuleDict when they are modules (buffers move along).
        modules = {k: fn for k, fn in losses.items() if isinstance(fn, nn.Module)}
        self.loss_fn: nn.ModuleDict | dict[str, Callable[[Tensor, Tensor], Tensor]] = (
            nn.ModuleDict(modules) if len(modules) == len(losses) else losses
        )

        self.backbone_info: BackboneInfo | None = (
            backbone_info(backbone) if isinstance(backbone, str) else None
        )
        self.backbone, num_features = _build_backbone(backbone, backbone_kwargs, pretrained)
        self.head = resolve_head(head, num_features, self.num_classes)

        metric_modules, self._metric_functions = build_metrics(
            metrics, self.num_classes, multi_label
        )
        self.train_metrics = nn.ModuleDict(metric_modules)
        self.val_metrics = nn.ModuleDict({k: m.clone() for k, m in metric_modules.items()})
        self.test_metrics = nn.ModuleDict({k: m.clone() for k, m in metric_modules.items()})

    @classmethod
    def load_from_checkpoint(
        cls, checkpoint_path: Any, *args: Any, **kwargs: Any
    ) -> VideoClassifier:
        """Lightning's ``load_from_checkpoint``; the backbone is built with ``pretrained=False``
        (the checkpoint holds its weights) unless ``pretrained=`` is passed."""
        kwargs.setdefault("pretrained", False)
        loaded: VideoClassifier = super().load_from_checkpoint(checkpoint_path, *args, **kwargs)
        return loaded

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
        losses = {name: fn(logits, loss_target) for name, fn in self.loss_fn.items()}
        values = list(losses.values())
        loss = values[0]
        for value in values[1:]:  # several losses: their sum, as in Flash
            loss = loss + value
        probabilities = self.to_probabilities(logits.detach())
        metric_target = target.long()
        # Flash's Task.step: each Metric is called (its batch value for the step logs, its
        # accumulated value at the epoch's end); functions give the batch value.
        logs: dict[str, Any] = {}
        metrics: nn.ModuleDict = getattr(self, f"{stage}_metrics")
        for name, metric in metrics.items():
            metric(probabilities, metric_target)
            logs[name] = metric
        for name, function in self._metric_functions.items():
            logs[name] = function(probabilities, metric_target)
        logs.update(losses)
        if len(losses) > 1:
            logs["total_loss"] = loss
        logs.setdefault("loss", loss)  # fastvid's {stage}_loss (ReduceLROnPlateau's monitor)
        on_step = stage == "train"
        self.log_dict(
            {f"{stage}_{name}": value for name, value in logs.items()},
            on_step=on_step,
            on_epoch=True,
            prog_bar=True,
            batch_size=video.shape[0],
        )
        return loss

    def training_step(self, batch: Mapping[str, Any], batch_idx: int) -> Tensor:
        """Loss of one batch; logs ``train_<loss name>``, ``train_loss`` and
        ``train_<metric>``, per step and per epoch (``_step`` / ``_epoch`` suffixes)."""
        return self._step(batch, "train")

    def validation_step(self, batch: Mapping[str, Any], batch_idx: int) -> Tensor:
        """Logs ``val_<loss name>``, ``val_loss`` and ``val_<metric>`` per epoch."""
        return self._step(batch, "val")

    def test_step(self, batch: Mapping[str, Any], batch_idx: int) -> Tensor:
        """Logs ``test_<loss name>``, ``test_loss`` and ``test_<metric>`` per epoch."""
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
        """The optimizer over trainable parameters; with a scheduler, Flash's
        ``([optimizer], [scheduler_config])``."""
        optimizer = build_optimizer(
            self.optimizer,
            self,
            learning_rate=self.learning_rate,
            extra_kwargs=self.optimizer_kwargs,
            registry=self.optimizers_registry,
        )
        if self.lr_scheduler is None:
            return optimizer
        config = build_lr_scheduler(
            self.lr_scheduler, optimizer, registry=self.lr_schedulers_registry
        )
        return [optimizer], [config]


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
    return create_backbone(backbone, pretrained=pretrained, **kwargs)


def _first_key(batch: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    return next((key for key in keys if key in batch), None)


def _unpack(batch: Mapping[str, Any], *, need_label: bool) -> tuple[Tensor, Tensor]:
    video_key = _first_key(batch, VIDEO_KEYS) if isinstance(batch, Mapping) else None
    if video_key is None:
        got = sorted(batch) if isinstance(batch, Mapping) else type(batch).__name__
        raise ValueError(
            f"batches must be dicts with a 'video' (or Flash's 'input') tensor; got {got}"
        )
    label_key = _first_key(batch, LABEL_KEYS)
    if need_label and label_key is None:
        raise ValueError(
            f"training batches need a 'label' (or Flash's 'target') entry; got keys {sorted(batch)}"
        )
    video = batch[video_key]
    target = batch[label_key] if label_key is not None else torch.empty(0)
    return video, torch.as_tensor(target)


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
