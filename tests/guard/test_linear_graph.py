"""The injection model's linear graph evaluated in numpy gives ONNX Runtime's scores and verdicts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from training.injection.corpus import DEFAULT_DATASETS, dev_split, heldout_documents
from training.injection.evaluate import PROBE_ATTACKS, PROBE_BENIGN

from trueport.guard.base import ScanContext, Source
from trueport.guard.injection import (
    CHAR_BUCKETS,
    MODEL_NAME,
    InjectionDetector,
    batch_inputs,
    featurize,
    featurize_rows,
    prepare,
)
from trueport.guard.linear_graph import LinearGraph
from trueport.guard.models import DEFAULT_MODEL_DIR, ModelRepository
from trueport.guard.triton import FallbackBackend, TritonBackend

MODEL = DEFAULT_MODEL_DIR / MODEL_NAME / "1" / "model.onnx"
EDGE_CASES = [
    "",
    " ",
    "a",
    "ab",
    "abc",
    "Say hello to visitor 1-23.",
    "x" * 3000,
    "\u00e9" * 10,
    "\U0001f600 hi",
    "aa aa aa " * 300,  # counts beyond the tf table
    "...!!!",  # no words: the word block is empty
]


@pytest.fixture(scope="module")
def repository() -> ModelRepository:
    return ModelRepository()


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """Held-out user texts (benign and attacks) and held-out documents (clean and attacked)."""
    _, report = dev_split(DEFAULT_DATASETS)
    documents = heldout_documents(DEFAULT_DATASETS)
    return [e.text for e in report] + [d.text for d in documents] + list(PROBE_BENIGN + PROBE_ATTACKS)


def test_the_shipped_model_is_the_linear_graph(repository: ModelRepository) -> None:
    graph = LinearGraph.load(MODEL)
    assert graph is not None
    assert graph.has("score") and graph.has("window_score")
    assert graph.char_buckets == CHAR_BUCKETS
    assert InjectionDetector(repository)._graph is not None


@pytest.mark.parametrize("context", [ScanContext(source=Source.USER), ScanContext(source=Source.DOCUMENT)])
def test_direct_scores_and_verdicts_are_onnx_runtimes(
    repository: ModelRepository, texts: list[str], context: ScanContext
) -> None:
    direct = InjectionDetector(repository)
    onnx = InjectionDetector(repository, direct=False)
    assert direct._graph is not None and onnx._graph is None
    flag, block = direct.default_threshold, direct.default_block_threshold
    gaps = []
    for text in texts + EDGE_CASES:
        ours, theirs = direct.scan(text, context), onnx.scan(text, context)
        assert [(f.type, f.start, f.end) for f in ours] == [(f.type, f.start, f.end) for f in theirs], text[
            :80
        ]
        for a, b in zip(ours, theirs, strict=True):
            gaps.append(abs(a.score - b.score))
            assert (a.score >= flag, a.score >= block) == (b.score >= flag, b.score >= block), text[:80]
    assert len(gaps) > 500  # most texts reach the report threshold in one of the two sets
    assert max(gaps) <= 1e-6


def test_direct_scores_of_every_output_match_onnx_runtime(
    repository: ModelRepository, texts: list[str]
) -> None:
    """Whole texts and windows, every output the graph has, straight from the model's tensors."""
    graph = LinearGraph.load(MODEL)
    assert graph is not None
    sample = [prepare(t).text for t in texts[::7]] + EDGE_CASES
    for window in (False, True):
        features = [featurize(t, window=window) for t in sample]
        expected = repository.infer(MODEL_NAME, batch_inputs(features))
        logits = graph.logits([featurize_rows(t, window=window) for t in sample])
        for name, values in expected.items():
            assert graph.has(name)
            np.testing.assert_allclose(graph.output(name, logits), values.reshape(-1), rtol=0, atol=1e-6)


def test_rows_are_the_features_in_one_array(texts: list[str]) -> None:
    for text in [prepare(t).text for t in texts[::5]] + EDGE_CASES:
        for window in (False, True):
            features = featurize(text, window=window)
            ids, tf = featurize_rows(text, window=window)
            assert ids.tolist() == features.char_ids.tolist() + (features.word_ids + CHAR_BUCKETS).tolist()
            assert tf.tolist() == features.char_tf.tolist() + features.word_tf.tolist()


def test_another_graph_or_a_damaged_file_is_left_to_onnx_runtime(tmp_path: Path) -> None:
    others = [p for p in DEFAULT_MODEL_DIR.glob("*/1/model.onnx") if p != MODEL]
    assert others and all(LinearGraph.load(p) is None for p in others)
    damaged = tmp_path / "model.onnx"
    damaged.write_bytes(MODEL.read_bytes()[:100_000])
    assert LinearGraph.load(damaged) is None
    assert LinearGraph.load(tmp_path / "missing.onnx") is None


def test_a_remote_backend_runs_the_model_itself(repository: ModelRepository) -> None:
    triton = TritonBackend("http://127.0.0.1:9", 0.1, path=repository.path)
    assert InjectionDetector(triton)._graph is None
    assert InjectionDetector(FallbackBackend(triton, repository))._graph is None
