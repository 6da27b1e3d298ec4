"""The guard on a verified bundle: the built-in detectors on the bundle's models, ONNX Runtime on CPU.

``EdgeGuard(bundle)`` builds the same detectors the server builds (``trueport.guard.registry``) on
the bundle's model repository and opens every model at once, so that a later change of the cache
cannot swap a model under it. ``scan`` answers like the gateway's ``POST /v1/guard/scan``: the
findings the detectors' default thresholds count, and ``flagged``. It does not apply the policy's
actions (block, redact): the policy travels in the manifest (``policy``) for the application to
act on, as the scan API leaves actions to its caller.

Every scan checks the manifest's validity first (``EdgeClient.still_valid``): past ``expires_at``
plus the offline grace, ``scan`` raises ``NotValidNow`` rather than answer from stale models.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from trueport.edge.client import Bundle
from trueport.guard.base import Direction, Finding, ScanContext, Source
from trueport.guard.models import ModelRepository
from trueport.guard.registry import DETECTOR_NAMES, default_detectors
from trueport.guard.scanner import Scanner
from trueport.manifests.document import Manifest


class EdgeGuard:
    def __init__(
        self,
        bundle: Bundle,
        *,
        detectors: Sequence[str] = DETECTOR_NAMES,
        still_valid: Callable[[Manifest], None] | None = None,
    ) -> None:
        self.manifest = bundle.manifest
        repository = ModelRepository(bundle.models_dir)
        for name in repository.models:
            repository.load(name)
        self.scanner = Scanner(default_detectors(detectors, make_backend=lambda: repository))
        self._still_valid = still_valid

    @property
    def policy(self) -> dict[str, Any]:
        """The tenant's policy document the bundle carries (``policy_version`` is its version)."""
        return self.manifest.policy.document

    @property
    def policy_version(self) -> int:
        return self.manifest.policy.version

    def findings(
        self, text: str, *, direction: str = "input", source: str = "prompt", tenant_id: str | None = None
    ) -> list[Finding]:
        if self._still_valid is not None:
            self._still_valid(self.manifest)
        context = ScanContext(
            direction=Direction(direction),
            source=Source(source),
            tenant_id=tenant_id or self.manifest.tenant_id,
        )
        return self.scanner.scan(text, context)

    def scan(self, text: str, *, direction: str = "input", source: str = "prompt") -> dict[str, Any]:
        """``{"findings": [{detector, type, start, end, score}], "flagged": bool}``, as the scan API."""
        findings = self.findings(text, direction=direction, source=source)
        return {"findings": [f.as_dict() for f in findings], "flagged": bool(findings)}
