"""The edge client: the guard on a device, from a signed bundle, working offline.

``EdgeClient`` fetches the tenant's signed manifest and model files from a TruePort control plane
(``GET /api/v1/guard/bundle``), verifies them (signature by a trusted, unrevoked key; validity
period; every file's size and SHA-256), caches them on disk atomically, and falls back to the cached
bundle when the control plane cannot be reached. ``EdgeGuard`` runs the built-in detectors on the
bundle's models with ONNX Runtime, the same code the server runs.

This package imports only the standard library, ``cryptography``, ``numpy``, ``onnxruntime`` and
``orjson`` (through the detectors and the manifest format): none of the server's web, database or
logging stack. ``tests/edge/test_imports.py`` holds it to that. See ``docs/manifests.md``.
"""

from trueport.edge.client import (
    Bundle,
    EdgeClient,
    GatewayUnreachable,
    NoUsableBundle,
    RequestRefused,
    StaleManifest,
)
from trueport.edge.guard import EdgeGuard

__all__ = [
    "Bundle",
    "EdgeClient",
    "EdgeGuard",
    "GatewayUnreachable",
    "NoUsableBundle",
    "RequestRefused",
    "StaleManifest",
]
