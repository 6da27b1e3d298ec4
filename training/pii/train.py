"""Train the person / street-address tagger and export it to ``src/trueport/models/pii_ner`` (Triton layout).

    uv run python training/pii/train.py            # ~6-8 minutes (2 shared cores), ~2 GB RAM
    uv run python training/pii/train.py --dev      # hold out 15% of the training templates, report

Steps: render labelled sentences from the training split (``render.py``: training templates,
training names and streets, fixed seeds), prose frames and hard negatives (``prose.py``: news,
stories, e-mails, chat; recipes, configs, maths; benign rows with ``f < 0.6`` only) -> tokens and
hashed feature ids (``trueport.guard.pii_features``, the same code the detector runs, with the
gazetteer of ``gazetteer.py`` partly hidden) -> BIO labels per token -> two stacked models:

1. a multinomial logistic regression (scikit-learn, L2, lbfgs) over the binary hashed features;
2. a small logistic regression over stage 1's logits and its probabilities for the tokens at
   -2..+2 (a neighbour that is a name makes "Swift" in "Peterke A. Swift" a name too: the
   CRF-like consistency a per-token model lacks). Stage 2 is trained on out-of-fold stage-1
   outputs (two folds split by template, so it learns from stage 1's mistakes on unseen
   templates), then stage 1 is refitted on everything.

ONNX: stage 1 is written for sparse input: ``Gather`` of the weight rows of the active feature ids,
``ReduceSum``, bias (exactly ``decision_function`` on the one-hot matrix, but from ids
``[tokens, 65]`` int64 rather than a dense ``[tokens, 262144]`` matrix, which skl2onnx's
``LinearClassifier`` would need); weights are float16 (2.6 MB), cast to float32. Then softmax,
``Pad``/``Slice``/``Concat`` for the window, and stage 2 converted by skl2onnx, merged into one
graph (``features`` -> ``probabilities`` ``[tokens, 5]``).

Outputs: ``src/trueport/models/pii_ner/config.pbtxt``, ``.../1/model.onnx``, ``vocab.txt``,
``gazetteer.txt`` and ``features.json`` (labels, feature layout, training summary), checked against
``pii_features`` when the detector loads the model.
"""

from __future__ import annotations

import argparse
import pickle
import pydoc_data.topics as pydoc_topics
import re
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
import onnx
import orjson
import scipy.sparse as sp
from onnx import TensorProto, compose, helper, numpy_helper
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.linear_model import LogisticRegression

from trueport.guard import pii_features as pf

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gazetteer as gazetteer_lists
import prose
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
    benign prompts that are training sentences (``exclude``); ``main`` adds the benign rows of
    ``shared/datasets/benign`` allowed for training (f < 0.6) that are not training examples. Neither templates nor negative
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
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """One-hot features, labels, and the number of tokens of each example (in order)."""
    blocks: list[np.ndarray] = []
    labels: list[int] = []
    sizes: list[int] = []
    for example in examples:
        tokens = pf.tokenize(example.text)
        sizes.append(len(tokens))
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
    return matrix, np.asarray(labels), np.asarray(sizes)


WINDOW = 2  # stage 2 sees stage 1's probabilities for tokens -2..+2
STACKED = len(pf.LABELS) * (2 * WINDOW + 2)  # logits + 5 probability rows


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def stack(logits: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Stage 2's input per token: stage 1 logits, then stage 1 probabilities of the tokens at
    -2..+2 in the same text (zeros past its ends). The ONNX graph computes the same per call."""
    probs = softmax(logits)
    out = np.empty((len(logits), STACKED), dtype=np.float32)
    position = 0
    for size in sizes.tolist():
        if not size:
            continue
        block = slice(position, position + size)
        padded = np.pad(probs[block], ((WINDOW, WINDOW), (0, 0)))
        windows = [padded[k : k + size] for k in range(2 * WINDOW + 1)]
        out[block] = np.concatenate([logits[block], *windows], axis=1)
        position += size
    return out


def decision(model: LogisticRegression, matrix: sp.csr_matrix) -> np.ndarray:
    assert list(model.classes_) == list(range(len(pf.LABELS)))
    return np.asarray(model.decision_function(matrix), dtype=np.float32)


def fit_stage1(matrix: sp.csr_matrix, labels: np.ndarray, c: float, max_iter: int) -> LogisticRegression:
    started = time.perf_counter()
    model = LogisticRegression(C=c, max_iter=max_iter, tol=1e-5)
    model.fit(matrix, labels)
    print(f"  stage 1 fitted on {matrix.shape[0]} tokens in {time.perf_counter() - started:.0f}s", flush=True)
    return model


def fit_stacked(
    examples: list[render.Example],
    matrix: sp.csr_matrix,
    labels: np.ndarray,
    sizes: np.ndarray,
    c: float,
    max_iter: int,
) -> tuple[LogisticRegression, LogisticRegression]:
    """Stage 2 on out-of-fold stage-1 logits (two folds by template), then stage 1 on everything."""
    fold_of_example = np.array([zlib.crc32((e.group or e.text).encode()) % 2 for e in examples])
    fold = np.repeat(fold_of_example, sizes)
    oof = np.zeros((matrix.shape[0], len(pf.LABELS)), dtype=np.float32)
    for k in (0, 1):
        model = fit_stage1(matrix[fold != k], labels[fold != k], c, max_iter)
        oof[fold == k] = decision(model, matrix[fold == k])
    stage2 = LogisticRegression(C=1.0, max_iter=2000)
    stage2.fit(stack(oof, sizes), labels)
    return fit_stage1(matrix, labels, c, max_iter), stage2


def export(
    stage1: LogisticRegression,
    stage2: LogisticRegression,
    vocabulary: frozenset[str],
    out_dir: Path,
    summary: dict[str, object],
    gazetteer: dict[str, str],
) -> Path:
    weights = np.zeros((pf.BUCKETS, len(pf.LABELS)), dtype=np.float32)
    weights[:, :] = stage1.coef_.T
    weights[0] = 0.0  # padding id
    bias = stage1.intercept_.astype(np.float32)
    width = pf.FEATURES_PER_TOKEN
    big = np.iinfo(np.int64).max
    nodes = [
        helper.make_node("Gather", ["weights", "features"], ["gathered"], axis=0),
        helper.make_node("Cast", ["gathered"], ["gathered32"], to=TensorProto.FLOAT),
        helper.make_node("ReduceSum", ["gathered32", "axis1"], ["summed"], keepdims=0),
        helper.make_node("Add", ["summed", "bias"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["stage1"], axis=-1),
        helper.make_node("Pad", ["stage1", "pads"], ["padded"], mode="constant"),
    ]
    initializers = [
        numpy_helper.from_array(weights.astype(np.float16), "weights"),
        numpy_helper.from_array(bias, "bias"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        numpy_helper.from_array(np.array([WINDOW, 0, WINDOW, 0], dtype=np.int64), "pads"),
        numpy_helper.from_array(np.array([0], dtype=np.int64), "axis0"),
    ]
    windows = []
    for k in range(2 * WINDOW + 1):
        end = k - 2 * WINDOW if k < 2 * WINDOW else big
        initializers += [
            numpy_helper.from_array(np.array([k], dtype=np.int64), f"start{k}"),
            numpy_helper.from_array(np.array([end], dtype=np.int64), f"end{k}"),
        ]
        nodes.append(helper.make_node("Slice", ["padded", f"start{k}", f"end{k}", "axis0"], [f"window{k}"]))
        windows.append(f"window{k}")
    nodes.append(helper.make_node("Concat", ["logits", *windows], ["stacked"], axis=1))
    stage1_graph = helper.make_graph(
        nodes,
        "stage1",
        [helper.make_tensor_value_info("features", TensorProto.INT64, [None, width])],
        [helper.make_tensor_value_info("stacked", TensorProto.FLOAT, [None, STACKED])],
        initializers,
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)]
    stage1_model = helper.make_model(stage1_graph, opset_imports=opsets, producer_name="trueport")
    stage1_model.ir_version = 8
    stage2_model = convert_sklearn(
        stage2,
        initial_types=[("stacked", FloatTensorType([None, STACKED]))],
        options={id(stage2): {"zipmap": False}},
        target_opset={"": 17, "ai.onnx.ml": 3},
    )
    stage2_model.ir_version = 8
    del stage2_model.opset_import[:]  # skl2onnx lists the default domain twice and ai.onnx.ml 1
    stage2_model.opset_import.extend(opsets)
    stage2_model = compose.add_prefix(stage2_model, "stage2_")
    merged = compose.merge_models(
        stage1_model, stage2_model, io_map=[("stacked", "stage2_stacked")], outputs=["stage2_probabilities"]
    )
    for node in merged.graph.node:  # name the output as config.pbtxt declares it
        node.output[:] = ["probabilities" if o == "stage2_probabilities" else o for o in node.output]
    merged.graph.output[0].name = "probabilities"
    merged.doc_string = "TruePort person/street-address token tagger: hashed features, linear, stacked."
    onnx.checker.check_model(merged)
    version_dir = out_dir / "1"
    version_dir.mkdir(parents=True, exist_ok=True)
    path = version_dir / "model.onnx"
    onnx.save(merged, str(path))
    check_export(path, stage1, stage2)
    metadata = {
        "labels": list(pf.LABELS),
        "buckets": pf.BUCKETS,
        "features_per_token": width,
        "vocabulary": "vocab.txt",
        "gazetteer": "gazetteer.txt",
        "input": "features",
        "output": "probabilities",
        "training": summary,
    }
    (version_dir / "vocab.txt").write_text("\n".join(sorted(vocabulary)) + "\n", encoding="utf-8")
    gazetteer_lists.write(gazetteer, version_dir / "gazetteer.txt")
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


def check_export(path: Path, stage1: LogisticRegression, stage2: LogisticRegression) -> None:
    """The ONNX graph computes what scikit-learn computes (up to float16 weights)."""
    import onnxruntime as ort

    rng = np.random.default_rng(0)
    ids = rng.integers(1, pf.BUCKETS, size=(7, pf.FEATURES_PER_TOKEN)).astype(np.int64)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(["probabilities"], {"features": ids})
    rows = np.repeat(np.arange(7), ids.shape[1])
    one_hot = sp.csr_matrix((np.ones(ids.size), (rows, ids.ravel())), shape=(7, pf.BUCKETS))
    expected = stage2.predict_proba(stack(decision(stage1, one_hot), np.array([7])))
    assert np.abs(got - expected).max() < 1e-2, np.abs(got - expected).max()


def report_dev_thresholds(
    stage1: LogisticRegression,
    stage2: LogisticRegression,
    vocabulary: frozenset[str],
    dev: list[render.Example],
    summary: dict[str, object],
    gazetteer: dict[str, str],
) -> None:
    """Entity-level F2 of names and addresses on the dev templates for several token thresholds."""
    from trueport.guard.pii_ner import NameAddressTagger

    models_dir = Path(tempfile.mkdtemp())
    export(stage1, stage2, vocabulary, models_dir / MODEL_NAME, summary, gazetteer)
    tagger = NameAddressTagger(models_dir)
    for threshold in (0.15, 0.2, 0.25, 0.3, 0.4, 0.5):
        tagger.token_threshold = threshold
        tp = fp = fn = 0
        for example in dev:
            gold = {s for s in example.spans if s[2] in {"person", "street_address"}}
            found = {(m.start, m.end, m.type) for m in tagger.tag(example.text) if m.score >= 0.5}
            tp, fp, fn = tp + len(gold & found), fp + len(found - gold), fn + len(gold - found)
        precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
        f2 = 5 * precision * recall / max(1e-9, 4 * precision + recall)
        print(
            f"dev entities, token threshold {threshold}: precision {precision:.3f} recall {recall:.3f} F2 {f2:.3f}"
        )


def prose_training_examples(names: set[str], per_frame: int) -> list[render.Example]:
    """Prose frames (``prose.py``), technical negatives, and benign rows allowed for training
    (data hygiene: ``f < 0.6`` only; word problems without capitalised words inside a sentence)."""
    examples = prose.prose_examples("train", SEED, per_frame)
    examples += [render.Example(t, [], "technical", t) for t in prose.technical_negatives() for _ in range(8)]
    rows = prose.benign_rows("train", names)
    rng = np.random.default_rng(SEED)
    for k in rng.permutation(len(rows))[:1500].tolist():
        stem, text = rows[k]
        examples.append(render.Example(text[:1500], [], "benign-" + stem, text[:64]))
    examples += [
        render.Example(t, [], "word-problem", t[:64]) for t in prose.word_problem_negatives(names, 800)
    ]
    return examples


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "src" / "trueport" / "models" / MODEL_NAME)
    parser.add_argument("--per-template", type=int, default=30, help="renderings of each training template")
    parser.add_argument("--per-frame", type=int, default=80, help="renderings of each prose frame")
    parser.add_argument("--c", type=float, default=2.0, help="inverse L2 regularisation strength")
    parser.add_argument("--max-iter", type=int, default=300)
    parser.add_argument(
        "--reuse-fit", action="store_true", help="export the models of the previous run again"
    )
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
    examples += prose_training_examples(names, args.per_frame)
    trained_on = {e.text for e in examples}
    extra = [t for t in prose.vocabulary_texts() if t[:1500] not in trained_on and t not in trained_on]
    vocabulary = build_vocabulary(corpus_texts(benign) + extra)
    gazetteer = gazetteer_lists.build()
    featurizer = pf.Featurizer(vocabulary, gazetteer_lists.training_view(gazetteer))
    print(f"rendered {len(examples)} training examples, vocabulary of {len(vocabulary)} words", flush=True)
    matrix, labels, sizes = build_matrix(examples, featurizer)
    counts = dict(zip(pf.LABELS, np.bincount(labels, minlength=len(pf.LABELS)).tolist(), strict=True))
    print(f"tokens {matrix.shape[0]}, nnz {matrix.nnz}, label counts {counts}", flush=True)
    cache = (
        Path(tempfile.gettempdir())
        / f"trueport-pii-ner-fit-v2-{part}-{args.per_template}-{args.per_frame}-{args.c}.pkl"
    )
    if args.reuse_fit and cache.exists():  # re-export the last fit (e.g. after changing export())
        stage1, stage2 = pickle.loads(cache.read_bytes())  # noqa: S301 -- our own file
    else:
        stage1, stage2 = fit_stacked(examples, matrix, labels, sizes, args.c, args.max_iter)
        cache.write_bytes(pickle.dumps((stage1, stage2)))
    summary: dict[str, object] = {
        "seed": SEED,
        "examples": len(examples),
        "tokens": int(matrix.shape[0]),
        "c": args.c,
        "per_template": args.per_template,
        "window": WINDOW,
    }
    if dev:
        dev_matrix, dev_labels, dev_sizes = build_matrix(dev, featurizer)
        first = decision(stage1, dev_matrix)
        for name, predicted in (
            ("stage 1", first.argmax(axis=1)),
            ("stacked", stage2.predict(stack(first, dev_sizes))),
        ):
            for tag in ("PER", "ADDR"):
                gold = np.isin(dev_labels, [pf.LABELS.index("B-" + tag), pf.LABELS.index("I-" + tag)])
                pred = np.isin(predicted, [pf.LABELS.index("B-" + tag), pf.LABELS.index("I-" + tag)])
                tp = int((gold & pred).sum())
                precision, recall = tp / max(1, pred.sum()), tp / max(1, gold.sum())
                print(f"dev {name} token {tag}: precision {precision:.3f} recall {recall:.3f}")
        report_dev_thresholds(stage1, stage2, vocabulary, dev, summary, gazetteer)
        return
    path = export(stage1, stage2, vocabulary, args.out, summary, gazetteer)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.0f}s total")


if __name__ == "__main__":
    main()
