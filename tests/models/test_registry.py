"""The backbone registry: names, registration, every entry builds and classifies."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import torch
from torch import nn

import fastvid  # noqa: F401  (installs the PyTorchVideo shim)
from fastvid.models import registry
from fastvid.models.heads import replace_projection
from fastvid.models.registry import (
    backbone_info,
    create_backbone,
    list_backbones,
    register_backbone,
)
from tests.models import random_clip as _clip

pytestmark = pytest.mark.usefixtures("one_thread")

# ---------------------------------------------------------------------------- every entry


# Entries whose smallest clip is too costly for a CPU test run with a reduced configuration
# instead, and why. Everything else runs at its registered min_input.
REDUCED_FOR_CPU: dict[str, tuple[dict[str, Any], tuple[int, int, int], str]] = {
    "mvit_base_32x3": (
        {"temporal_size": 4, "spatial_size": 64},
        (4, 64, 64),
        "its only clip is 32x224x224 (~170 GFLOPs, ~7 s on one core); apart from the length of "
        "its temporal position embedding it is mvit_base_16x4, which runs at full size",
    ),
}


@pytest.mark.parametrize("name", list_backbones())
def test_every_backbone_builds_and_classifies_its_smallest_clip(name: str) -> None:
    info = backbone_info(name)
    kwargs, clip_shape, _why = REDUCED_FOR_CPU.get(name, ({}, info.min_input, ""))
    model, num_features = create_backbone(name, pretrained=False, num_classes=3, **kwargs)
    model.eval()
    projection = model.get_submodule(info.projection)
    seen: list[torch.Tensor] = []
    projection.register_forward_hook(lambda _m, inputs, _out: seen.append(inputs[0]))
    clip = _clip(clip_shape)

    with torch.no_grad():
        logits = model(clip)

    assert logits.shape == (1, 3)
    feature_axis = 1 if isinstance(projection, nn.Conv3d) else -1
    assert seen[0].shape[feature_axis] == num_features
    assert not any(isinstance(m, nn.Softmax) for m in model.modules()), "logits, not softmax"
    if info.max_input == (None, None, None):  # cheap: check the headless form too
        replace_projection(model, info.projection, None)
        with torch.no_grad():
            assert model(clip).shape == (1, num_features)


# ---------------------------------------------------------------------------- names


def test_list_backbones_filters_with_fnmatch_case_insensitively() -> None:
    assert list_backbones("x3d*") == ["x3d_l", "x3d_m", "x3d_s", "x3d_xs"]
    assert list_backbones("X3D_XS") == ["x3d_xs"]
    assert "slowfast_r50" in list_backbones("*r50*")
    assert list_backbones() == sorted(list_backbones())
    assert list_backbones("nothing*") == []


def test_unknown_name_lists_close_matches() -> None:
    with pytest.raises(ValueError, match=r"unknown backbone 'x3d_xss'.*'x3d_xs'"):
        create_backbone("x3d_xss")


def test_unknown_name_without_close_matches_lists_all_names() -> None:
    with pytest.raises(ValueError, match=r"available backbones: \[.*'x3d_xs'"):
        backbone_info("qqqqqqqqqqqqqq")


def test_register_custom_backbone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_BACKBONES", dict(registry._BACKBONES))

    @register_backbone("tiny", source="custom", projection="1", min_input=(1, 4, 4))
    def tiny() -> nn.Module:
        return nn.Sequential(nn.Flatten(1), nn.LazyLinear(5))

    assert "tiny" in list_backbones()
    with pytest.raises(ValueError, match="already registered"):
        register_backbone("tiny", source="custom", projection="1", min_input=(1, 4, 4))
    with pytest.raises(ValueError, match=r"source \('hub'\) must be one of"):
        register_backbone("other", source="hub", projection="1", min_input=(1, 4, 4))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"min_input \(\(1, 4\)\)"):
        register_backbone("other", source="custom", projection="1", min_input=(1, 4))  # type: ignore[arg-type]


def test_bad_num_classes() -> None:
    with pytest.raises(ValueError, match=r"num_classes \(0\) must be >= 1"):
        create_backbone("x3d_xs", num_classes=0)


# ---------------------------------------------------------------------------- inputs


def test_check_input_names_the_accepted_sizes() -> None:
    info = backbone_info("mvit_base_16x4")
    info.check_input((1, 3, 16, 224, 224))
    with pytest.raises(
        ValueError, match=r"'mvit_base_16x4' cannot take clips of .* \(8, 224, 224\)"
    ):
        info.check_input((1, 3, 8, 224, 224))
    backbone_info("x3d_xs").check_input((2, 3, 1, 1, 1))
    with pytest.raises(ValueError, match="at least"):
        backbone_info("s3d").check_input((2, 3, 4, 17, 17))


def test_listing_backbones_does_not_import_torchvision_models() -> None:
    code = (
        "import sys, fastvid.models as m; names = m.list_backbones(); "
        "assert 'r3d_18' in names and 'torchvision.models' not in sys.modules, sorted(sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
