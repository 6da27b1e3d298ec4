"""Train the bias model and export it to the model repository (Triton layout, ONNX).

    uv run python -m training.bias.train            # writes src/trueport/models/bias/{config.pbtxt,1/model.onnx}

Data: the generator's ``train`` split (``training/bias/generate.py``), plus every sentence of the
shared benign corpora (``../shared/datasets/injection``: the label-0 rows of ``train.jsonl`` and the
BIPIA contexts) that mentions a group, as real-world negatives. Only sentences that mention a group
are used, because only those reach the model at run time (``bias_features.analyse``).

Model: multinomial logistic regression over word 1-2-grams, character 2-4-grams (binary TF-IDF,
L2 per block) and the rule features, five classes (``none`` and the four bias types). The ONNX graph
starts from the masked sentence's words and characters as strings: ``TfIdfVectorizer`` counts the
n-grams, then IDF weights, L2 norms, the linear layer and a softmax. The export is checked against
scikit-learn's probabilities.
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import orjson
import scipy.sparse as sp  # type: ignore[import-untyped]
from onnx import TensorProto, helper, numpy_helper
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from training.bias.generate import generate

from trueport.guard import bias_features as bf

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "datasets" / "injection"
MODEL_DIR = ROOT / "src" / "trueport" / "models" / "bias"
CLASSES = ("none", "stereotype", "slur_or_dehumanisation", "exclusion", "incitement")
CHAR_RANGE = (2, 4)
WORD_MAX_FEATURES = 20_000
CHAR_MAX_FEATURES = 40_000
REAL_NEGATIVE_WEIGHT = 3.0  # a real benign sentence counts as three generated ones


def word_ngrams(masked: str) -> list[str]:
    words = bf.model_words(masked)
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def char_ngrams(masked: str) -> list[str]:
    chars = bf.model_chars(masked)
    return [
        chars[i : i + n] for n in range(CHAR_RANGE[0], CHAR_RANGE[1] + 1) for i in range(len(chars) - n + 1)
    ]


def real_negatives(path: Path = SHARED) -> list[str]:
    """Texts from the shared benign corpora (injection train label 0, BIPIA contexts)."""
    texts = []
    for line in (path / "train.jsonl").read_bytes().splitlines():
        row = orjson.loads(line)
        if row["label"] == 0:
            texts.append(row["text"])
    for line in (path / "bipia-train-contexts.jsonl").read_bytes().splitlines():
        context = orjson.loads(line)["context"]
        texts.append("\n".join(map(str, context)) if isinstance(context, list) else context)
    return texts


def segments(rows: Iterable[tuple[str, str, float]]) -> tuple[list[str], list[int], list[float]]:
    """Masked group-mentioning sentences with their class index and weight."""
    masked, labels, weights = [], [], []
    for text, kind, weight in rows:
        for segment in bf.analyse(text).segments:
            masked.append(segment.masked)
            labels.append(CLASSES.index(kind))
            weights.append(weight)
    return masked, labels, weights


class Featurizer:
    def __init__(self) -> None:
        self.words = CountVectorizer(
            analyzer=word_ngrams, min_df=2, max_features=WORD_MAX_FEATURES, binary=True
        )
        self.chars = CountVectorizer(
            analyzer=char_ngrams, min_df=3, max_features=CHAR_MAX_FEATURES, binary=True
        )
        self.word_tfidf = TfidfTransformer()
        self.char_tfidf = TfidfTransformer()

    def fit(self, masked: Sequence[str]) -> Featurizer:
        self.word_tfidf.fit(self.words.fit_transform(masked))
        self.char_tfidf.fit(self.chars.fit_transform(masked))
        return self

    def transform(self, masked: Sequence[str]) -> sp.csr_matrix:
        w = self.word_tfidf.transform(self.words.transform(masked))
        c = self.char_tfidf.transform(self.chars.transform(masked))
        r = sp.csr_matrix(np.array([bf.rule_features(m) for m in masked], dtype=np.float64))
        return sp.hstack([w, c, r], format="csr")


def train(
    masked: Sequence[str], labels: Sequence[int], weights: Sequence[float], c: float
) -> tuple[Featurizer, LogisticRegression]:
    featurizer = Featurizer().fit(masked)
    x = featurizer.transform(masked)
    model = LogisticRegression(C=c, max_iter=3000)
    model.fit(x, np.asarray(labels), sample_weight=np.asarray(weights))
    return featurizer, model


# --- ONNX export -------------------------------------------------------------------------------


def _block_nodes(
    prefix: str,
    vectorizer: CountVectorizer,
    tfidf: TfidfTransformer,
    split: Any,
    n_range: tuple[int, int],
    coef: np.ndarray[Any, Any],
) -> tuple[list[onnx.NodeProto], list[onnx.TensorProto]]:
    """One TF-IDF block's contribution to the logits: (binary x idf) . coef / ||binary x idf||.

    The linear layer runs before the L2 division (on [batch, classes] rather than on
    [batch, vocabulary]): the same numbers, two passes over the wide tensor instead of four.
    """
    vocabulary: dict[str, int] = vectorizer.vocabulary_
    by_n: dict[int, list[tuple[list[str], int]]] = {n: [] for n in range(1, n_range[1] + 1)}
    for gram, column in vocabulary.items():
        parts = split(gram)
        by_n[len(parts)].append((parts, column))
    pool: list[str] = []
    counts: list[int] = []
    indexes: list[int] = []
    for n in range(1, n_range[1] + 1):
        counts.append(len(pool))
        for parts, column in sorted(by_n[n], key=lambda item: item[1]):
            pool.extend(parts)
            indexes.append(column)
    idf = np.asarray(tfidf.idf_, dtype=np.float32)
    assert idf.shape == (len(vocabulary),)
    nodes = [
        helper.make_node(
            "TfIdfVectorizer",
            [f"{prefix}_tokens"],
            [f"{prefix}_x"],
            mode="IDF",  # 1 per n-gram present, times its weight: binary tf x idf
            min_gram_length=n_range[0],
            max_gram_length=n_range[1],
            max_skip_count=0,
            ngram_counts=counts,
            ngram_indexes=indexes,
            pool_strings=pool,
            weights=idf[indexes].tolist(),  # in pool order, not column order
        ),
        helper.make_node("ReduceSumSquare", [f"{prefix}_x"], [f"{prefix}_sq"], axes=[1], keepdims=1),
        helper.make_node("Sqrt", [f"{prefix}_sq"], [f"{prefix}_norm"]),
        helper.make_node("Max", [f"{prefix}_norm", "eps"], [f"{prefix}_normc"]),
        helper.make_node("MatMul", [f"{prefix}_x", f"{prefix}_coef"], [f"{prefix}_raw"]),
        helper.make_node("Div", [f"{prefix}_raw", f"{prefix}_normc"], [f"{prefix}_logits"]),
    ]
    return nodes, [numpy_helper.from_array(np.ascontiguousarray(coef, dtype=np.float32), f"{prefix}_coef")]


def export(featurizer: Featurizer, model: LogisticRegression) -> onnx.ModelProto:
    coef = np.asarray(model.coef_, dtype=np.float32).T  # [features, classes]
    n_words = len(featurizer.words.vocabulary_)
    n_chars = len(featurizer.chars.vocabulary_)
    word_nodes, word_init = _block_nodes(
        "word", featurizer.words, featurizer.word_tfidf, lambda g: g.split(" "), (1, 2), coef[:n_words]
    )
    char_nodes, char_init = _block_nodes(
        "char", featurizer.chars, featurizer.char_tfidf, list, CHAR_RANGE, coef[n_words : n_words + n_chars]
    )
    constants = [
        numpy_helper.from_array(np.array(1e-12, dtype=np.float32), "eps"),
        numpy_helper.from_array(np.ascontiguousarray(coef[n_words + n_chars :]), "rules_coef"),
        numpy_helper.from_array(np.asarray(model.intercept_, dtype=np.float32), "intercept"),
    ]
    head = [
        helper.make_node("MatMul", ["rules", "rules_coef"], ["rules_logits"]),
        helper.make_node("Add", ["word_logits", "char_logits"], ["text_logits"]),
        helper.make_node("Add", ["text_logits", "rules_logits"], ["logits0"]),
        helper.make_node("Add", ["logits0", "intercept"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ]
    graph = helper.make_graph(
        word_nodes + char_nodes + head,
        "bias",
        [
            helper.make_tensor_value_info("word_tokens", TensorProto.STRING, [None, None]),
            helper.make_tensor_value_info("char_tokens", TensorProto.STRING, [None, None]),
            helper.make_tensor_value_info("rules", TensorProto.FLOAT, [None, len(bf.RULE_NAMES)]),
        ],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, len(CLASSES)])],
        initializer=word_init + char_init + constants,
    )
    onnx_model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17)],
        ir_version=8,
        producer_name="trueport-training-bias",
        doc_string="TruePort bias detector: classes " + ",".join(CLASSES),
    )
    onnx.checker.check_model(onnx_model)
    return onnx_model


CONFIG = """# The bias detector's model (training/bias/train.py). Classes, in output order:
# {classes}
name: "bias"
platform: "onnxruntime_onnx"
max_batch_size: 0
input [
  {{ name: "word_tokens" data_type: TYPE_STRING dims: [ -1, -1 ] }},
  {{ name: "char_tokens" data_type: TYPE_STRING dims: [ -1, -1 ] }},
  {{ name: "rules" data_type: TYPE_FP32 dims: [ -1, {rules} ] }}
]
output [
  {{ name: "probabilities" data_type: TYPE_FP32 dims: [ -1, {classes_n} ] }}
]
"""


def write_repository(onnx_model: onnx.ModelProto, directory: Path = MODEL_DIR) -> None:
    (directory / "1").mkdir(parents=True, exist_ok=True)
    (directory / "1" / "model.onnx").write_bytes(onnx_model.SerializeToString())
    (directory / "config.pbtxt").write_text(
        CONFIG.format(classes=", ".join(CLASSES), rules=len(bf.RULE_NAMES), classes_n=len(CLASSES)),
        encoding="utf-8",
    )


def check_export(
    onnx_model: onnx.ModelProto, featurizer: Featurizer, model: LogisticRegression, masked: Sequence[str]
) -> float:
    import onnxruntime as ort

    from trueport.guard.bias import model_inputs

    session = ort.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    ours = session.run(None, model_inputs(masked))[0]
    theirs = model.predict_proba(featurizer.transform(masked))
    return float(np.max(np.abs(ours - theirs)))


def report(
    name: str, labels: Sequence[int], probabilities: np.ndarray[Any, Any], threshold: float = 0.5
) -> None:
    y = np.asarray(labels) > 0
    score = 1.0 - probabilities[:, 0]
    predicted = score >= threshold
    tp = int(np.sum(predicted & y))
    fp = int(np.sum(predicted & ~y))
    fn = int(np.sum(~predicted & y))
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    print(
        f"{name}: n={len(y)} pos={int(y.sum())} P={precision:.3f} R={recall:.3f} F1={f1:.3f} FP={fp} FN={fn}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-C", type=float, default=2.0, help="inverse regularisation strength")
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument("--no-real", action="store_true", help="leave out the shared benign corpora")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    rows = [(str(r["text"]), str(r["type"]), 1.0) for r in generate("train")]
    if not args.no_real:
        rows += [(text, "none", REAL_NEGATIVE_WEIGHT) for text in real_negatives()]
    masked, labels, weights = segments(rows)
    print(f"train: {len(masked)} sentences {dict(Counter(CLASSES[i] for i in labels))}")
    featurizer, model = train(masked, labels, weights, args.C)
    print(
        f"fitted in {time.perf_counter() - started:.1f}s; features {featurizer.transform(masked[:1]).shape[1]}"
    )

    dev_masked, dev_labels, _ = segments((str(r["text"]), str(r["type"]), 1.0) for r in generate("dev"))
    report("train", labels, model.predict_proba(featurizer.transform(masked)))
    report("dev", dev_labels, model.predict_proba(featurizer.transform(dev_masked)))

    onnx_model = export(featurizer, model)
    difference = check_export(onnx_model, featurizer, model, dev_masked[:500])
    print(f"onnx vs sklearn: max |dp| = {difference:.2e}")
    if difference > 1e-4:
        raise SystemExit("the ONNX export disagrees with scikit-learn")
    write_repository(onnx_model, args.out)
    size = (args.out / "1" / "model.onnx").stat().st_size
    print(f"wrote {args.out} ({size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
