"""Train the injection model and export it to ``models/injection/1/model.onnx``.

    uv run python -m training.injection.train [--datasets ../shared/datasets/injection]

Features are the detector's own (``trueport.guard.injection.featurize`` after ``prepare``): hashed
character 2-5-grams and word 1-2-grams, TF-IDF weighted with sublinear term frequency, each block
L2-normalised. The classifier is an L2-regularised logistic regression (liblinear, class-balanced).
Regularisation and the operating point are chosen on the ``calib`` half of dev.jsonl: the threshold
maximises the mean of balanced accuracy and balanced accuracy averaged over the data sources
(s-labs, neuralchemy, PIGuard) subject to a false-positive rate of at most 4 % on the benign rows of
calib and on our own benign prompts; the export then shifts the bias so that the model's score is
0.5 at that threshold. Deterministic: fixed seeds, liblinear's seed fixed.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import orjson
import scipy.sparse as sp
from onnx import TensorProto, helper
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.preprocessing import normalize as l2_normalize
from training.injection.corpus import (
    DEFAULT_DATASETS,
    Document,
    Example,
    calibration_documents,
    dev_split,
    read_lines,
    training_set,
)

from trueport.guard.injection import (
    CHAR_BUCKETS,
    WORD_BUCKETS,
    Features,
    batch_inputs,
    featurize,
    prepare,
    windows,
)

REPO = Path(__file__).resolve().parents[2]
MODEL_DIR = REPO / "models" / "injection"
MAX_FP_RATE = 0.04
MAX_DOCUMENT_FP_RATE = 0.05
# L2 per block. (L1, and a dense "n-gram mass" feature, were tried to make long texts less
# suspicious: both did worse on the held-out sets; see eval/README-injection.md.)
NORM = "l2"


def features_of(texts: list[str]) -> list[Features]:
    return [featurize(prepare(t).text) for t in texts]


def block_matrix(features: list[Features], which: str, buckets: int) -> sp.csr_matrix:
    ids = [getattr(f, f"{which}_ids") for f in features]
    tfs = [getattr(f, f"{which}_tf") for f in features]
    indptr = np.concatenate([[0], np.cumsum([len(i) for i in ids])])
    indices = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
    data = np.concatenate(tfs) if tfs else np.zeros(0, dtype=np.float32)
    return sp.csr_matrix((data.astype(np.float64), indices, indptr), shape=(len(features), buckets))


def idf_of(matrix: sp.csr_matrix, weights: np.ndarray) -> np.ndarray:
    """Smoothed IDF as scikit-learn computes it, over the (weighted) training rows."""
    present = matrix.copy()
    present.data[:] = 1.0
    df = np.asarray(present.multiply(weights[:, None]).sum(axis=0)).ravel()
    n = float(weights.sum())
    return (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float64)


class Vectoriser:
    def __init__(self, char_idf: np.ndarray, word_idf: np.ndarray) -> None:
        self.char_idf = char_idf
        self.word_idf = word_idf

    def transform(self, features: list[Features]) -> sp.csr_matrix:
        blocks = []
        for which, buckets, idf in (
            ("char", CHAR_BUCKETS, self.char_idf),
            ("word", WORD_BUCKETS, self.word_idf),
        ):
            matrix = block_matrix(features, which, buckets) @ sp.diags(idf)
            blocks.append(l2_normalize(matrix, norm=NORM, copy=False))
        return sp.hstack(blocks, format="csr")


def source_family(group: str) -> str:
    """ "dev:neuralchemy/hackaprompt" -> "neuralchemy"."""
    return group.removeprefix("dev:").split("/")[0]


def macro_balanced_accuracy(labels: np.ndarray, predicted: np.ndarray, families: np.ndarray) -> float:
    """Balanced accuracy averaged over source families, so the largest source does not decide alone."""
    values = [
        balanced_accuracy_score(labels[families == f], predicted[families == f])
        for f in np.unique(families)
        if len(np.unique(labels[families == f])) == 2
    ]
    return float(np.mean(values))


def choose_threshold(
    scores: np.ndarray, labels: np.ndarray, families: np.ndarray, benign_scores: np.ndarray
) -> tuple[float, float]:
    """The threshold with the best (half plain, half source-averaged) balanced accuracy on calib whose false-positive
    rates on calib's benign rows and on our own benign prompts stay within MAX_FP_RATE."""
    best = (0.5, -1.0)
    for t in np.unique(np.round(np.concatenate([scores, benign_scores]), 3)):
        predicted = scores >= t
        fp_calib = float(np.mean(predicted[labels == 0]))
        fp_own = float(np.mean(benign_scores >= t))
        if fp_calib > MAX_FP_RATE or fp_own > MAX_FP_RATE:
            continue
        # Half plain balanced accuracy (dominated by the big sources), half the per-source average
        # (PIGuard's small, out-of-distribution sample counts as much as the others).
        accuracy = 0.5 * float(balanced_accuracy_score(labels, predicted)) + 0.5 * macro_balanced_accuracy(
            labels, predicted, families
        )
        if accuracy > best[1]:
            best = (float(t), accuracy)
    return best


def choose_window_threshold(
    clf: LogisticRegression, vectoriser: Vectoriser, documents: list[Document], threshold: float
) -> tuple[float, float]:
    """The window threshold for documents: a document is flagged when its whole text reaches
    ``threshold`` or one of its windows reaches the window threshold. Best balanced accuracy on the
    calibration documents with at most MAX_DOCUMENT_FP_RATE of the clean ones flagged."""
    whole = clf.predict_proba(vectoriser.transform(features_of([d.text for d in documents])))[:, 1]
    best_window = np.zeros(len(documents))
    for i, doc in enumerate(documents):
        spans = windows(doc.text)
        if spans:
            x = vectoriser.transform(features_of([doc.text[s:e] for s, e in spans]))
            best_window[i] = clf.predict_proba(x)[:, 1].max()
    labels = np.array([d.label for d in documents])
    best = (threshold, -1.0)
    for t in np.unique(np.round(best_window, 3)):
        flagged = (whole >= threshold) | (best_window >= t)
        if float(np.mean(flagged[labels == 0])) > MAX_DOCUMENT_FP_RATE:
            continue
        accuracy = float(balanced_accuracy_score(labels, flagged))
        if accuracy > best[1]:
            best = (float(t), accuracy)
    return best


def export_onnx(
    path: Path, vectoriser: Vectoriser, coef: np.ndarray, bias: float, window_bias: float
) -> None:
    """The model graph: ids/tf of both blocks in, calibrated probability out.

    per block: x = tf * idf[ids]; s = sum(x * w[ids]) / sqrt(max(sum(x * x), eps)); score = sigmoid(s_c + s_w + b)
    """
    w_char = coef[:CHAR_BUCKETS].astype(np.float32)
    w_word = coef[CHAR_BUCKETS:].astype(np.float32)
    initializers = [
        helper.make_tensor(
            "char_idf", TensorProto.FLOAT, [CHAR_BUCKETS], vectoriser.char_idf.astype(np.float32)
        ),
        helper.make_tensor("char_w", TensorProto.FLOAT, [CHAR_BUCKETS], w_char),
        helper.make_tensor(
            "word_idf", TensorProto.FLOAT, [WORD_BUCKETS], vectoriser.word_idf.astype(np.float32)
        ),
        helper.make_tensor("word_w", TensorProto.FLOAT, [WORD_BUCKETS], w_word),
        helper.make_tensor("axis1", TensorProto.INT64, [1], [1]),
        helper.make_tensor("eps", TensorProto.FLOAT, [], [1e-12]),
        helper.make_tensor("bias", TensorProto.FLOAT, [], [bias]),
        helper.make_tensor("window_bias", TensorProto.FLOAT, [], [window_bias]),
    ]
    nodes = []
    for block in ("char", "word"):
        nodes += [
            helper.make_node("Gather", [f"{block}_idf", f"{block}_ids"], [f"{block}_idf_g"]),
            helper.make_node("Mul", [f"{block}_tf", f"{block}_idf_g"], [f"{block}_x"]),
            helper.make_node("Mul", [f"{block}_x", f"{block}_x"], [f"{block}_x2"]),
            helper.make_node("ReduceSum", [f"{block}_x2", "axis1"], [f"{block}_ss"], keepdims=1),
            helper.make_node("Max", [f"{block}_ss", "eps"], [f"{block}_ss_safe"]),
            helper.make_node("Sqrt", [f"{block}_ss_safe"], [f"{block}_norm"]),
            helper.make_node("Gather", [f"{block}_w", f"{block}_ids"], [f"{block}_w_g"]),
            helper.make_node("Mul", [f"{block}_x", f"{block}_w_g"], [f"{block}_xw"]),
            helper.make_node("ReduceSum", [f"{block}_xw", "axis1"], [f"{block}_dot"], keepdims=1),
            helper.make_node("Div", [f"{block}_dot", f"{block}_norm"], [f"{block}_s"]),
        ]
    nodes += [
        helper.make_node("Add", ["char_s", "word_s"], ["s"]),
        helper.make_node("Add", ["s", "bias"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["score"]),
        helper.make_node("Add", ["s", "window_bias"], ["window_logit"]),
        helper.make_node("Sigmoid", ["window_logit"], ["window_score"]),
    ]
    inputs = [
        helper.make_tensor_value_info(name, dtype, ["batch", f"{name.split('_')[0]}_n"])
        for name, dtype in (
            ("char_ids", TensorProto.INT64),
            ("char_tf", TensorProto.FLOAT),
            ("word_ids", TensorProto.INT64),
            ("word_tf", TensorProto.FLOAT),
        )
    ]
    outputs = [
        helper.make_tensor_value_info("score", TensorProto.FLOAT, ["batch", 1]),
        helper.make_tensor_value_info("window_score", TensorProto.FLOAT, ["batch", 1]),
    ]
    graph = helper.make_graph(nodes, "injection", inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="trueport")
    model.ir_version = 8
    model.doc_string = "TruePort prompt-injection classifier: hashed n-gram TF-IDF + logistic regression"
    helper.set_model_props(
        model,
        {"features": f"char 2-5 x {CHAR_BUCKETS}, word 1-2 x {WORD_BUCKETS}, normalize(leet=True)"},
    )
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))


CONFIG = """name: "injection"
platform: "onnxruntime_onnx"
max_batch_size: 64
input [
  { name: "char_ids" data_type: TYPE_INT64 dims: [ -1 ] },
  { name: "char_tf" data_type: TYPE_FP32 dims: [ -1 ] },
  { name: "word_ids" data_type: TYPE_INT64 dims: [ -1 ] },
  { name: "word_tf" data_type: TYPE_FP32 dims: [ -1 ] }
]
output [
  { name: "score" data_type: TYPE_FP32 dims: [ 1 ] },
  { name: "window_score" data_type: TYPE_FP32 dims: [ 1 ] }
]
instance_group [ { count: 1 kind: KIND_CPU } ]
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument("--c", type=float, nargs="*", default=[0.5, 1.0], help="regularisation grid")
    args = parser.parse_args()
    started = time.perf_counter()

    examples: list[Example] = training_set(args.datasets)
    calib, _ = dev_split(args.datasets)
    own_benign = (
        read_lines("benign_prompts.txt")
        + read_lines("benign_hard.txt")
        + read_lines("benign_multilingual.txt")
    )
    print(f"training examples: {len(examples)} ({sum(e.label for e in examples)} positive)")

    train_features = features_of([e.text for e in examples])
    weights = np.array([e.weight for e in examples])
    labels = np.array([e.label for e in examples])
    vectoriser = Vectoriser(
        idf_of(block_matrix(train_features, "char", CHAR_BUCKETS), weights),
        idf_of(block_matrix(train_features, "word", WORD_BUCKETS), weights),
    )
    x_train = vectoriser.transform(train_features)
    x_calib = vectoriser.transform(features_of([e.text for e in calib]))
    y_calib = np.array([e.label for e in calib])
    families = np.array([source_family(e.group) for e in calib])
    x_own = vectoriser.transform(features_of(own_benign))
    featurised = time.perf_counter()
    print(f"features: {x_train.shape}, {featurised - started:.1f} s")

    # Class balance by weight: positives and negatives carry the same total weight.
    balance = np.where(labels == 1, weights[labels == 0].sum() / weights[labels == 1].sum(), 1.0)
    best: tuple[float, LogisticRegression, float, float] | None = None
    for c in args.c:
        clf = LogisticRegression(C=c, solver="liblinear", max_iter=2000, random_state=0)
        clf.fit(x_train, labels, sample_weight=weights * balance)
        scores = clf.predict_proba(x_calib)[:, 1]
        own_scores = clf.predict_proba(x_own)[:, 1]
        threshold, accuracy = choose_threshold(scores, y_calib, families, own_scores)
        plain = balanced_accuracy_score(y_calib, scores >= threshold)
        print(
            f"C={c}: calib balanced accuracy {plain:.4f} (source-averaged {accuracy:.4f}) at {threshold:.4f}"
        )
        if best is None or accuracy > best[0]:
            best = (accuracy, clf, threshold, c)
    assert best is not None
    accuracy, clf, threshold, c = best
    trained = time.perf_counter()

    shift = math.log(threshold / (1.0 - threshold))
    bias = float(clf.intercept_[0]) - shift
    window_threshold, window_accuracy = choose_window_threshold(
        clf, vectoriser, calibration_documents(args.datasets), threshold
    )
    window_shift = math.log(window_threshold / (1.0 - window_threshold))
    print(f"window threshold {window_threshold:.4f} (document balanced accuracy {window_accuracy:.4f})")
    model_path = args.out / "1" / "model.onnx"
    export_onnx(model_path, vectoriser, clf.coef_.ravel(), bias, float(clf.intercept_[0]) - window_shift)
    (args.out / "config.pbtxt").write_text(CONFIG, encoding="utf-8")

    # The exported graph must agree with scikit-learn (after the shift) on calib.
    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    sample = [e.text for e in calib[:200]]
    onnx_scores = session.run(["score"], batch_inputs(features_of(sample)))[0].ravel()
    logits = clf.decision_function(vectoriser.transform(features_of(sample))) - shift
    expected = 1.0 / (1.0 + np.exp(-logits))
    gap = float(np.max(np.abs(onnx_scores - expected)))
    assert gap < 1e-4, f"ONNX and scikit-learn disagree by {gap}"

    report = {
        "C": c,
        "threshold_probability": threshold,
        "window_threshold_probability": window_threshold,
        "calib_documents_balanced_accuracy": window_accuracy,
        "calib_objective": accuracy,
        "training_examples": len(examples),
        "positives": int(labels.sum()),
        "seconds_features": round(featurised - started, 1),
        "seconds_training": round(trained - featurised, 1),
        "seconds_total": round(time.perf_counter() - started, 1),
        "model_bytes": model_path.stat().st_size,
        "onnx_max_abs_diff": gap,
    }
    (args.out / "training.json").write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
