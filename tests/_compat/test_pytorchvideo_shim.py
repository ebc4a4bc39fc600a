import importlib
import subprocess
import sys

from fastvid._compat import pytorchvideo as shim


def test_pytorchvideo_transforms_import_after_install() -> None:
    shim.install()
    transforms = importlib.import_module("pytorchvideo.transforms")
    assert hasattr(transforms, "RandomShortSideScale")
    assert hasattr(transforms, "UniformTemporalSubsample")


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
