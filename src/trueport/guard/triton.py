"""A remote inference backend: NVIDIA Triton over its HTTP/REST (KServe v2) protocol.

``TritonBackend(base_url, timeout_s, timeouts=...)`` implements ``InferenceBackend`` with ``POST
/v2/models/{name}/infer`` (JSON tensors: ``{name, shape, datatype, data}``, strings as ``BYTES``)
and ``GET /v2/health/ready``; ``timeouts`` gives a model its own limit. Detectors are synchronous and CPU-bound and the caller runs them in a
worker thread, so the call is a plain blocking ``urllib.request`` with a timeout: no event loop is
touched, and a slow Triton costs one worker thread for at most ``timeout_s``.

``FallbackBackend(primary, fallback, retry_after_s=...)`` answers from ``fallback`` (the local ONNX
Runtime repository) when ``primary`` fails or times out, logs it and counts it
(``trueport_guard_model_fallbacks_total{model}``); after a failure the fallback answers alone for
``retry_after_s``, so a Triton that is away does not cost every scan a timeout.

Both have ``path``: the local repository, where detectors read their models' other files
(vocabularies, gazetteers); Triton serves the same directory. ``trueport.guard.backends`` builds the
backend from ``guard.models``.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import structlog

from trueport import jsonutil, metrics
from trueport.guard.models import InferenceBackend, InferenceError, Tensor

logger = structlog.get_logger(__name__)

# numpy dtype kind/size <-> KServe v2 datatype
_TO_V2 = {
    np.dtype(np.bool_): "BOOL",
    np.dtype(np.int8): "INT8",
    np.dtype(np.int16): "INT16",
    np.dtype(np.int32): "INT32",
    np.dtype(np.int64): "INT64",
    np.dtype(np.uint8): "UINT8",
    np.dtype(np.uint16): "UINT16",
    np.dtype(np.uint32): "UINT32",
    np.dtype(np.uint64): "UINT64",
    np.dtype(np.float16): "FP16",
    np.dtype(np.float32): "FP32",
    np.dtype(np.float64): "FP64",
}
_FROM_V2 = {name: dtype for dtype, name in _TO_V2.items()}


class TritonError(InferenceError):
    """Triton could not be reached, timed out, refused the request or answered something unreadable."""


class TritonBackend:
    """Models served by a Triton (or any KServe v2) server, called synchronously."""

    def __init__(
        self,
        base_url: str,
        timeout_s: float = 0.5,
        *,
        timeouts: Mapping[str, float] | None = None,
        path: Path | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.timeouts = dict(timeouts or {})
        self.path = path  # the local copy of the repository Triton serves (models' other files)

    def infer(self, name: str, inputs: Mapping[str, Tensor]) -> dict[str, Tensor]:
        body = jsonutil.dumps({"inputs": [encode_tensor(n, np.asarray(v)) for n, v in inputs.items()]})
        path = f"/v2/models/{quote(name, safe='')}/infer"
        raw = self._request("POST", path, body, self.timeouts.get(name, self.timeout_s))
        return decode_response(raw)

    def ready(self) -> bool:
        """Whether the server says it is ready (``GET /v2/health/ready`` answers 200)."""
        try:
            self._request("GET", "/v2/health/ready", None)
        except TritonError:
            return False
        return True

    def _request(self, method: str, path: str, body: bytes | None, timeout_s: float | None = None) -> bytes:
        url = self.base_url + path
        if not url.startswith(("http://", "https://")):
            raise TritonError(f"not an http(s) URL: {url!r}")
        headers = {"Content-Type": "application/json"} if body is not None else {}
        request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310 (scheme checked above)
        try:
            with urllib.request.urlopen(request, timeout=timeout_s or self.timeout_s) as response:  # noqa: S310
                data: bytes = response.read()
                return data
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:200].decode("utf-8", "replace")
            raise TritonError(f"{method} {path}: HTTP {exc.code}: {detail}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise TritonError(f"{method} {path}: {exc}") from exc


def encode_tensor(name: str, value: Tensor) -> dict[str, Any]:
    """One KServe v2 JSON input tensor; strings and bytes go as ``BYTES``."""
    shape = list(value.shape)
    if value.dtype.kind in {"U", "S", "O"}:
        data = [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in value.reshape(-1).tolist()]
        return {"name": name, "shape": shape, "datatype": "BYTES", "data": data}
    try:
        datatype = _TO_V2[value.dtype]
    except KeyError:
        raise TritonError(f"input {name!r}: unsupported dtype {value.dtype}") from None
    return {"name": name, "shape": shape, "datatype": datatype, "data": value.reshape(-1).tolist()}


def decode_response(raw: bytes) -> dict[str, Tensor]:
    """The output tensors of a KServe v2 JSON response; anything malformed raises TritonError."""
    try:
        payload = jsonutil.loads_object(raw)
        outputs = payload["outputs"]
        if not isinstance(outputs, list) or not outputs:
            raise TypeError("'outputs' must be a non-empty list")
        result: dict[str, Tensor] = {}
        for item in outputs:
            name, shape, datatype, data = item["name"], item["shape"], item["datatype"], item["data"]
            if not isinstance(name, str) or not isinstance(shape, list) or not isinstance(data, list):
                raise TypeError("output needs a string name, a list shape and list data")
            if datatype == "BYTES":
                array = np.array([str(d) for d in data], dtype=object)
            else:
                array = np.asarray(data, dtype=_FROM_V2[datatype])
            result[name] = array.reshape([int(d) for d in shape])
    except (jsonutil.JSONDecodeError, ValueError, KeyError, TypeError) as exc:
        raise TritonError(f"malformed inference response: {exc}") from exc
    return result


class FallbackBackend:
    """``primary`` first; on any InferenceError (timeout, transport, malformed answer) ``fallback``.

    ``fallbacks`` counts the requests the fallback answered. Errors of the fallback propagate. After a
    failure of ``primary``, ``fallback`` alone answers for ``retry_after_s`` (0: try ``primary`` every
    time).
    """

    def __init__(
        self, primary: InferenceBackend, fallback: InferenceBackend, *, retry_after_s: float = 0.0
    ) -> None:
        self.primary = primary
        self.fallback = fallback
        self.retry_after_s = retry_after_s
        self._fallbacks = 0
        self._skip_until = 0.0
        self._lock = threading.Lock()

    @property
    def fallbacks(self) -> int:
        return self._fallbacks

    @property
    def path(self) -> Path | None:
        path = getattr(self.fallback, "path", None)
        return path if isinstance(path, Path) else None

    @property
    def resting(self) -> bool:
        """Whether ``primary`` is skipped now (it failed less than ``retry_after_s`` ago)."""
        return time.monotonic() < self._skip_until

    def infer(self, name: str, inputs: Mapping[str, Tensor]) -> dict[str, Tensor]:
        if not self.resting:
            try:
                return self.primary.infer(name, inputs)
            except InferenceError as exc:
                with self._lock:
                    self._skip_until = time.monotonic() + self.retry_after_s
                logger.warning(
                    "inference_fallback", model=name, error=str(exc), fallbacks=self._fallbacks + 1
                )
        with self._lock:
            self._fallbacks += 1
        metrics.GUARD_MODEL_FALLBACKS.labels(name).inc()
        return self.fallback.infer(name, inputs)
