"""Every fastvid name the README shows imports from where the README says it does.

The README's ``from fastvid... import ...`` / ``import fastvid...`` lines (in its code blocks)
and its dotted ``fastvid.x.y`` names (in prose) are collected from the README itself, so a name
it starts showing is checked too. The earlier import paths of the modules issue 24 moved into
rooms (``fastvid.integrations.datamodule``, ...) still give the same objects.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
#: names in the README that are files, not Python (the index file ``fastvid index`` writes)
NOT_PYTHON = {"fastvid.index"}

#: earlier path -> the room that holds the code now
EARLIER_PATHS = {
    "fastvid.integrations.datamodule": "fastvid.integrations.flash.datamodule",
    "fastvid.integrations.input_transform": "fastvid.integrations.flash.input_transform",
    "fastvid.integrations.target_formatters": "fastvid.integrations.flash.target_formatters",
    "fastvid.integrations.inputs": "fastvid.integrations.flash.inputs",
    "fastvid.integrations.pytorchvideo_api": "fastvid.integrations.pytorchvideo.api",
    "fastvid.integrations.pytorchvideo_data": "fastvid.integrations.pytorchvideo.data",
    "fastvid.integrations.callbacks": "fastvid.integrations.lightning.callbacks",
    "fastvid.models.outputs": "fastvid.integrations.flash.outputs",
    "fastvid.reader.loader": "fastvid.reader.loader.clip_loader",
}


def _readme_imports() -> list[tuple[str, str]]:
    """(module, name) for each name a README import line imports (name "" for ``import m``)."""
    text = README.read_text()
    found: list[tuple[str, str]] = []
    for block in re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL):
        joined = re.sub(r"\(\s*([^)]*?)\s*\)", lambda m: m.group(1).replace("\n", " "), block)
        for line in joined.splitlines():
            line = line.split("#")[0].strip()
            if m := re.fullmatch(r"from (fastvid[\w.]*) import (.+)", line):
                for name in m.group(2).split(","):
                    name = name.split(" as ")[0].strip()
                    if name:
                        found.append((m.group(1), name))
            elif m := re.fullmatch(r"import (fastvid[\w.]*)(?: as \w+)?", line):
                found.append((m.group(1), ""))
    return found


def _readme_dotted_names() -> list[str]:
    names = re.findall(r"(?<![\w/.])fastvid(?:\.[A-Za-z_]\w*)+", README.read_text())
    return sorted(set(names) - NOT_PYTHON)


def _resolve(dotted: str) -> Any:
    """The module or attribute a dotted name names: the longest importable module prefix,
    then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


def test_the_readme_shows_imports_and_names() -> None:
    assert len(_readme_imports()) >= 5
    assert len(_readme_dotted_names()) >= 10


@pytest.mark.parametrize(("module", "name"), _readme_imports())
def test_each_readme_import_works(module: str, name: str) -> None:
    imported = importlib.import_module(module)
    if name:
        assert getattr(imported, name) is not None


@pytest.mark.parametrize("dotted", _readme_dotted_names())
def test_each_dotted_name_in_the_readme_resolves(dotted: str) -> None:
    assert _resolve(dotted) is not None


@pytest.mark.parametrize(("earlier", "room"), sorted(EARLIER_PATHS.items()))
def test_an_earlier_path_gives_the_rooms_objects(earlier: str, room: str) -> None:
    old, new = importlib.import_module(earlier), importlib.import_module(room)
    names = getattr(old, "__all__", None) or getattr(new, "__all__", [])
    assert names, earlier
    for name in names:
        assert getattr(old, name) is getattr(new, name), f"{earlier}.{name}"
