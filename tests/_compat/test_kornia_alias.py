import subprocess
import sys


def test_flash_era_color_jitter_spelling_works_after_import_fastvid() -> None:
    code = (
        "import fastvid\n"
        "import kornia.augmentation as K\n"
        "jitter = K.augmentation.ColorJitter(0.1, 0.1, 0.1, 0.1, p=1.0)\n"
        "print(type(jitter).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ColorJitter"


def test_alias_also_applies_when_kornia_was_imported_first() -> None:
    code = (
        "import kornia.augmentation as K\n"
        "assert not hasattr(K, 'augmentation')\n"
        "import fastvid\n"
        "print(K.augmentation is K)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
