"""The model repository: Triton's layout parsed, latest version loaded, run on ONNX Runtime."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from trueport.guard.models import (
    DEFAULT_MODEL_DIR,
    InferenceError,
    ModelConfigError,
    ModelRepository,
    parse_config,
)

CONFIG = """
# a comment
name: "adder"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [
  {
    name: "x"
    data_type: TYPE_FP32
    dims: [ 3 ]
  }
]
output [ { name: "y", data_type: TYPE_FP32, dims: [ 3 ] } ]
instance_group [ { count: 1 kind: KIND_CPU } ]
dynamic_batching { max_queue_delay_microseconds: 100 }
"""


def write_adder(directory: Path, version: int, constant: float) -> None:
    """A model computing y = x + constant, saved as <directory>/<version>/model.onnx."""
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "c"], ["y"])],
        "adder",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
        [helper.make_tensor("c", TensorProto.FLOAT, [], [constant])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    (directory / str(version)).mkdir(parents=True)
    onnx.save(model, str(directory / str(version) / "model.onnx"))


@pytest.fixture
def repository(tmp_path: Path) -> ModelRepository:
    adder = tmp_path / "adder"
    adder.mkdir()
    (adder / "config.pbtxt").write_text(CONFIG)
    write_adder(adder, 1, 1.0)
    write_adder(adder, 2, 10.0)
    (adder / "notes").mkdir()  # not a version
    return ModelRepository(tmp_path)


def test_config_is_parsed() -> None:
    config = parse_config(CONFIG)
    assert (config.name, config.platform, config.max_batch_size) == ("adder", "onnxruntime_onnx", 8)
    (x,) = config.inputs
    assert (x.name, x.data_type, x.dims, x.datatype) == ("x", "TYPE_FP32", (3,), "FP32")
    assert [o.name for o in config.outputs] == ["y"]


def test_the_latest_version_is_loaded_and_run(repository: ModelRepository) -> None:
    entry = repository.models["adder"]
    assert entry.version == 2
    out = repository.infer("adder", {"x": np.array([[1.0, 2.0, 3.0]], dtype=np.float32)})
    np.testing.assert_allclose(out["y"], [[11.0, 12.0, 13.0]])


def test_unknown_model_and_bad_inputs_raise_inference_error(repository: ModelRepository) -> None:
    with pytest.raises(InferenceError, match="no model"):
        repository.infer("nope", {})
    with pytest.raises(InferenceError):
        repository.infer("adder", {"x": np.array([["a"]])})


@pytest.mark.parametrize(
    "text",
    [
        'name: "m" platform: "tensorflow_savedmodel" input [ { name: "a" data_type: TYPE_FP32 dims: [1] } ] output [ { name: "b" data_type: TYPE_FP32 dims: [1] } ]',
        'name: "m" platform: "onnxruntime_onnx" input [ { name: "a" data_type: TYPE_FP32 dims: [1] }',
        'name: "m" platform: "onnxruntime_onnx"',
        'name: "unterminated',
    ],
)
def test_malformed_configs_are_refused(text: str) -> None:
    with pytest.raises(ModelConfigError):
        parse_config(text)


def test_a_broken_model_is_skipped_and_the_others_still_load(
    repository: ModelRepository, tmp_path: Path
) -> None:
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.pbtxt").write_text(CONFIG.replace('"adder"', '"broken"'))  # no version
    (tmp_path / "garbled").mkdir()
    (tmp_path / "garbled" / "config.pbtxt").write_text('name: "garbled" input [ {')
    fresh = ModelRepository(tmp_path)
    assert set(fresh.models) == {"adder"}
    assert "no <version>" in fresh.errors["broken"]
    assert "garbled" in fresh.errors
    with pytest.raises(InferenceError, match="skipped"):
        fresh.infer("broken", {})


def test_the_shipped_repository_has_the_injection_model() -> None:
    repository = ModelRepository(DEFAULT_MODEL_DIR)
    config = repository.config("injection")
    assert config.platform == "onnxruntime_onnx"
    assert [i.name for i in config.inputs] == ["char_ids", "char_tf", "word_ids", "word_tf"]
    assert [(o.name, o.datatype, o.dims) for o in config.outputs] == [
        ("score", "FP32", (1,)),
        ("window_score", "FP32", (1,)),
        ("document_score", "FP32", (1,)),
    ]
    assert repository.models["injection"].path.stat().st_size < 20_000_000
