"""Adapters: SlowFast's pathways from one clip, frame-wise MViT; adapted models pickle."""

from __future__ import annotations

import pickle

import pytest
import torch

import fastvid  # noqa: F401  (installs the PyTorchVideo shim)
from fastvid.models import adapters, registry
from fastvid.models.adapters import pack_pathways
from fastvid.models.registry import create_backbone
from tests.models import random_clip as _clip

pytestmark = pytest.mark.usefixtures("one_thread")


def _tutorial_pack_pathway(frames: torch.Tensor, alpha: int) -> list[torch.Tensor]:
    """PyTorchVideo's SlowFast tutorial ``PackPathway`` (one clip, C x T x H x W)."""
    fast = frames
    index = torch.linspace(0, frames.shape[1] - 1, frames.shape[1] // alpha).long()
    slow = torch.index_select(frames, 1, index)
    return [slow, fast]


@pytest.mark.parametrize("num_frames", [4, 8, 32, 64])
def test_pack_pathways_matches_the_pytorchvideo_tutorial(num_frames: int) -> None:
    clips = torch.randn(3, 3, num_frames, 2, 2)
    slow, fast = pack_pathways(clips, 4)
    for i, clip in enumerate(clips):
        expected_slow, expected_fast = _tutorial_pack_pathway(clip, 4)
        torch.testing.assert_close(slow[i], expected_slow)
        torch.testing.assert_close(fast[i], expected_fast)


def test_slowfast_rejects_clip_lengths_it_cannot_split() -> None:
    model, _ = create_backbone("slowfast_r50")
    with pytest.raises(ValueError, match=r"T a multiple of 4, got shape \(1, 3, 6, 8, 8\)"):
        model(torch.randn(1, 3, 6, 8, 8))


@pytest.mark.parametrize(
    ("name", "clip"), [("slowfast_r50", (4, 8, 8)), ("mvit_base_16", (2, 224, 224))]
)
def test_adapted_models_pickle(name: str, clip: tuple[int, int, int]) -> None:
    model, _ = create_backbone(name, num_classes=3)
    restored = pickle.loads(pickle.dumps(model))
    assert type(restored) is type(model)
    x = _clip(clip)
    with torch.no_grad():
        torch.testing.assert_close(restored.eval()(x), model.eval()(x))


def test_slowfast_keeps_pytorchvideo_state_dict_keys() -> None:
    from pytorchvideo.models import hub

    ours, _ = create_backbone("slowfast_r50", num_classes=400)
    theirs = hub.slowfast_r50(pretrained=False)
    assert ours.state_dict().keys() == theirs.state_dict().keys()


def test_models_pickled_under_the_old_module_name_still_load() -> None:
    assert registry.SlowFastNet is adapters.SlowFastNet is adapters.slowfast_class()
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        _ = registry.Nope
