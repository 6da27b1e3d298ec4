"""Train the person / street-address tagger and export it to ``models/pii_ner`` (Triton layout).

    uv run python training/pii/train.py            # ~3-4 minutes on one core, ~1.5 GB RAM
    uv run python training/pii/train.py --dev      # hold out 15% of the training templates, report

Steps: render labelled sentences from the training split (``render.py``: training templates,
training names and streets, fixed seeds) -> tokens and hashed feature ids (``trueport.guard.
pii_features``, the same code the detector runs) -> BIO labels per token -> multinomial logistic
regression (scikit-learn, L2, lbfgs) over the binary features -> ONNX.

The ONNX graph is the linear model written for sparse input: ``Gather`` of the weight rows of the
active feature ids, ``ReduceSum`` over a token's features, bias, softmax. That is exactly
``LogisticRegression.predict_proba`` on the one-hot matrix, but takes the ids (``[tokens, 45]``
int64) instead of a dense ``[tokens, 262144]`` matrix, which is what skl2onnx's ``LinearClassifier``
would need. Weights are stored as float16 (2.5 MB) and cast to float32 in the graph.

Outputs: ``models/pii_ner/config.pbtxt``, ``models/pii_ner/1/model.onnx`` and
``models/pii_ner/1/features.json`` (labels, feature layout, training summary), checked against
``pii_features`` when the detector loads the model.
"""

from __future__ import annotations

import argparse
import pydoc_data.topics as pydoc_topics
import re
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import orjson
import scipy.sparse as sp
from onnx import TensorProto, helper, numpy_helper
from sklearn.linear_model import LogisticRegression

from trueport.guard import pii_features as pf

sys.path.insert(0, str(Path(__file__).resolve().parent))
import render

ROOT = Path(__file__).resolve().parents[2]
MODEL_NAME = "pii_ner"
SEED = 20240611


def token_labels(example: render.Example, tokens: pf.Tokens) -> list[int]:
    labels = [0] * len(tokens)
    kinds = {"person": "PER", "street_address": "ADDR"}
    for start, end, kind in example.spans:
        tag = kinds.get(kind)
        if tag is None:
            continue
        first = True
        for i, (s, e) in enumerate(zip(tokens.starts, tokens.ends, strict=True)):
            if s >= start and e <= end:
                labels[i] = pf.LABELS.index(("B-" if first else "I-") + tag)
                first = False
    return labels


_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:\n\"(]\s*)$")


def corpus_texts(exclude: set[str]) -> list[str]:
    """Texts the vocabulary is counted on: the injection corpora, BIPIA's documents and attacks, the
    GPTFuzz templates and the prose of Python's documentation (``pydoc_data``), minus the
    benign prompts that are training sentences (``exclude``). Neither templates nor negative
    sentences are counted, so that training sentences meet unknown words as often as real text
    does (a vocabulary counted on the training sentences would make every unknown word look like
    a name)."""
    texts: list[str] = []
    for name in ("train.jsonl", "dev.jsonl"):
        with (render.INJECTION / name).open("rb") as f:
            texts.extend(t for t in (orjson.loads(line)["text"] for line in f) if t not in exclude)
    with (render.INJECTION / "bipia-train-contexts.jsonl").open("rb") as f:
        for line in f:
            context = orjson.loads(line)["context"]
            texts.append(context if isinstance(context, str) else orjson.dumps(context).decode())
    texts.append((render.INJECTION / "bipia-train-attacks.json").read_text(encoding="utf-8"))
    texts.append((render.INJECTION / "gptfuzz-templates.csv").read_text(encoding="utf-8"))
    topics = sorted(pydoc_topics.topics)
    texts.extend(pydoc_topics.topics[k] for k in topics[::2])  # Python's documentation (standard library)
    return texts


def build_vocabulary(texts: list[str], *, min_count: int = 2) -> frozenset[str]:
    """Words written in lower case at least half of the time they occur inside a sentence.

    Common nouns, verbs and adjectives qualify; proper nouns (names, places, brands) do not, since
    they are capitalised wherever they appear. Sentence-initial occurrences are not counted.
    """
    lower: dict[str, int] = {}
    total: dict[str, int] = {}
    for text in texts:
        for m in _WORD.finditer(text):
            if _SENTENCE_START.search(text, max(0, m.start() - 3), m.start()):
                continue
            word = m.group()
            key = word.lower()
            total[key] = total.get(key, 0) + 1
            if word == key:
                lower[key] = lower.get(key, 0) + 1
    return frozenset(w for w, n in lower.items() if n >= min_count and n * 2 >= total[w])


def build_matrix(
    examples: list[render.Example], featurizer: pf.Featurizer
) -> tuple[sp.csr_matrix, np.ndarray]:
    blocks: list[np.ndarray] = []
    labels: list[int] = []
    for example in examples:
        tokens = pf.tokenize(example.text)
        if not len(tokens):
            continue
        blocks.append(featurizer.featurize(example.text, tokens))
        labels.extend(token_labels(example, tokens))
    ids = np.concatenate(blocks)
    rows = np.repeat(np.arange(ids.shape[0]), ids.shape[1])
    cols = ids.ravel()
    keep = cols > 0
    data = np.ones(int(keep.sum()), dtype=np.float32)
    matrix = sp.csr_matrix((data, (rows[keep], cols[keep])), shape=(ids.shape[0], pf.BUCKETS))
    matrix.sum_duplicates()
    return matrix, np.asarray(labels)


def export(
    model: LogisticRegression, vocabulary: frozenset[str], out_dir: Path, summary: dict[str, object]
) -> Path:
    classes = list(model.classes_)
    weights = np.zeros((pf.BUCKETS, len(pf.LABELS)), dtype=np.float32)
    bias = np.zeros(len(pf.LABELS), dtype=np.float32)
    for j, label in enumerate(classes):
        weights[:, label] = model.coef_[j]
        bias[label] = model.intercept_[j]
    weights[0] = 0.0  # padding id
    width = pf.FEATURES_PER_TOKEN
    graph = helper.make_graph(
        [
            helper.make_node("Gather", ["weights", "features"], ["gathered"], axis=0),
            helper.make_node("Cast", ["gathered"], ["gathered32"], to=TensorProto.FLOAT),
            helper.make_node("ReduceSum", ["gathered32", "axis1"], ["summed"], keepdims=0),
            helper.make_node("Add", ["summed", "bias"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["probabilities"], axis=-1),
        ],
        MODEL_NAME,
        [helper.make_tensor_value_info("features", TensorProto.INT64, [None, width])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, len(pf.LABELS)])],
        [
            numpy_helper.from_array(weights.astype(np.float16), "weights"),
            numpy_helper.from_array(bias, "bias"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        ],
    )
    onnx_model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="trueport"
    )
    onnx_model.ir_version = 8
    onnx_model.doc_string = "TruePort person/street-address token tagger (hashed features, linear)."
    onnx.checker.check_model(onnx_model)
    version_dir = out_dir / "1"
    version_dir.mkdir(parents=True, exist_ok=True)
    path = version_dir / "model.onnx"
    onnx.save(onnx_model, str(path))
    metadata = {
        "labels": list(pf.LABELS),
        "buckets": pf.BUCKETS,
        "features_per_token": width,
        "vocabulary": "vocab.txt",
        "input": "features",
        "output": "probabilities",
        "training": summary,
    }
    (version_dir / "vocab.txt").write_text("\n".join(sorted(vocabulary)) + "\n", encoding="utf-8")
    (version_dir / "features.json").write_bytes(orjson.dumps(metadata, option=orjson.OPT_INDENT_2) + b"\n")
    (out_dir / "config.pbtxt").write_text(
        f'name: "{MODEL_NAME}"\n'
        'platform: "onnxruntime_onnx"\n'
        "max_batch_size: 0\n"
        "input [\n"
        f'  {{ name: "features", data_type: TYPE_INT64, dims: [ -1, {width} ] }}\n'
        "]\n"
        "output [\n"
        f'  {{ name: "probabilities", data_type: TYPE_FP32, dims: [ -1, {len(pf.LABELS)} ] }}\n'
        "]\n"
        "instance_group [ { kind: KIND_CPU, count: 1 } ]\n",
        encoding="utf-8",
    )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "models" / MODEL_NAME)
    parser.add_argument("--per-template", type=int, default=40, help="renderings of each training template")
    parser.add_argument("--c", type=float, default=2.0, help="inverse L2 regularisation strength")
    parser.add_argument("--max-iter", type=int, default=300)
    parser.add_argument(
        "--dev", action="store_true", help="train on 85%% of the templates, report on the rest"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    part = "fit" if args.dev else "all"
    examples = render.render("train", SEED, per_template=args.per_template, part=part)
    dev = render.render("train", SEED + 1, per_template=10, part="dev") if args.dev else []
    names = render.known_names()
    benign = set(render.benign_prompts("train", SEED, names)) | set(
        render.benign_prompts("eval", SEED, names)
    )
    vocabulary = build_vocabulary(corpus_texts(benign))
    featurizer = pf.Featurizer(vocabulary)
    print(f"rendered {len(examples)} training examples, vocabulary of {len(vocabulary)} words", flush=True)
    matrix, labels = build_matrix(examples, featurizer)
    counts = np.bincount(labels, minlength=len(pf.LABELS))
    print(
        f"tokens {matrix.shape[0]}, nnz {matrix.nnz}, label counts {dict(zip(pf.LABELS, counts.tolist(), strict=True))}"
    )
    fit_started = time.perf_counter()
    model = LogisticRegression(C=args.c, max_iter=args.max_iter, tol=1e-5)
    model.fit(matrix, labels)
    print(f"fitted in {time.perf_counter() - fit_started:.1f}s ({model.n_iter_} iterations)", flush=True)
    summary: dict[str, object] = {
        "seed": SEED,
        "examples": len(examples),
        "tokens": int(matrix.shape[0]),
        "c": args.c,
        "per_template": args.per_template,
    }
    if dev:
        dev_matrix, dev_labels = build_matrix(dev, featurizer)
        predicted = model.predict(dev_matrix)
        for tag in ("PER", "ADDR"):
            gold = np.isin(dev_labels, [pf.LABELS.index("B-" + tag), pf.LABELS.index("I-" + tag)])
            pred = np.isin(predicted, [pf.LABELS.index("B-" + tag), pf.LABELS.index("I-" + tag)])
            tp = int((gold & pred).sum())
            print(
                f"dev token {tag}: precision {tp / max(1, pred.sum()):.3f} recall {tp / max(1, gold.sum()):.3f}"
            )
        return
    path = export(model, vocabulary, args.out, summary)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.0f}s total")


if __name__ == "__main__":
    main()
