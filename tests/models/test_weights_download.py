"""``pretrained=True`` downloads the published weights on first use, through torch.hub's real
download path, from a loopback HTTP server: cached in torch.hub's folder, progress on stderr,
hash checked where the file name carries one, and a clear error when offline."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from torch import nn

from fastvid.models import VideoClassifier, registry
from fastvid.models.registry import backbone_info, create_backbone, register_backbone
from fastvid.testing.servers import RangeHTTPServer

pytestmark = pytest.mark.usefixtures("one_thread")


class TinyNet(nn.Module):
    """A three-layer video model whose ``fc`` is the projection (a few kB of weights)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv3d(3, 4, kernel_size=1)
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.fc = nn.Linear(4, 400)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pool(self.conv(x)).flatten(1))


@pytest.fixture
def registry_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_BACKBONES", dict(registry._BACKBONES))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[RangeHTTPServer, Path, dict[str, torch.Tensor]]]:
    """A server over a folder holding TinyNet's state dict as ``tiny-<sha256 prefix>.pth``."""
    root = tmp_path / "served"
    root.mkdir()
    state = TinyNet().state_dict()
    staging = root / "staging.pth"
    torch.save(state, staging)
    digest = hashlib.sha256(staging.read_bytes()).hexdigest()
    file = staging.rename(root / f"tiny-{digest[:10]}.pth")
    with RangeHTTPServer(root) as server:
        yield server, file, state


def _register(name: str, url: str) -> None:
    register_backbone(name, source="custom", projection="fc", min_input=(1, 1, 1), weights_url=url)(
        TinyNet
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nothing listens there any more: connections are refused


@pytest.mark.usefixtures("registry_copy")
def test_first_use_downloads_into_the_hub_cache_then_reuses_it(
    served: tuple[RangeHTTPServer, Path, dict[str, torch.Tensor]],
    empty_torch_home: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    server, file, state = served
    _register("tiny_hub", f"{server.url}/{file.name}")
    cached = empty_torch_home / "hub" / "checkpoints" / file.name
    assert backbone_info("tiny_hub").weights_path == cached and not cached.exists()

    model, _ = create_backbone("tiny_hub", pretrained=True, num_classes=400)
    assert cached.read_bytes() == file.read_bytes() and server.gets == 1
    torch.testing.assert_close(model.state_dict()["fc.weight"], state["fc.weight"])
    assert "100%" in capfd.readouterr().err  # torch.hub's progress bar

    again = VideoClassifier(2, None, "tiny_hub")  # Flash's default pretrained=True
    assert server.gets == 1, "the cached file is reused"
    torch.testing.assert_close(again.backbone.state_dict()["conv.weight"], state["conv.weight"])


@pytest.mark.usefixtures("registry_copy")
def test_a_file_failing_its_hash_is_not_kept(
    served: tuple[RangeHTTPServer, Path, dict[str, torch.Tensor]], empty_torch_home: Path
) -> None:
    server, file, _ = served
    wrong = file.with_name("tiny-0123456789.pth")
    file.rename(wrong)
    _register("tiny_bad_hash", f"{server.url}/{wrong.name}")
    cached = empty_torch_home / "hub" / "checkpoints" / wrong.name
    with pytest.raises(RuntimeError, match=r"failed its hash check.*invalid hash value") as error:
        create_backbone("tiny_bad_hash", pretrained=True)
    assert str(cached) in str(error.value)
    assert list(cached.parent.iterdir()) == [], "neither the file nor a temporary one is left"


@pytest.mark.usefixtures("registry_copy")
def test_offline_names_the_url_and_the_cache_path(empty_torch_home: Path) -> None:
    # The real x3d_xs entry, its URL pointed at a loopback port where nothing listens.
    info = backbone_info("x3d_xs")
    url = f"http://127.0.0.1:{_closed_port()}/X3D_XS.pyth"
    registry._BACKBONES["x3d_xs"] = dataclasses.replace(info, weights_source=url)
    cached = empty_torch_home / "hub" / "checkpoints" / "X3D_XS.pyth"
    with pytest.raises(FileNotFoundError) as error:
        VideoClassifier(3)
    message = str(error.value)
    assert url in message and str(cached) in message
    assert re.search(r"refused|Errno", message), message
    assert "pretrained=False" in message
    assert not cached.exists()


@pytest.mark.usefixtures("registry_copy")
def test_http_errors_name_the_url(
    served: tuple[RangeHTTPServer, Path, dict[str, torch.Tensor]], empty_torch_home: Path
) -> None:
    server, _, _ = served
    _register("tiny_missing", f"{server.url}/missing.pth")
    with pytest.raises(FileNotFoundError, match=r"/missing\.pth \(.*Not Found"):
        create_backbone("tiny_missing", pretrained=True)


def test_loading_a_checkpoint_downloads_nothing(tmp_path: Path, empty_torch_home: Path) -> None:
    model = VideoClassifier(3, backbone="x3d_xs", pretrained=False)
    path = tmp_path / "model.ckpt"
    torch.save(
        {"state_dict": model.state_dict(), "hyper_parameters": dict(model.hparams)}
        | {"pytorch-lightning_version": "2.0.0"},
        path,
    )
    restored = VideoClassifier.load_from_checkpoint(path)  # hparams say pretrained=False here
    assert restored.hparams["pretrained"] is False
    hparams = dict(model.hparams, pretrained=True)  # a checkpoint of a pretrained model
    torch.save(
        {"state_dict": model.state_dict(), "hyper_parameters": hparams}
        | {"pytorch-lightning_version": "2.0.0"},
        path,
    )
    restored = VideoClassifier.load_from_checkpoint(path)
    assert not (empty_torch_home / "hub").exists(), "nothing downloaded"
    torch.testing.assert_close(
        restored.backbone.state_dict()["blocks.0.conv.conv_t.weight"],
        model.backbone.state_dict()["blocks.0.conv.conv_t.weight"],
    )
