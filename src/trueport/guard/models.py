"""The model repository (Triton's layout) and the local ONNX Runtime backend.

Layout, as NVIDIA Triton expects it, so the same directory can be served by a Triton server::

    <repository>/<name>/config.pbtxt       name, platform, max_batch_size, inputs and outputs
    <repository>/<name>/<version>/model.onnx

The project's own repository ships inside the package (``trueport/models``, package data found
through ``importlib.resources``), so an installed wheel runs the guard wherever it is installed.

``ModelRepository(path)`` reads every ``config.pbtxt`` when it is built (a malformed one is skipped,
logged and listed in ``errors``; asking for it raises ``InferenceError``) and opens a model with ONNX Runtime on CPU, one intra-op thread, the first
time it is used. The latest numeric version wins. It implements ``InferenceBackend``, the protocol
detectors call; ``trueport.guard.triton`` implements the same protocol over HTTP.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import onnxruntime as ort
import onnxruntime.capi.onnxruntime_pybind11_state as ort_errors

# The standard library's logger, not structlog's: this module (and the detectors on it) also runs in
# ``trueport.edge``, which imports no server dependency. The server renders these records as its own.
logger = logging.getLogger(__name__)

# What InferenceSession.run raises for bad inputs (the pybind classes derive from Exception only).
_RUN_ERRORS: tuple[type[Exception], ...] = (
    ort_errors.Fail,
    ort_errors.InvalidArgument,
    ort_errors.RuntimeException,
    ValueError,
    RuntimeError,
    TypeError,
)


def packaged_model_dir() -> Path:
    """The model repository shipped as package data (``trueport/models``).

    ONNX Runtime opens models by file name, so the repository must be a directory on disk: it is
    for a wheel installed by pip or uv and for a source checkout. From a zip archive (zipimport)
    ``discover`` reports that the path is not a directory; ``guard.models_dir`` names another one.
    """
    root = resources.files("trueport").joinpath("models")
    return root if isinstance(root, Path) else Path(str(root))


DEFAULT_MODEL_DIR = packaged_model_dir()

Tensor = np.ndarray[Any, np.dtype[Any]]


class InferenceError(Exception):
    """A backend could not produce outputs for a request (unknown model, bad input, transport)."""


class ModelConfigError(InferenceError):
    """A config.pbtxt or a version directory is missing or malformed."""


class InferenceBackend(Protocol):
    def infer(self, name: str, inputs: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """Run model ``name`` on named input tensors; return its named output tensors."""
        ...


@dataclass(frozen=True, slots=True)
class TensorSpec:
    name: str
    data_type: str  # Triton's names: "TYPE_FP32", "TYPE_INT64", "TYPE_STRING", ...
    dims: tuple[int, ...]  # without the batch dimension when max_batch_size > 0

    @property
    def datatype(self) -> str:
        """The KServe v2 datatype ("FP32", "INT64", "BYTES")."""
        short = self.data_type.removeprefix("TYPE_")
        return "BYTES" if short == "STRING" else short


@dataclass(frozen=True, slots=True)
class ModelConfig:
    name: str
    platform: str
    max_batch_size: int
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]


@dataclass(frozen=True, slots=True)
class ModelEntry:
    config: ModelConfig
    version: int
    path: Path  # the model.onnx file


class ModelRepository:
    """Models on disk in Triton's layout, run locally with ONNX Runtime."""

    def __init__(self, path: Path | str = DEFAULT_MODEL_DIR, *, intra_op_threads: int = 1) -> None:
        self.path = Path(path)
        self._threads = intra_op_threads
        self._entries, self.errors = discover(self.path)
        self._sessions: dict[str, ort.InferenceSession] = {}
        self._lock = threading.Lock()

    @property
    def models(self) -> dict[str, ModelEntry]:
        return dict(self._entries)

    def config(self, name: str) -> ModelConfig:
        return self._entry(name).config

    def infer(self, name: str, inputs: Mapping[str, Tensor]) -> dict[str, Tensor]:
        entry = self._entry(name)
        session = self._session(name)
        try:
            values = session.run([o.name for o in entry.config.outputs], dict(inputs))
        except _RUN_ERRORS as exc:
            raise InferenceError(f"model {name!r}: {exc}") from exc
        return {o.name: np.asarray(v) for o, v in zip(entry.config.outputs, values, strict=True)}

    def load(self, name: str) -> None:
        """Open model ``name`` now rather than on first use (e.g. in the app's lifespan)."""
        self._session(name)

    def _entry(self, name: str) -> ModelEntry:
        try:
            return self._entries[name]
        except KeyError:
            reason = self.errors.get(name)
            detail = f" (skipped: {reason})" if reason else ""
            raise InferenceError(f"no model {name!r} in {self.path}{detail}") from None

    def _session(self, name: str) -> ort.InferenceSession:
        session = self._sessions.get(name)
        if session is not None:
            return session
        with self._lock:
            session = self._sessions.get(name)
            if session is None:
                options = ort.SessionOptions()
                options.intra_op_num_threads = self._threads
                options.inter_op_num_threads = 1
                options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
                session = ort.InferenceSession(
                    str(self._entry(name).path), options, providers=["CPUExecutionProvider"]
                )
                self._sessions[name] = session
        return session


def discover(path: Path) -> tuple[dict[str, ModelEntry], dict[str, str]]:
    """Every ``<name>/config.pbtxt`` under ``path`` with its latest ``<version>/model.onnx``.

    Returns the usable models and, per directory name, why the others were skipped: one team's
    broken model must not take the other detectors down with it.
    """
    entries: dict[str, ModelEntry] = {}
    errors: dict[str, str] = {}
    if not path.is_dir():
        raise ModelConfigError(f"model repository {path} is not a directory")
    for config_path in sorted(path.glob("*/config.pbtxt")):
        directory = config_path.parent
        try:
            config = parse_config(config_path.read_text(encoding="utf-8"), default_name=directory.name)
            versions = sorted(
                int(v.name) for v in directory.iterdir() if v.name.isdigit() and (v / "model.onnx").is_file()
            )
            if not versions:
                raise ModelConfigError(f"{directory} has no <version>/model.onnx")
        except (ModelConfigError, OSError, UnicodeDecodeError) as exc:
            errors[directory.name] = str(exc)
            logger.error("model_skipped: %s: %s", directory.name, exc)
            continue
        entries[config.name] = ModelEntry(config, versions[-1], directory / str(versions[-1]) / "model.onnx")
    return entries, errors


# --- config.pbtxt: the protobuf text format, as much of it as a model config needs ---------------

_TOKEN = re.compile(r'\s+|#[^\n]*|"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"#]+')


def parse_config(text: str, *, default_name: str = "") -> ModelConfig:
    """Parse a Triton ``config.pbtxt``: name, platform, max_batch_size, input and output."""
    fields = _parse_message(_tokens(text), top=True)
    try:
        name = _scalar(fields.get("name", [default_name]))
        platform = _scalar(fields.get("platform", [""]))
        if not platform:
            backend = _scalar(fields.get("backend", [""]))
            platform = "onnxruntime_onnx" if backend == "onnxruntime" else backend
        max_batch = int(_scalar(fields.get("max_batch_size", ["0"])))
        inputs = tuple(_tensor(m) for m in _messages(fields.get("input", [])))
        outputs = tuple(_tensor(m) for m in _messages(fields.get("output", [])))
    except (KeyError, ValueError, TypeError) as exc:
        raise ModelConfigError(f"malformed config: {exc}") from exc
    if not name or platform != "onnxruntime_onnx":
        raise ModelConfigError(f"config must name an onnxruntime_onnx model (got {name!r}, {platform!r})")
    if not inputs or not outputs:
        raise ModelConfigError(f"model {name!r} declares no inputs or no outputs")
    return ModelConfig(name, platform, max_batch, inputs, outputs)


_Value = str | dict[str, list[Any]]


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        if match.start() != position:
            break
        position = match.end()
        token = match.group(0)
        if token.strip() and not token.startswith("#"):
            tokens.append(token)
    if position != len(text):
        raise ModelConfigError(f"config.pbtxt: cannot read past offset {position}")
    tokens.reverse()  # parsed with pop() from the end
    return tokens


def _parse_message(tokens: list[str], *, top: bool = False) -> dict[str, list[_Value]]:
    fields: dict[str, list[_Value]] = {}
    while tokens:
        key = tokens.pop()
        if key == "}" and not top:
            return fields
        if not re.fullmatch(r"[A-Za-z_]\w*", key):
            raise ModelConfigError(f"unexpected {key!r} in config.pbtxt")
        if tokens and tokens[-1] == ":":
            tokens.pop()
        fields.setdefault(key, []).extend(_parse_values(tokens))
        if tokens and tokens[-1] in {",", ";"}:
            tokens.pop()
    if not top:
        raise ModelConfigError("unbalanced braces in config.pbtxt")
    return fields


def _parse_values(items: list[str]) -> list[_Value]:
    if not items:
        raise ModelConfigError("config.pbtxt ends after a field name")
    item = items.pop()
    if item == "{":
        return [_parse_message(items)]
    if item == "[":
        values: list[_Value] = []
        while items and items[-1] != "]":
            values.extend(_parse_values(items))
            if items and items[-1] == ",":
                items.pop()
        if not items:
            raise ModelConfigError("unbalanced brackets in config.pbtxt")
        items.pop()
        return values
    if item in {"}", "]", ":", ","}:
        raise ModelConfigError(f"unexpected {item!r} in config.pbtxt")
    return [item[1:-1] if item.startswith('"') else item]


def _scalar(values: list[_Value]) -> str:
    if len(values) != 1 or not isinstance(values[0], str):
        raise ValueError(f"expected one value, got {values!r}")
    return values[0]


def _messages(values: list[_Value]) -> list[dict[str, list[_Value]]]:
    messages = [v for v in values if isinstance(v, dict)]
    if len(messages) != len(values):
        raise ValueError("expected messages")
    return messages


def _tensor(fields: dict[str, list[_Value]]) -> TensorSpec:
    dims = tuple(int(d) for d in fields.get("dims", []) if isinstance(d, str))
    return TensorSpec(_scalar(fields["name"]), _scalar(fields["data_type"]), dims)
