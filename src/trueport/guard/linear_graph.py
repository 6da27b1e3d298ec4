"""The injection model's ONNX graph, evaluated directly in numpy.

The injection model (``training/injection/train.py``, ``export_onnx``) is linear: per block (character
and word n-grams) one gather of ``[idf, idf * w]`` per bucket, a dot product over the L2 norm, the two
blocks summed with a bias, then each output maps that logit piecewise linearly and takes its sigmoid.
For one short text ONNX Runtime spends most of its time on the call itself (inputs checked and
copied, sixty-odd graph nodes dispatched), so the detector evaluates the same graph here when it runs
the model locally: one gather from the two tables side by side, a few vector operations.

``LinearGraph.load(path)`` reads the tables and constants from the ``model.onnx`` file with a small
protobuf reader (the ``onnx`` package is only a training dependency) and accepts the file only if its
nodes are exactly the ones ``export_onnx`` writes; any other graph gives ``None`` and the detector
runs it on ONNX Runtime. ``tests/guard/test_linear_graph.py`` checks the scores against ONNX Runtime
on thousands of texts (within 1e-6) and that every verdict is the same.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

Table = np.ndarray[tuple[int, ...], np.dtype[np.float32]]
Float32 = np.ndarray[tuple[int], np.dtype[np.float32]]
Int64 = np.ndarray[tuple[int], np.dtype[np.int64]]

# The outputs a graph may have, in the order the export writes them (``document_score`` since the
# document window threshold; older graphs have the first two).
OUTPUTS = ("score", "window_score", "document_score")
# The node types ``export_onnx`` writes, in order: per block gather, scale, split, squares, sums,
# norm, divide; the blocks added with the bias; per output the piecewise map and the sigmoid.
_BLOCK_OPS = [
    "Gather",
    "Unsqueeze",
    "Mul",
    "Split",
    "Mul",
    "ReduceSum",
    "Max",
    "Sqrt",
    "ReduceSum",
    "Div",
    "Unsqueeze",
]
_OUTPUT_OPS = ["Sub", "Min", "Max", "Mul", "Add", "Add", "Sigmoid"]
_HEAD_OPS = _BLOCK_OPS * 2 + ["Add", "Add"]
_FLOAT, _INT64 = 1, 7  # TensorProto.DataType


@dataclass(frozen=True, slots=True)
class _Mapping:
    """One output's piecewise map of the logit: at + min(z - flag, 0) + slope * max(z - flag, 0)."""

    flag: float
    slope: float
    at: float


class LinearGraph:
    """The graph's tables and constants; ``logits`` and ``output`` compute what ONNX Runtime would.

    ``table`` holds the character table's rows, then the word table's: a word bucket ``b`` is row
    ``char_buckets + b``, so one text's n-grams of both blocks are one array of rows.
    """

    def __init__(
        self, char_table: Table, word_table: Table, eps: float, bias: float, mappings: dict[str, _Mapping]
    ) -> None:
        self.char_buckets = int(char_table.shape[0])
        self.table = np.ascontiguousarray(np.concatenate([char_table, word_table]), dtype=np.float32)
        self.eps = float(np.float32(eps))
        self.bias = float(np.float32(bias))
        self._mappings = mappings

    @classmethod
    def load(cls, path: Path) -> LinearGraph | None:
        """The graph in ``path`` if it is the linear injection graph, else None."""
        try:
            ops, tensors = _read_model(path.read_bytes())
        except (OSError, ValueError, IndexError):
            return None
        outputs = OUTPUTS[: (len(ops) - len(_HEAD_OPS)) // len(_OUTPUT_OPS)]
        if len(outputs) < 2 or ops != _HEAD_OPS + _OUTPUT_OPS * len(outputs):
            return None
        try:
            char_table, word_table = tensors["char_tab"], tensors["word_tab"]
            names = ["eps", "zero", "bias"] + [
                f"{o}_{part}" for o in outputs for part in ("flag", "slope", "at")
            ]
            scalars = {name: float(tensors[name].reshape(-1)[0]) for name in names}
        except (KeyError, IndexError):
            return None
        if (
            char_table.ndim != 2
            or word_table.ndim != 2
            or char_table.shape[1] != 2
            or word_table.shape[1] != 2
        ):
            return None
        if scalars["zero"] != 0.0:
            return None
        mappings = {
            out: _Mapping(scalars[f"{out}_flag"], scalars[f"{out}_slope"], scalars[f"{out}_at"])
            for out in outputs
        }
        return cls(char_table, word_table, scalars["eps"], scalars["bias"], mappings)

    def logit(self, ids: Int64, tf: Float32) -> float:
        """The raw logit of one text from its rows (sorted: character buckets first) and term
        frequencies: per block dot(x, w) / sqrt(max(|x|^2, eps)) with x = tf * idf; summed, plus bias.
        A block without n-grams adds 0 (0 / sqrt(eps)), as in the graph. (The graph computes in
        float32; the last few operations here are in float64: the two differ by about 1e-7.)"""
        rows = self.table.take(ids, axis=0)  # one cache line per n-gram: idf, idf * w
        x = rows[:, 0] * tf
        xw = rows[:, 1] * tf
        split = int(np.searchsorted(ids, self.char_buckets))
        total = self.bias
        for part in (slice(0, split), slice(split, None)):
            xs = x[part]
            total += float(xw[part].sum()) / math.sqrt(max(float(np.dot(xs, xs)), self.eps))
        return total

    def logits(self, rows: Sequence[tuple[Int64, Float32]]) -> list[float]:
        return [self.logit(ids, tf) for ids, tf in rows]

    def has(self, name: str) -> bool:
        return name in self._mappings

    def output(self, name: str, logits: Sequence[float]) -> Float32:
        """Output ``name`` (one of ``OUTPUTS`` the graph has) for ``logits``, as the graph maps them:
        the sigmoid of at + min(z - flag, 0) + slope * max(z - flag, 0), for each logit z."""
        m = self._mappings[name]
        out = np.empty(len(logits), dtype=np.float32)
        for i, z in enumerate(logits):
            d = float(np.float32(z)) - m.flag  # the graph's logit is a float32
            mapped = m.at + min(d, 0.0) + m.slope * max(d, 0.0)
            out[i] = 1.0 / (1.0 + math.exp(-mapped)) if mapped > -700 else 0.0
        return out


# --- a minimal protobuf reader: what an ONNX file's graph holds ---------------------------------------


def _read_model(data: bytes) -> tuple[list[str], dict[str, np.ndarray]]:
    """The op types of the graph's nodes, in order, and its float and int64 initializers by name."""
    view = memoryview(data)
    graph = next((value for field, value in _fields(view) if field == 7), None)  # ModelProto.graph
    if not isinstance(graph, memoryview):
        raise ValueError("no graph")
    ops: list[str] = []
    tensors: dict[str, np.ndarray] = {}
    for field, value in _fields(graph):
        if field == 1 and isinstance(value, memoryview):  # GraphProto.node
            ops.append(
                next(
                    (bytes(v).decode() for f, v in _fields(value) if f == 4 and isinstance(v, memoryview)), ""
                )
            )
        elif field == 5 and isinstance(value, memoryview):  # GraphProto.initializer
            name, tensor = _tensor(value)
            tensors[name] = tensor
    return ops, tensors


def _tensor(buf: memoryview) -> tuple[str, np.ndarray]:
    dims: list[int] = []
    dtype = 0
    name = ""
    raw = b""
    floats: list[bytes] = []  # float_data: packed (one view) or not (4 bytes each)
    int64s: list[int] = []
    for field, value in _fields(buf):
        if field == 1:  # dims: packed or not
            dims.extend(_varints(value) if isinstance(value, memoryview) else [int(value)])
        elif field == 2 and isinstance(value, int):
            dtype = value
        elif field == 4:
            floats.append(bytes(value) if isinstance(value, memoryview) else value.to_bytes(4, "little"))
        elif field == 7:
            int64s.extend(_varints(value) if isinstance(value, memoryview) else [int(value)])
        elif field == 8 and isinstance(value, memoryview):
            name = bytes(value).decode()
        elif field == 9 and isinstance(value, memoryview):
            raw = bytes(value)
    if dtype == _FLOAT:
        array: np.ndarray = np.frombuffer(raw or b"".join(floats), dtype="<f4")
    elif dtype == _INT64:
        array = np.frombuffer(raw, dtype="<i8") if raw else np.array(int64s, dtype=np.uint64).view(np.int64)
    else:
        return name, np.zeros(0, dtype=np.float32)  # a type the linear graph does not use
    count = int(np.prod(dims)) if dims else 1
    if array.size != count:
        raise ValueError(f"tensor {name}: {array.size} values for dims {dims}")
    return name, array.reshape(dims) if dims else array


def _fields(buf: memoryview) -> Iterator[tuple[int, int | memoryview]]:
    """(field number, value) of a message: varints and fixed-width values as ints, the rest as views."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            yield field, value
        elif wire == 2:
            length, pos = _varint(buf, pos)
            if pos + length > end:
                raise ValueError("truncated field")
            yield field, buf[pos : pos + length]
            pos += length
        elif wire == 1:
            yield field, int.from_bytes(buf[pos : pos + 8], "little")
            pos += 8
        elif wire == 5:
            yield field, int.from_bytes(buf[pos : pos + 4], "little")
            pos += 4
        else:
            raise ValueError(f"wire type {wire}")


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _varints(buf: memoryview) -> list[int]:
    out, pos = [], 0
    while pos < len(buf):
        value, pos = _varint(buf, pos)
        out.append(value)
    return out
