"""Weights: downloaded on first use as torch.hub does (from a loopback HTTP server here), any
checkpoint layout, loaded strictly."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

import fastvid  # noqa: F401  (installs the PyTorchVideo shim)
from fastvid.models import registry
from fastvid.models.registry import (
    backbone_info,
    create_backbone,
    download_weights,
    register_backbone,
)
from tests.models import random_clip as _clip

pytestmark = pytest.mark.usefixtures("one_thread")


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
