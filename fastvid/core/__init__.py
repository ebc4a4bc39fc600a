"""Flash 0.8's ``flash.core`` module paths, for code that changes ``flash`` to ``fastvid``.

Everything under ``fastvid.core`` is a re-export of fastvid's own objects under the name Flash
gave its module (``from fastvid.core.data.utils import download_data``); no logic lives here.
Together with ``fastvid.video`` this is the one room for Flash's module paths (README, "Coming
from Flash"; ``tests/core/test_flash_paths.py`` imports every path).
"""
