"""The bias training pipeline: the generator's splits, and an ONNX export that matches scikit-learn."""

from __future__ import annotations

import collections
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from training.bias import templates, train
from training.bias.generate import TEMPLATES, generate, in_dev, split_items

from trueport.guard.bias import BiasDetector, model_inputs
from trueport.guard.bias_features import analyse
from trueport.guard.models import ModelRepository


def test_generation_is_deterministic() -> None:
    assert generate("dev", scale=0.1) == generate("dev", scale=0.1)


def test_splits_share_no_template() -> None:
    for pool in TEMPLATES.values():
        train_templates = set(split_items(pool, "train"))
        dev_templates = set(split_items(pool, "dev"))
        assert train_templates
        assert dev_templates
        assert not train_templates & dev_templates
    train_ids = {r["template"] for r in generate("train", scale=0.1)}
    dev_ids = {r["template"] for r in generate("dev", scale=0.5)}
    assert not train_ids & dev_ids


def test_labels_and_types() -> None:
    rows = generate("dev", scale=0.5)
    kinds = collections.Counter(r["type"] for r in rows)
    assert set(kinds) == set(train.CLASSES)
    assert all((r["label"] == 0) == (r["type"] == "none") for r in rows)
    assert kinds["none"] > 0.4 * len(rows)


def test_generated_positives_reach_the_model() -> None:
    """Every group the generator uses is in the detector's lexicon (else training data is lost)."""
    positives = [r for r in generate("train", scale=0.2) if r["label"] == 1]
    missed = [r["text"] for r in positives if not analyse(str(r["text"])).segments]
    assert len(missed) / len(positives) < 0.01, missed[:10]


def test_in_dev_is_stable() -> None:
    assert in_dev(templates.STEREOTYPE[0]) == in_dev(templates.STEREOTYPE[0])


@pytest.mark.slow
def test_export_matches_scikit_learn(tmp_path: Path) -> None:
    rows = [(str(r["text"]), str(r["type"]), 1.0) for r in generate("train", scale=0.05)]
    masked, labels, weights = train.segments(rows)
    featurizer, model = train.train(masked, labels, weights, c=2.0)
    onnx_model = train.export(featurizer, model)
    session = ort.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    probe = masked[:200]
    ours = session.run(None, model_inputs(probe))[0]
    theirs = model.predict_proba(featurizer.transform(probe))
    assert np.max(np.abs(ours - theirs)) < 1e-4

    train.write_repository(onnx_model, tmp_path / "bias")
    detector = BiasDetector(ModelRepository(tmp_path))
    assert detector.classify(probe[:3]).shape == (3, len(train.CLASSES))
