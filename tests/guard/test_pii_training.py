"""The tagger's training data and artefacts: held-out split disjoint from training (names, streets,
templates), rendering reproducible, feature ids stable (the shipped model depends on them), and the
model directory in Triton's layout, small, and matching the code."""

from __future__ import annotations

import hashlib

import orjson
import pytest
from training.pii import prose, render

from trueport.guard import pii_features as pf
from trueport.guard.pii_ner import DEFAULT_MODELS_DIR, latest_version

MODEL_DIR = DEFAULT_MODELS_DIR / "pii_ner"
FEATURE_DIGEST = "b664ce5e9f74e54f"  # sha256 of the feature ids of the sentence below, little-endian


def test_splits_share_no_names_streets_or_templates() -> None:
    train, held_out = render.load_pools("train", 1), render.load_pools("eval", 1)
    assert not set(train.given) & set(held_out.given)
    assert not set(train.surnames) & set(held_out.surnames)
    assert not {i.street for i in train.identities} & {i.street for i in held_out.identities}
    assert not set(train.street_bases) & set(held_out.street_bases)
    presidio, own = render.load_templates()
    for templates, seed in ((presidio, 11), (own, 12)):
        assert not set(render.split_list(templates, "train", seed)) & set(
            render.split_list(templates, "eval", seed)
        )
    assert len(held_out.given) > 300 and len(held_out.surnames) > 300


def test_rendering_is_reproducible() -> None:
    first = render.render("eval", 5, per_template=1)
    second = render.render("eval", 5, per_template=1)
    assert [e.as_json() for e in first] == [e.as_json() for e in second]
    for example in first:
        for start, end, kind in example.spans:
            assert 0 <= start < end <= len(example.text) and kind
            assert example.text[start:end] == example.text[start:end].strip(" ")


def test_labels_follow_the_conventions() -> None:
    pools = render.load_pools("eval", 2)
    example = render.fill("Dear {{prefix_male}} {{first_name}} {{last_name}}, see {{address}}.", pools, "t")
    kinds = [kind for _, _, kind in example.spans]
    assert kinds == ["person", "street_address"]  # first + last name is one person; no title
    (start, end, _) = example.spans[0]
    assert not example.text[start:end].startswith(("Mr", "Dr", "Prof", "Sir"))


def test_feature_ids_are_stable() -> None:
    """The shipped model was trained on these ids: a change in pii_features needs retraining."""
    featurizer = pf.Featurizer(
        frozenset({"the", "meeting", "is", "at"}), {"ana": "given", "lopez": "surname"}
    )
    text = "The meeting is at 12 Main St. with Ana Lopez,\nthanks!"
    ids = featurizer.featurize(text, pf.tokenize(text))
    assert ids.shape == (len(pf.tokenize(text)), pf.FEATURES_PER_TOKEN)
    assert ids.min() >= 0 and ids.max() < pf.BUCKETS
    assert hashlib.sha256(ids.tobytes()).hexdigest()[:16] == FEATURE_DIGEST


def test_benign_rows_follow_the_data_hygiene_rule() -> None:
    """Training never sees a benign row with f >= 0.6; the reserved rows (f >= 0.8) are evaluation only."""
    names = render.known_names()
    for _, text in prose.benign_rows("train", names):
        assert prose.hygiene_fraction(text) < prose.TRAIN_LIMIT
    for text in prose.word_problem_negatives(names, 200):
        assert prose.hygiene_fraction(text) < prose.TRAIN_LIMIT
    assert all(
        prose.hygiene_fraction(t) >= prose.RESERVED_FROM for _, t in prose.benign_rows("reserved", names)
    )


def test_prose_frames_are_labelled_and_split() -> None:
    train = prose.prose_examples("train", 3, 1)
    held_out = prose.prose_examples("eval", 3, 1)
    assert not {e.group for e in train} & {e.group for e in held_out}
    for example in train + held_out + prose.handwritten():
        for start, end, kind in example.spans:
            value = example.text[start:end]
            assert value == value.strip() and kind in {"person", "street_address"}, value
    assert any(e.spans for e in held_out) and any(not e.spans for e in held_out)


def test_model_directory() -> None:
    version = latest_version(MODEL_DIR)
    assert (version / "model.onnx").stat().st_size < 5_000_000
    metadata = orjson.loads((version / "features.json").read_bytes())
    assert metadata["labels"] == list(pf.LABELS)
    assert metadata["buckets"] == pf.BUCKETS and metadata["features_per_token"] == pf.FEATURES_PER_TOKEN
    assert len((version / "vocab.txt").read_text(encoding="utf-8").split()) > 5000
    gazetteer = (version / metadata["gazetteer"]).read_text(encoding="utf-8").splitlines()
    assert len(gazetteer) > 3000 and all(line.count("\t") == 1 for line in gazetteer)
    models = pytest.importorskip("trueport.guard.models")
    config = models.parse_config((MODEL_DIR / "config.pbtxt").read_text(encoding="utf-8"))
    assert config.name == "pii_ner" and config.platform == "onnxruntime_onnx"
    assert [(t.name, t.data_type) for t in config.inputs] == [("features", "TYPE_INT64")]
    assert [(t.name, t.data_type) for t in config.outputs] == [("probabilities", "TYPE_FP32")]
