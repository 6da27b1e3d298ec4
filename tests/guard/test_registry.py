"""The default detector stack: names, lazy imports, the shared model repository."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from trueport.guard import registry
from trueport.guard.base import ScanContext
from trueport.guard.bias import BiasDetector
from trueport.guard.models import DEFAULT_MODEL_DIR, ModelConfigError, ModelRepository
from trueport.guard.registry import (
    DETECTOR_NAMES,
    DetectorLoadError,
    default_detectors,
    detector_class,
    parse_detector_names,
)

MODELS = DEFAULT_MODEL_DIR


def available() -> list[str]:
    names = []
    for name in DETECTOR_NAMES:
        try:
            detector_class(name)
        except DetectorLoadError:
            continue
        names.append(name)
    return names


def test_the_built_in_names() -> None:
    assert DETECTOR_NAMES == ("pii", "secrets", "injection", "bias")


def test_unknown_names_are_refused_with_the_choices() -> None:
    with pytest.raises(
        ValueError, match=r"unknown detector 'toxicity'; choose from pii, secrets, injection, bias"
    ):
        default_detectors(["bias", "toxicity"])
    with pytest.raises(ValueError, match="no detector named"):
        parse_detector_names(" , ")


def test_parse_detector_names() -> None:
    assert parse_detector_names("bias, pii,bias") == ["bias", "pii"]


def test_bias_is_built_with_the_shipped_repository() -> None:
    (detector,) = default_detectors(["bias"])
    assert isinstance(detector, BiasDetector)
    assert detector.name == "bias"
    assert detector.scan("Refugees are vermin.", ScanContext())


def test_models_dir(tmp_path: Path) -> None:
    shutil.copytree(MODELS / "bias", tmp_path / "bias")
    (detector,) = default_detectors(["bias"], models_dir=tmp_path)
    assert isinstance(detector, BiasDetector)
    with pytest.raises(ModelConfigError):
        default_detectors(["bias"], models_dir=tmp_path / "missing")


def test_model_detectors_share_one_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[ModelRepository] = []
    original = ModelRepository.__init__

    def counting_init(self: ModelRepository, *args: object, **kwargs: object) -> None:
        built.append(self)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ModelRepository, "__init__", counting_init)
    names = [n for n in available() if n in ("injection", "bias")]
    detectors = default_detectors(names)
    assert [d.name for d in detectors] == names
    assert len(built) == 1


def test_every_available_detector_builds() -> None:
    names = available()
    assert "bias" in names
    detectors = default_detectors(names)
    assert [d.name for d in detectors] == names
    assert all(0.0 <= d.default_threshold <= 1.0 for d in detectors)


def test_a_missing_module_is_a_load_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.BUILTIN_DETECTORS, "pii", "trueport.guard.no_such_module:PiiDetector")
    with pytest.raises(DetectorLoadError, match="detector 'pii' is not available"):
        default_detectors(["pii"])
    monkeypatch.setitem(registry.BUILTIN_DETECTORS, "pii", "trueport.guard.bias:NoSuchClass")
    with pytest.raises(DetectorLoadError, match="has no class NoSuchClass"):
        default_detectors(["pii"])


def test_only_the_asked_for_modules_are_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.BUILTIN_DETECTORS, "pii", "trueport.guard.no_such_module:PiiDetector")
    default_detectors(["bias"])  # pii is broken, but not asked for
    assert "trueport.guard.no_such_module" not in sys.modules
