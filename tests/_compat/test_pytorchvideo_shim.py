import importlib
import sys

from fastvid._compat import pytorchvideo as shim


def test_pytorchvideo_transforms_import_after_install() -> None:
    shim.install()
    transforms = importlib.import_module("pytorchvideo.transforms")
    assert hasattr(transforms, "RandomShortSideScale")
    assert hasattr(transforms, "UniformTemporalSubsample")


def test_alias_points_at_renamed_module_with_affine() -> None:
    shim.install()
    module = sys.modules["torchvision.transforms.functional_tensor"]
    renamed = importlib.import_module("torchvision.transforms._functional_tensor")
    assert module is renamed
    assert callable(module.affine)


def test_install_is_idempotent() -> None:
    shim.install()
    assert shim.install() is False
