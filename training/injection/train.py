"""Train the injection model and export it to ``src/trueport/models/injection/1/model.onnx``.

    uv run python training/injection/train.py [--datasets ../shared/datasets/injection]

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
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import orjson
import scipy.sparse as sp
from onnx import TensorProto, helper
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize as l2_normalize

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from training.injection.corpus import (
    DEFAULT_DATASETS,
    Example,
    calibration_documents,
    calibration_user_texts,
    training_set,
)

from trueport.guard.injection import (
    CHAR_BUCKETS,
    WORD_BUCKETS,
    Features,
    InjectionDetector,
    batch_inputs,
    featurize,
    prepare,
    windows,
)

REPO = Path(__file__).resolve().parents[2]
MODEL_DIR = REPO / "src" / "trueport" / "models" / "injection"
MAX_FP_RATE = 0.015  # flag: benign calibration user texts (target: <= 2 % on held-out ones)
MAX_DOCUMENT_FP_RATE = 0.025  # flag: clean calibration documents (target: <= 3 %)
# Documents and tool output (``DOCUMENT_SOURCES``) have a window flag threshold of their own, chosen
# on the clean calibration documents alone: the lowest at which at most this share of them is flagged
# (a margin under the 3 % target for the gap between calibration and held-out documents).
MAX_DOCUMENT_WINDOW_FP_RATE = 0.02
MAX_BLOCK_FP_RATE = 0.002  # block: all benign calibration texts
MAX_CORPUS_BLOCK_RATE = 0.005  # block: each benign calibration corpus
FLAG = InjectionDetector.default_threshold
BLOCK = InjectionDetector.default_block_threshold
# L2 per block. (L1, and a dense "n-gram mass" feature, were tried to make long texts less
# suspicious: both did worse on the held-out sets; see eval/README-injection.md.)
NORM = "l2"


def features_of(texts: list[str], *, window: bool = False) -> list[Features]:
    return [featurize(prepare(t).text, window=window) for t in texts]


def is_window(example: Example) -> bool:
    """A window cut from a longer text (``corpus.window_examples``): it gets window features."""
    return example.group.endswith(":window")


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


def balanced_accuracy_score(labels: np.ndarray, predicted: np.ndarray) -> float:
    """(recall + specificity) / 2 (scikit-learn's, without its overhead in the threshold search)."""
    return 0.5 * (float(np.mean(predicted[labels == 1])) + 1.0 - float(np.mean(predicted[labels == 0])))


def macro_balanced_accuracy(labels: np.ndarray, predicted: np.ndarray, families: np.ndarray) -> float:
    """Balanced accuracy averaged over source families, so the largest source does not decide alone."""
    values = [
        balanced_accuracy_score(labels[families == f], predicted[families == f])
        for f in np.unique(families)
        if len(np.unique(labels[families == f])) == 2
    ]
    return float(np.mean(values))


@dataclass(frozen=True, slots=True)
class Scored:
    """Raw logits of calibration texts: the whole text and the best of its windows (-inf: none)."""

    whole: np.ndarray
    window: np.ndarray
    labels: np.ndarray
    groups: np.ndarray


def score_texts(
    clf: LogisticRegression, vectoriser: Vectoriser, texts: list[str], labels: list[int], groups: list[str]
) -> Scored:
    whole = clf.decision_function(vectoriser.transform(features_of(texts)))
    owners: list[int] = []
    pieces: list[str] = []
    for i, text in enumerate(texts):
        for start, end in windows(text):
            owners.append(i)
            pieces.append(text[start:end])
    window = np.full(len(texts), -np.inf)
    if pieces:
        logits = clf.decision_function(vectoriser.transform(features_of(pieces, window=True)))
        np.maximum.at(window, np.array(owners), logits)
    return Scored(whole, window, np.array(labels), np.array(groups))


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Raw logit thresholds: flag and block, for whole texts and for windows."""

    flag: float
    window_flag: float
    block: float
    window_block: float
    document_window_flag: float  # windows of documents and tool output


def choose_thresholds(users: Scored, documents: Scored) -> tuple[Thresholds, dict[str, float]]:
    """Flag thresholds (whole text, window) with the best mean of the dev-calib balanced accuracy
    (half plain, half source-averaged) and the calibration documents' balanced accuracy, such that at
    most MAX_FP_RATE of the benign calibration user texts and MAX_DOCUMENT_FP_RATE of the clean
    calibration documents are flagged. Block thresholds: the lowest with at most MAX_BLOCK_FP_RATE
    of all benign calibration texts (user texts and documents) blocked, by whole text and by window."""
    dev = np.array([g.startswith("dev:") for g in users.groups])
    families = np.array([source_family(g) for g in users.groups[dev]])
    benign_users = users.labels == 0
    clean_docs = documents.labels == 0
    whole_all = np.concatenate([users.whole, documents.whole])
    window_all = np.concatenate([users.window, documents.window])
    flag_grid = np.quantile(users.whole[benign_users], np.linspace(0.95, 0.999, 50))
    finite = window_all[np.isfinite(window_all)]
    window_grid = np.quantile(finite, np.linspace(0.5, 0.9995, 120))
    best: tuple[float, float, float] = (-1.0, 0.0, 0.0)
    for t in flag_grid:
        for w in window_grid:
            user_flags = (users.whole >= t) | (users.window >= w)
            doc_flags = (documents.whole >= t) | (documents.window >= w)
            if float(np.mean(user_flags[benign_users])) > MAX_FP_RATE:
                continue
            if float(np.mean(doc_flags[clean_docs])) > MAX_DOCUMENT_FP_RATE:
                continue
            dev_labels, dev_flags = users.labels[dev], user_flags[dev]
            user_accuracy = 0.5 * float(balanced_accuracy_score(dev_labels, dev_flags)) + 0.5 * (
                macro_balanced_accuracy(dev_labels, dev_flags, families)
            )
            doc_accuracy = float(balanced_accuracy_score(documents.labels, doc_flags))
            objective = 0.5 * user_accuracy + 0.5 * doc_accuracy
            if objective > best[0]:
                best = (objective, float(t), float(w))
    objective, t, w = best
    benign_whole = whole_all[np.concatenate([benign_users, clean_docs])]
    benign_window = window_all[np.concatenate([benign_users, clean_docs])]
    block = max(float(np.quantile(benign_whole, 1 - MAX_BLOCK_FP_RATE / 2)), t + 0.5)
    finite_benign = benign_window[np.isfinite(benign_window)]
    # the window share is of all benign texts, most of which have no windows
    q = 1 - (MAX_BLOCK_FP_RATE / 2) * len(benign_window) / max(len(finite_benign), 1)
    window_block = max(float(np.quantile(finite_benign, min(max(q, 0.0), 1.0))), w + 0.5)
    # and no benign corpus (system prompts pasted as user texts, role-play, ...) above
    # MAX_CORPUS_BLOCK_RATE on its own
    for group in np.unique(users.groups[benign_users]):
        members = benign_users & (users.groups == group)
        block = max(block, float(np.quantile(users.whole[members], 1 - MAX_CORPUS_BLOCK_RATE / 2)))
        window = users.window[members]
        window_block = max(window_block, float(np.quantile(window, 1 - MAX_CORPUS_BLOCK_RATE / 2)))
    document_window = document_window_threshold(documents, t, w, window_block)
    thresholds = Thresholds(t, w, block, window_block, document_window)

    user_flags = (users.whole >= t) | (users.window >= w)
    doc_flags = (documents.whole >= t) | (documents.window >= w)
    user_blocks = (users.whole >= block) | (users.window >= window_block)
    doc_blocks = (documents.whole >= block) | (documents.window >= window_block)
    document_flags = (documents.whole >= t) | (documents.window >= document_window)
    figures = {
        "calib_objective": objective,
        "calib_user_benign_flagged": float(np.mean(user_flags[benign_users])),
        "calib_user_benign_blocked": float(np.mean(user_blocks[benign_users])),
        "calib_dev_recall_flag": float(np.mean(user_flags[dev & (users.labels == 1)])),
        "calib_dev_recall_block": float(np.mean(user_blocks[dev & (users.labels == 1)])),
        "calib_documents_clean_flagged": float(np.mean(doc_flags[clean_docs])),
        "calib_documents_clean_blocked": float(np.mean(doc_blocks[clean_docs])),
        "calib_documents_recall_flag": float(np.mean(doc_flags[~clean_docs])),
        "calib_documents_recall_block": float(np.mean(doc_blocks[~clean_docs])),
        "calib_documents_clean_flagged_document_threshold": float(np.mean(document_flags[clean_docs])),
        "calib_documents_recall_flag_document_threshold": float(np.mean(document_flags[~clean_docs])),
    }
    return thresholds, figures


def document_window_threshold(
    documents: Scored, flag: float, window_flag: float, window_block: float
) -> float:
    """The window flag threshold for documents and tool output: the lowest at which at most
    MAX_DOCUMENT_WINDOW_FP_RATE of the clean calibration documents are flagged (whole text at
    ``flag`` or a window at it). User texts keep ``window_flag``: their windows are calibrated under
    the user-text budget, and a user's own request is not a retrieved document. Never above
    ``window_flag`` (documents are not scanned less closely than user texts) nor within 0.5 of the
    block threshold."""
    clean = documents.labels == 0
    by_whole = documents.whole[clean] >= flag
    windows_of_clean = documents.window[clean]
    candidates = np.unique(windows_of_clean[np.isfinite(windows_of_clean)])
    best = window_flag
    for w in candidates[::-1]:  # from the highest down: stop when the budget is exceeded
        if w >= window_flag:
            continue
        if float(np.mean(by_whole | (windows_of_clean >= w))) > MAX_DOCUMENT_WINDOW_FP_RATE:
            break
        best = float(w)
    return min(best, window_block - 0.5)


def export_onnx(
    path: Path, vectoriser: Vectoriser, coef: np.ndarray, bias: float, thresholds: Thresholds
) -> None:
    """The model graph: ids/tf of both blocks in, calibrated scores out.

    per block: x = tf * idf[ids]; s = sum(x * w[ids]) / sqrt(max(sum(x * x), eps)); z = s_c + s_w + b.
    Each output maps the raw logit z piecewise linearly, so that its flag threshold becomes
    logit(FLAG) and its block threshold logit(BLOCK): ``score`` with the whole-text thresholds,
    ``window_score`` with the window thresholds, ``document_score`` (windows of documents and tool
    output) with the document window flag threshold and the window block threshold. Below the flag
    threshold the slope is 1.

    Each block's table holds [idf, idf * w] per bucket, so that one gather (one cache line) per
    n-gram fetches both: x and x * w are tf times the two columns (a quarter less model time than
    two tables of 2^20 rows read apart).
    """
    initializers = []
    for block, idf, w in (
        ("char", vectoriser.char_idf, coef[:CHAR_BUCKETS]),
        ("word", vectoriser.word_idf, coef[CHAR_BUCKETS:]),
    ):
        idf32, w32 = idf.astype(np.float32), w.astype(np.float32)
        table = np.stack([idf32, idf32 * w32], axis=1)
        initializers.append(helper.make_tensor(f"{block}_tab", TensorProto.FLOAT, list(table.shape), table))
    initializers += [
        helper.make_tensor("axis1", TensorProto.INT64, [1], [1]),
        helper.make_tensor("axis2", TensorProto.INT64, [1], [2]),
        helper.make_tensor("axes12", TensorProto.INT64, [2], [1, 2]),
        helper.make_tensor("eps", TensorProto.FLOAT, [], [1e-12]),
        helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0]),
        helper.make_tensor("bias", TensorProto.FLOAT, [], [bias]),
    ]
    nodes = []
    for block in ("char", "word"):
        nodes += [
            helper.make_node("Gather", [f"{block}_tab", f"{block}_ids"], [f"{block}_g"]),  # [B, n, 2]
            helper.make_node("Unsqueeze", [f"{block}_tf", "axis2"], [f"{block}_tf3"]),  # [B, n, 1]
            helper.make_node("Mul", [f"{block}_g", f"{block}_tf3"], [f"{block}_m"]),  # x, x * w
            helper.make_node("Split", [f"{block}_m"], [f"{block}_x", f"{block}_xw"], axis=2, num_outputs=2),
            helper.make_node("Mul", [f"{block}_x", f"{block}_x"], [f"{block}_x2"]),
            helper.make_node("ReduceSum", [f"{block}_x2", "axes12"], [f"{block}_ss"], keepdims=0),
            helper.make_node("Max", [f"{block}_ss", "eps"], [f"{block}_ss_safe"]),
            helper.make_node("Sqrt", [f"{block}_ss_safe"], [f"{block}_norm"]),
            helper.make_node("ReduceSum", [f"{block}_xw", "axes12"], [f"{block}_dot"], keepdims=0),
            helper.make_node("Div", [f"{block}_dot", f"{block}_norm"], [f"{block}_s1"]),
            helper.make_node("Unsqueeze", [f"{block}_s1", "axis1"], [f"{block}_s"]),  # [B, 1]
        ]
    nodes += [
        helper.make_node("Add", ["char_s", "word_s"], ["s"]),
        helper.make_node("Add", ["s", "bias"], ["z"]),
    ]
    for output, flag_at, block_at in (
        ("score", thresholds.flag, thresholds.block),
        ("window_score", thresholds.window_flag, thresholds.window_block),
        ("document_score", thresholds.document_window_flag, thresholds.window_block),
    ):
        slope = (logit(BLOCK) - logit(FLAG)) / (block_at - flag_at)
        initializers += [
            helper.make_tensor(f"{output}_flag", TensorProto.FLOAT, [], [flag_at]),
            helper.make_tensor(f"{output}_slope", TensorProto.FLOAT, [], [slope]),
            helper.make_tensor(f"{output}_at", TensorProto.FLOAT, [], [logit(FLAG)]),
        ]
        nodes += [
            # d = z - flag; mapped = logit(FLAG) + min(d, 0) + slope * max(d, 0)
            helper.make_node("Sub", ["z", f"{output}_flag"], [f"{output}_d"]),
            helper.make_node("Min", [f"{output}_d", "zero"], [f"{output}_below"]),
            helper.make_node("Max", [f"{output}_d", "zero"], [f"{output}_above"]),
            helper.make_node("Mul", [f"{output}_above", f"{output}_slope"], [f"{output}_above_s"]),
            helper.make_node("Add", [f"{output}_below", f"{output}_above_s"], [f"{output}_d2"]),
            helper.make_node("Add", [f"{output}_d2", f"{output}_at"], [f"{output}_logit"]),
            helper.make_node("Sigmoid", [f"{output}_logit"], [output]),
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
        helper.make_tensor_value_info("document_score", TensorProto.FLOAT, ["batch", 1]),
    ]
    graph = helper.make_graph(nodes, "injection", inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], producer_name="trueport")
    model.ir_version = 8
    model.doc_string = "TruePort prompt-injection classifier: hashed n-gram TF-IDF + logistic regression"
    helper.set_model_props(
        model,
        {
            "features": f"char 2-5 x {CHAR_BUCKETS}, word 1-2 x {WORD_BUCKETS}, normalize(leet=True), "
            "windows salted"
        },
    )
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))


def logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def mapped(z: np.ndarray, flag: float, block: float) -> np.ndarray:
    """The export's piecewise mapping in numpy (to check the ONNX graph)."""
    d = z - flag
    slope = (logit(BLOCK) - logit(FLAG)) / (block - flag)
    out = logit(FLAG) + np.minimum(d, 0) + slope * np.maximum(d, 0)
    return np.asarray(1.0 / (1.0 + np.exp(-out)))


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
  { name: "window_score" data_type: TYPE_FP32 dims: [ 1 ] },
  { name: "document_score" data_type: TYPE_FP32 dims: [ 1 ] }
]
instance_group [ { count: 1 kind: KIND_CPU } ]
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument("--c", type=float, nargs="*", default=[0.5, 1.0], help="regularisation grid")
    args = parser.parse_args()
    started = time.perf_counter()

    examples: list[Example] = training_set(args.datasets)
    user_calib = calibration_user_texts(args.datasets)
    doc_calib = calibration_documents(args.datasets)
    print(f"training examples: {len(examples)} ({sum(e.label for e in examples)} positive)")

    train_features = [featurize(prepare(e.text).text, window=is_window(e)) for e in examples]
    print(f"window examples: {sum(map(is_window, examples))}")
    weights = np.array([e.weight for e in examples])
    labels = np.array([e.label for e in examples])
    vectoriser = Vectoriser(
        idf_of(block_matrix(train_features, "char", CHAR_BUCKETS), weights),
        idf_of(block_matrix(train_features, "word", WORD_BUCKETS), weights),
    )
    x_train = vectoriser.transform(train_features)
    featurised = time.perf_counter()
    print(f"features: {x_train.shape}, {featurised - started:.1f} s")

    # Class balance by weight: positives and negatives carry the same total weight.
    balance = np.where(labels == 1, weights[labels == 0].sum() / weights[labels == 1].sum(), 1.0)
    best: tuple[float, LogisticRegression, Thresholds, dict[str, float], float] | None = None
    for c in args.c:
        clf = LogisticRegression(C=c, solver="liblinear", max_iter=2000, random_state=0)
        clf.fit(x_train, labels, sample_weight=weights * balance)
        users = score_texts(
            clf,
            vectoriser,
            [e.text for e in user_calib],
            [e.label for e in user_calib],
            [e.group for e in user_calib],
        )
        documents = score_texts(
            clf,
            vectoriser,
            [d.text for d in doc_calib],
            [d.label for d in doc_calib],
            [d.group for d in doc_calib],
        )
        thresholds, figures = choose_thresholds(users, documents)
        print(f"C={c}: {thresholds} {orjson.dumps(figures).decode()}")
        if best is None or figures["calib_objective"] > best[0]:
            best = (figures["calib_objective"], clf, thresholds, figures, c)
    assert best is not None
    _, clf, thresholds, figures, c = best
    trained = time.perf_counter()

    model_path = args.out / "1" / "model.onnx"
    bias = float(clf.intercept_[0])
    export_onnx(model_path, vectoriser, clf.coef_.ravel(), bias, thresholds)
    (args.out / "config.pbtxt").write_text(CONFIG, encoding="utf-8")

    # The exported graph must agree with scikit-learn (after the mapping) on calibration texts.
    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    sample = [e.text for e in user_calib[:200]]
    onnx_scores, _, _ = session.run(None, batch_inputs(features_of(sample)))
    _, onnx_windows, onnx_documents = session.run(None, batch_inputs(features_of(sample, window=True)))
    z = clf.decision_function(vectoriser.transform(features_of(sample)))
    z_windows = clf.decision_function(vectoriser.transform(features_of(sample, window=True)))
    gap = max(
        float(np.max(np.abs(onnx_scores.ravel() - mapped(z, thresholds.flag, thresholds.block)))),
        float(
            np.max(
                np.abs(
                    onnx_windows.ravel() - mapped(z_windows, thresholds.window_flag, thresholds.window_block)
                )
            )
        ),
        float(
            np.max(
                np.abs(
                    onnx_documents.ravel()
                    - mapped(z_windows, thresholds.document_window_flag, thresholds.window_block)
                )
            )
        ),
    )
    assert gap < 1e-4, f"ONNX and scikit-learn disagree by {gap}"

    report = {
        "C": c,
        "flag_threshold": FLAG,
        "block_threshold": BLOCK,
        "raw_logit_thresholds": {
            "flag": thresholds.flag,
            "block": thresholds.block,
            "window_flag": thresholds.window_flag,
            "window_block": thresholds.window_block,
            "document_window_flag": thresholds.document_window_flag,
        },
        "raw_probability_thresholds": {
            "flag": 1 / (1 + math.exp(-thresholds.flag)),
            "block": 1 / (1 + math.exp(-thresholds.block)),
            "window_flag": 1 / (1 + math.exp(-thresholds.window_flag)),
            "window_block": 1 / (1 + math.exp(-thresholds.window_block)),
            "document_window_flag": 1 / (1 + math.exp(-thresholds.document_window_flag)),
        },
        "calibration": {k: round(v, 4) for k, v in figures.items()},
        "calibration_sizes": {
            "user_texts": len(user_calib),
            "user_texts_benign": sum(1 for e in user_calib if e.label == 0),
            "documents": len(doc_calib),
        },
        "training_examples": len(examples),
        "positives": int(labels.sum()),
        "seconds_features": round(featurised - started, 1),
        "seconds_training_and_calibration": round(trained - featurised, 1),
        "seconds_total": round(time.perf_counter() - started, 1),
        "model_bytes": model_path.stat().st_size,
        "onnx_max_abs_diff": gap,
    }
    (args.out / "training.json").write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
