"""The built-in detectors by name: the default detector stack.

Each detector's module is imported only when that detector is asked for, so a deployment that runs
only ``secrets`` never imports ONNX Runtime, and a missing or broken detector module fails loudly
with the detector's name rather than at import time of the whole guard.

Detectors whose constructor takes a ``backend`` (the model-based ones) share one
``ModelRepository``: one directory scan, and each model opened once however many detectors use it.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import cast

from trueport.guard.base import Detector

# name -> "module:Class", in the default stack's order (cheap rules first, then the models).
BUILTIN_DETECTORS: dict[str, str] = {
    "pii": "trueport.guard.pii:PiiDetector",
    "secrets": "trueport.guard.secrets:SecretsDetector",
    "injection": "trueport.guard.injection:InjectionDetector",
    "bias": "trueport.guard.bias:BiasDetector",
}
DETECTOR_NAMES: tuple[str, ...] = tuple(BUILTIN_DETECTORS)


class DetectorLoadError(RuntimeError):
    """A built-in detector's module or class could not be imported."""


def parse_detector_names(value: str) -> list[str]:
    """``"pii, secrets"`` -> ``["pii", "secrets"]``; unknown or no names raise ``ValueError``."""
    names = [part.strip() for part in value.split(",") if part.strip()]
    if not names:
        raise ValueError(f"no detector named; choose from {', '.join(DETECTOR_NAMES)}")
    return _checked(names)


def _checked(names: Iterable[str]) -> list[str]:
    chosen: list[str] = []
    for name in names:
        if name not in BUILTIN_DETECTORS:
            raise ValueError(f"unknown detector {name!r}; choose from {', '.join(DETECTOR_NAMES)}")
        if name not in chosen:
            chosen.append(name)
    return chosen


def detector_class(name: str) -> Callable[..., Detector]:
    """Import and return the class of built-in detector ``name``."""
    (target,) = _checked([name])
    module_name, _, attribute = BUILTIN_DETECTORS[target].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise DetectorLoadError(f"detector {name!r} is not available: {exc}") from exc
    cls = getattr(module, attribute, None)
    if not inspect.isclass(cls):
        raise DetectorLoadError(f"detector {name!r}: {module_name} has no class {attribute}")
    return cast("Callable[..., Detector]", cls)


def default_detectors(
    names: Iterable[str] | None = None,
    *,
    models_dir: Path | None = None,
    make_backend: Callable[[], object] | None = None,
) -> list[Detector]:
    """Build the built-in detectors ``names`` (default: all of them, in ``DETECTOR_NAMES`` order).

    ``models_dir`` is the model repository for the detectors that run a model (default: the one
    the project ships); ``make_backend``, called once if a detector runs a model, builds another
    backend for them instead (``trueport.guard.backends.model_backend``: Triton). Unknown names raise
    ``ValueError`` before anything is imported; a detector that cannot be imported raises
    ``DetectorLoadError``.
    """
    chosen = _checked(DETECTOR_NAMES if names is None else names)
    classes = [(name, detector_class(name)) for name in chosen]
    backend: object | None = None
    detectors: list[Detector] = []
    for _, cls in classes:
        if "backend" in inspect.signature(cls).parameters:
            if backend is None and make_backend is not None:
                backend = make_backend()
            elif backend is None:
                from trueport.guard.models import ModelRepository

                backend = ModelRepository() if models_dir is None else ModelRepository(models_dir)
            detectors.append(cls(backend=backend))
        else:
            detectors.append(cls())
    return detectors
