"""The backbone registry: every entry builds and runs; weights load only from disk."""

from __future__ import annotations

import pickle
import re
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import fastvid  # noqa: F401  (installs the PyTorchVideo shim)
from fastvid.models import registry
from fastvid.models.heads import ClampedAvgPool3d, replace_projection
from fastvid.models.registry import (
    backbone_info,
    create_backbone,
    download_weights,
    list_backbones,
    pack_pathways,
    register_backbone,
)

# PyTorchVideo hub constructors fastvid does not register, and why.
NOT_REGISTERED = {
    "slow_r50_detection": "AVA detector: its head needs region boxes as a second input",
    "slowfast_r50_detection": "AVA detector: its head needs region boxes as a second input",
}


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def empty_torch_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    return tmp_path


def _clip(shape: tuple[int, int, int], batch: int = 1, seed: int = 0) -> torch.Tensor:
    return torch.randn(batch, 3, *shape, generator=torch.Generator().manual_seed(seed))


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


def test_every_pytorchvideo_hub_constructor_is_registered_or_explained() -> None:
    from pytorchvideo.models import hub

    constructors = {
        n for n in dir(hub) if isinstance(getattr(hub, n), types.FunctionType) and "__" not in n
    }
    assert constructors, "pytorchvideo.models.hub exposes no constructors?"
    registered = set(list_backbones())
    missing = constructors - registered - set(NOT_REGISTERED)
    assert not missing, f"hub constructors neither registered nor explained: {missing}"
    assert not set(NOT_REGISTERED) & registered


def test_every_torchvision_video_model_is_registered() -> None:
    import torchvision.models as tvm

    names = set(tvm.list_models(module=tvm.video))
    assert names
    assert names <= set(list_backbones(filter=None))


def test_published_weight_urls_match_the_libraries() -> None:
    import pytorchvideo.models.hub as hub
    import torchvision.models as tvm

    expected: dict[str, str] = {}
    for module in ("x3d", "resnet", "csn", "r2plus1d", "slowfast", "vision_transformers"):
        expected.update(getattr(hub, module).checkpoint_paths)
    expected.update(hub.efficient_x3d_mobile_cpu._checkpoint_paths)
    for name in tvm.list_models(module=tvm.video):
        expected[name] = tvm.get_model_weights(name).DEFAULT.url

    for name in list_backbones():
        assert backbone_info(name).weights_url == expected[name], name


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


# ---------------------------------------------------------------------------- weights


def test_pretrained_true_without_cached_file_names_path_and_url(empty_torch_home: Path) -> None:
    expected = empty_torch_home / "hub" / "checkpoints" / "X3D_XS.pyth"
    assert backbone_info("x3d_xs").weights_path == expected
    url = "https://dl.fbaipublicfiles.com/pytorchvideo/model_zoo/kinetics/X3D_XS.pyth"
    with pytest.raises(FileNotFoundError, match=re.escape(str(expected))) as error:
        create_backbone("x3d_xs", pretrained=True)
    assert url in str(error.value)
    assert not expected.exists(), "nothing may be downloaded"


def test_pretrained_pytorchvideo_weights_from_hub_cache_reproduce_pytorchvideo(
    empty_torch_home: Path,
) -> None:
    from pytorchvideo.models import hub

    torch.manual_seed(0)
    reference = hub.x3d_xs(pretrained=False).eval()
    path = backbone_info("x3d_xs").weights_path
    assert path is not None
    path.parent.mkdir(parents=True)
    torch.save({"model_state": reference.state_dict(), "epoch": 3}, path)

    ours, _ = create_backbone("x3d_xs", pretrained=True, num_classes=400)
    ours.eval()
    clip = _clip((4, 160, 160))  # the native clip: PyTorchVideo's fixed pool applies as is
    with torch.no_grad():
        expected = reference(clip)  # ends in Softmax
        got = torch.softmax(ours(clip), dim=-1)
    torch.testing.assert_close(got, expected)

    headless, _ = create_backbone("x3d_xs", pretrained=True)
    for key, value in headless.state_dict().items():
        torch.testing.assert_close(value, reference.state_dict()[key])


def test_pretrained_torchvision_weights_from_hub_cache_reproduce_torchvision(
    empty_torch_home: Path,
) -> None:
    import torchvision.models.video as tv

    torch.manual_seed(0)
    reference = tv.r3d_18().eval()
    path = backbone_info("r3d_18").weights_path
    assert path is not None
    assert path.name == "r3d_18-b3b3357e.pth"
    path.parent.mkdir(parents=True)
    torch.save(reference.state_dict(), path)

    ours, _ = create_backbone("r3d_18", pretrained=True, num_classes=400)
    clip = _clip((4, 32, 32), batch=2)
    with torch.no_grad():
        torch.testing.assert_close(ours.eval()(clip), reference(clip))


def test_efficient_x3d_weights_are_a_bare_state_dict(empty_torch_home: Path) -> None:
    source, _ = create_backbone("efficient_x3d_xs", num_classes=400)
    path = backbone_info("efficient_x3d_xs").weights_path
    assert path is not None
    path.parent.mkdir(parents=True)
    torch.save(source.state_dict(), path)
    loaded, _ = create_backbone("efficient_x3d_xs", pretrained=True, num_classes=400)
    for key, value in loaded.state_dict().items():
        torch.testing.assert_close(value, source.state_dict()[key])


def test_pretrained_path_loads_a_saved_backbone(tmp_path: Path) -> None:
    source, _ = create_backbone("r2plus1d_18")
    path = tmp_path / "backbone.pt"
    torch.save(source.state_dict(), path)

    loaded, _ = create_backbone("r2plus1d_18", pretrained=str(path), num_classes=3)
    for key, value in source.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[key], value)
    fresh, _ = create_backbone("r2plus1d_18")
    assert not torch.equal(
        fresh.state_dict()["stem.0.weight"], source.state_dict()["stem.0.weight"]
    )


def test_pretrained_path_ignores_a_head_of_another_size(tmp_path: Path) -> None:
    source, _ = create_backbone("mc3_18", num_classes=7)
    path = tmp_path / "classifier.pt"
    torch.save(source.state_dict(), path)
    loaded, _ = create_backbone("mc3_18", pretrained=path, num_classes=3)
    assert loaded.get_submodule("fc").weight.shape == (3, 512)
    torch.testing.assert_close(
        loaded.state_dict()["layer4.1.conv2.0.weight"],
        source.state_dict()["layer4.1.conv2.0.weight"],
    )

    same_head, _ = create_backbone("mc3_18", pretrained=path, num_classes=7)
    torch.testing.assert_close(
        same_head.state_dict()["fc.weight"], source.state_dict()["fc.weight"]
    )


def test_pretrained_path_reads_a_videoclassifier_state_dict(tmp_path: Path) -> None:
    source, _ = create_backbone("x3d_xs")
    head = nn.Linear(2048, 3)
    state = {f"backbone.{k}": v for k, v in source.state_dict().items()}
    state.update({f"head.1.{k}": v for k, v in head.state_dict().items()})
    path = tmp_path / "lightning.ckpt"
    torch.save({"state_dict": state, "epoch": 1}, path)
    loaded, _ = create_backbone("x3d_xs", pretrained=path)
    for key, value in source.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[key], value)


def test_pretrained_path_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"missing\.pt"):
        create_backbone("x3d_xs", pretrained=tmp_path / "missing.pt")
    other, _ = create_backbone("r3d_18")
    wrong = tmp_path / "r3d.pt"
    torch.save(other.state_dict(), wrong)
    with pytest.raises(RuntimeError, match=r"do not fit backbone 'x3d_xs'.*missing keys"):
        create_backbone("x3d_xs", pretrained=wrong)
    with pytest.raises(TypeError, match=r"pretrained must be a bool or a path.*3"):
        create_backbone("x3d_xs", pretrained=3)  # type: ignore[arg-type]


def test_download_weights_fills_the_hub_cache_explicitly(
    empty_torch_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "_BACKBONES", dict(registry._BACKBONES))
    source, _ = create_backbone("r3d_18", num_classes=400)
    served = tmp_path / "served" / "tiny.pth"
    served.parent.mkdir()
    torch.save(source.state_dict(), served)
    info = backbone_info("r3d_18")
    register_backbone(
        "r3d_copy",
        source="custom",
        projection="fc",
        min_input=(1, 1, 1),
        weights_url=served.as_uri(),
    )(info.builder)

    path = download_weights("r3d_copy", progress=False)
    assert path == empty_torch_home / "hub" / "checkpoints" / "tiny.pth"
    loaded, _ = create_backbone("r3d_copy", pretrained=True, num_classes=400)
    torch.testing.assert_close(loaded.state_dict()["fc.weight"], source.state_dict()["fc.weight"])


def test_download_weights_checks_torchvision_hashes(
    empty_torch_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "_BACKBONES", dict(registry._BACKBONES))
    served = tmp_path / "fake-deadbeef.pth"
    served.write_bytes(b"not the published file")
    register_backbone(
        "fake",
        source="torchvision",
        projection="fc",
        min_input=(1, 1, 1),
        weights_url=served.as_uri(),
    )(backbone_info("r3d_18").builder)
    with pytest.raises(RuntimeError, match="invalid hash value"):
        download_weights("fake", progress=False)
    assert not (empty_torch_home / "hub" / "checkpoints" / served.name).exists()
