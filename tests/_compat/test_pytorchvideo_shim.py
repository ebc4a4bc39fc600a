"""The one-line alias PyTorchVideo 0.1.5 needs on current torchvision."""

import importlib
import subprocess
import sys

import torch

from fastvid._compat import pytorchvideo as shim


def test_pytorchvideo_transforms_import_and_run_after_install() -> None:
    shim.install()
    transforms = importlib.import_module("pytorchvideo.transforms")
    clip = torch.arange(8, dtype=torch.float32).view(1, 8, 1, 1).expand(3, 8, 6, 10)
    subsampled = transforms.UniformTemporalSubsample(4)(clip)
    assert subsampled[0, :, 0, 0].tolist() == [0.0, 2.0, 4.0, 7.0]  # linspace(0, 7, 4).long()
    scaled = transforms.RandomShortSideScale(12, 12)(clip)
    assert scaled.shape == (3, 8, 12, 20)  # short side 6 -> 12, aspect kept


def test_alias_points_at_renamed_module_with_affine() -> None:
    shim.install()
    module = importlib.import_module("torchvision.transforms.functional_tensor")
    renamed = importlib.import_module("torchvision.transforms._functional_tensor")
    assert module is renamed
    assert callable(module.affine)


def test_install_is_idempotent() -> None:
    shim.install()
    assert shim.install() is False


def test_without_the_shim_pytorchvideo_transforms_fail_and_import_fastvid_is_light() -> None:
    code = (
        "import sys\n"
        "try:\n"
        "    import pytorchvideo.transforms\n"
        "    print('imported')\n"
        "except ImportError as exc:\n"
        "    print('failed', exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("failed"), out.stdout  # the shim is needed on this torchvision
    light = "import sys, fastvid; print('torchvision' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", light], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
