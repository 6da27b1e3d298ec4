"""The backend the guard's models run on, built from ``guard.models`` (docs/guard.md, "Serving the
models from Triton"), and what readiness says about it.

``local``: the model repository (``guard.models_dir``, else the packaged one) on ONNX Runtime in this
process. ``triton``: ``TritonBackend`` on ``guard.models.url`` (KServe v2 over HTTP, each model with
its timeout), wrapped in ``FallbackBackend`` with the local repository when ``fallback`` is on. The
local repository is the same directory Triton serves: the detectors read their models' other files
(vocabularies, gazetteers) from it, and without fallback its models are never opened.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from trueport.guard.models import DEFAULT_MODEL_DIR, InferenceBackend, ModelRepository
from trueport.guard.triton import FallbackBackend, TritonBackend

if TYPE_CHECKING:
    from trueport.settings import GuardModelsConfig


def model_backend(config: GuardModelsConfig, models_dir: Path | None = None) -> InferenceBackend:
    repository = ModelRepository(models_dir or DEFAULT_MODEL_DIR)
    if config.backend == "local":
        return repository
    assert config.url is not None  # the settings refuse triton without one
    triton = TritonBackend(config.url, config.timeout_s, timeouts=config.timeouts, path=repository.path)
    if not config.fallback:
        return triton
    return FallbackBackend(triton, repository, retry_after_s=config.retry_after_s)


@dataclass(frozen=True, slots=True)
class ModelsHealth:
    """``check``: "ok (local)", "ok (triton)", or why not; ``degraded``: serving, from the local models;
    ``failing``: Triton is not ready and nothing falls back."""

    check: str
    degraded: bool = False
    failing: bool = False


async def models_health(backend: InferenceBackend | None) -> ModelsHealth | None:
    """What ``/readyz`` reports of the guard's models; None when no detector runs a model."""
    if backend is None:
        return None
    triton = backend.primary if isinstance(backend, FallbackBackend) else backend
    if not isinstance(triton, TritonBackend):
        return ModelsHealth("ok (local)")
    ready = await asyncio.to_thread(triton.ready)
    if isinstance(backend, FallbackBackend):
        if not ready:
            return ModelsHealth("degraded (triton not ready: the local models answer)", degraded=True)
        if backend.resting:
            return ModelsHealth(
                "degraded (triton failed a call: the local models answer for now)", degraded=True
            )
        return ModelsHealth("ok (triton)")
    return (
        ModelsHealth("ok (triton)") if ready else ModelsHealth("triton not ready (no fallback)", failing=True)
    )
