"""The built-in catalogues: every library model is registered, with the libraries' weights."""

from __future__ import annotations

import types

import fastvid  # noqa: F401  (installs the PyTorchVideo shim)
from fastvid.models.registry import backbone_info, list_backbones

# PyTorchVideo hub constructors fastvid does not register, and why.
NOT_REGISTERED = {
    "slow_r50_detection": "AVA detector: its head needs region boxes as a second input",
    "slowfast_r50_detection": "AVA detector: its head needs region boxes as a second input",
}


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


def test_torchvision_weights_come_from_its_weight_enums() -> None:
    import torchvision.models as tvm

    for name in tvm.list_models(module=tvm.video):
        info = backbone_info(name)
        assert info.source == "torchvision"
        assert callable(info.weights_source), "looked up in torchvision, not hard-coded"
        assert info.weights_path is not None
        assert info.weights_path.name == tvm.get_model_weights(name).DEFAULT.url.rsplit("/")[-1]
