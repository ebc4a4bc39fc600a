"""``flash.core.finetuning``: the finetuning strategies ``Trainer.finetune`` takes."""

from fastvid.models.finetuning import Freeze, FreezeUnfreeze, NoFreeze, UnfreezeMilestones

__all__ = ["Freeze", "FreezeUnfreeze", "NoFreeze", "UnfreezeMilestones"]
