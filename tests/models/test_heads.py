"""Head surgery: clamped pools, projection replacement, removed softmax, Flash's linear head."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from fastvid.models.heads import (
    ClampedAvgPool3d,
    clamp_avg_pools,
    drop_head_activation,
    linear_head,
    projection_features,
    replace_projection,
)


@pytest.mark.parametrize(
    ("kernel", "shape"),
    [
        ((4, 5, 5), (4, 5, 5)),
        ((4, 5, 5), (6, 9, 7)),
        ((8, 7, 7), (8, 7, 7)),
        ((2, 3, 3), (5, 8, 8)),
    ],
)
def test_clamped_pool_equals_avgpool_where_the_input_fits(kernel: tuple, shape: tuple) -> None:
    x = torch.randn(2, 3, *shape)
    expected = nn.AvgPool3d(kernel, stride=1)(x)
    torch.testing.assert_close(ClampedAvgPool3d(kernel, stride=1)(x), expected)


def test_clamped_pool_pools_everything_on_a_smaller_input() -> None:
    x = torch.randn(2, 3, 2, 3, 4)
    out = ClampedAvgPool3d((8, 7, 7), stride=1)(x)
    torch.testing.assert_close(out, x.mean(dim=(2, 3, 4), keepdim=True))


class _Head(nn.Module):
    """PyTorchVideo's ``ResNetBasicHead`` shape: pool, projection, then an activation."""

    def __init__(self, activation: nn.Module | None) -> None:
        super().__init__()
        self.pool = nn.AvgPool3d((2, 3, 3), stride=1)
        self.padded_pool = nn.AvgPool3d((1, 3, 3), stride=1, padding=(0, 1, 1))
        self.proj = nn.Linear(4, 5)
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.padded_pool(x)).flatten(1)
        x = self.proj(x)
        return x if self.activation is None else self.activation(x)


def _model(activation: nn.Module | None = None) -> nn.Module:
    return nn.Sequential(nn.Identity(), _Head(activation))


def test_clamp_avg_pools_swaps_only_unpadded_pools_and_keeps_their_output() -> None:
    model = _model()
    x = torch.randn(1, 4, 2, 3, 3)  # exactly the kernel: the very same operation
    with torch.no_grad():
        before = model(x)
        assert clamp_avg_pools(model) == 1
        after = model(x)
    head = model.get_submodule("1")
    assert type(head.pool) is ClampedAvgPool3d and head.pool.kernel_size == (2, 3, 3)
    assert type(head.padded_pool) is nn.AvgPool3d
    torch.testing.assert_close(after, before)
    with torch.no_grad():
        assert model(torch.randn(1, 4, 1, 3, 3)).shape == (1, 5)  # T below the kernel


def test_projection_features() -> None:
    assert projection_features(nn.Linear(7, 3)) == 7
    assert projection_features(nn.Conv3d(9, 3, kernel_size=1)) == 9
    with pytest.raises(TypeError, match=r"must be nn\.Linear or nn\.Conv3d, got ReLU"):
        projection_features(nn.ReLU())


def test_replace_projection_with_identity_returns_features() -> None:
    model = _model()
    assert replace_projection(model, "1.proj", None) == 4
    assert isinstance(model.get_submodule("1.proj"), nn.Identity)
    with torch.no_grad():
        assert model(torch.randn(2, 4, 2, 3, 3)).shape == (2, 4)


def test_replace_projection_with_new_classes_keeps_the_kind_and_bias() -> None:
    model = _model()
    old = model.get_submodule("1.proj")
    assert replace_projection(model, "1.proj", 11) == 4
    new = model.get_submodule("1.proj")
    assert isinstance(new, nn.Linear) and (new.in_features, new.out_features) == (4, 11)
    assert new is not old

    conv = nn.Sequential(nn.Conv3d(6, 400, kernel_size=1, bias=False))
    assert replace_projection(conv, "0", 3) == 6
    layer = conv.get_submodule("0")
    assert isinstance(layer, nn.Conv3d) and layer.out_channels == 3 and layer.bias is None


def test_drop_head_activation_turns_probabilities_into_logits() -> None:
    model = _model(nn.Softmax(dim=1))
    x = torch.randn(2, 4, 2, 3, 3)
    with torch.no_grad():
        probabilities = model(x)
        drop_head_activation(model, "1.proj")
        logits = model(x)
    assert model.get_submodule("1").activation is None
    torch.testing.assert_close(torch.softmax(logits, dim=1), probabilities)


def test_drop_head_activation_leaves_other_models_alone() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(3, 2))
    drop_head_activation(model, "1")  # the parent is the model itself, with no activation
    assert [type(m) for m in model] == [nn.Flatten, nn.Linear]


def test_linear_head_is_flashs_default() -> None:
    torch.manual_seed(0)
    head = linear_head(6, 3)
    features = torch.randn(4, 6, 1, 1, 1)
    linear = head[1]
    assert isinstance(linear, nn.Linear) and (linear.in_features, linear.out_features) == (6, 3)
    torch.testing.assert_close(head(features), linear(features.flatten(1)))
