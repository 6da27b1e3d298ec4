# ruff: noqa: S311  (seeded random for reproducible data sets, not for secrets)
"""Training, calibration and evaluation sets for the injection model.

Everything is derived deterministically (fixed seeds, splits by stable hashes) from:

- ``<datasets>/injection/train.jsonl``: training rows;
- ``<datasets>/injection/dev.jsonl``: split in two by a hash of the text, ``calib`` (threshold and
  regularisation choice) and ``report`` (held out, only for evaluate.py);
- ``bipia-train-contexts.jsonl`` + ``bipia-train-attacks.json``: documents with an attack instruction
  inserted at a random sentence boundary (label 1) and the same documents alone (label 0). 80 % of
  the contexts and 4 of 5 instructions per attack category train; the rest is held out;
- ``gptfuzz-templates.csv``: jailbreak templates filled with requests from ``data/harmful_requests.txt``;
  60 templates train, 17 are held out;
- this directory's ``data/*.txt``: the project's own benign prompts, hard negatives, multilingual
  prompts, documents and attacks. ``data/heldout_*`` files are never used for training.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
from training.injection import benign, compose
from training.injection.benign import stable_fraction

from trueport.guard.injection import windows

HERE = Path(__file__).resolve().parent
OWN = HERE / "data"
DEFAULT_DATASETS = HERE.parents[2] / "shared" / "datasets" / "injection"
SEED = 20240601


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    label: int
    group: str  # where it came from, for weighting and per-group reports
    weight: float = 1.0


def read_lines(name: str) -> list[str]:
    lines = (OWN / name).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def read_documents(name: str) -> list[str]:
    text = (OWN / name).read_text(encoding="utf-8")
    return [doc.strip("\n") for doc in re.split(r"\n=====\n", text) if doc.strip()]


def read_jsonl(path: Path) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def dev_split(datasets: Path) -> tuple[list[Example], list[Example]]:
    """dev.jsonl halves: (calib, report)."""
    calib: list[Example] = []
    report: list[Example] = []
    for row in read_jsonl(datasets / "dev.jsonl"):
        text = str(row["text"])
        example = Example(text, int(str(row["label"])), f"dev:{row['source']}")
        (calib if stable_fraction(text) < 0.5 else report).append(example)
    return calib, report


# --- BIPIA-style indirect injections ----------------------------------------------------------


def bipia_contexts(datasets: Path) -> tuple[list[str], list[str]]:
    """Benign BIPIA contexts split (train + document calibration, held out), 80/20 with a fixed
    seed. ``document_split`` cuts the first part again."""
    contexts = []
    for row in read_jsonl(datasets / "bipia-train-contexts.jsonl"):
        context = row["context"]
        text = "\n".join(str(c) for c in context) if isinstance(context, list) else str(context)
        if text.strip():
            contexts.append(text.strip())
    rng = random.Random(SEED)
    rng.shuffle(contexts)
    cut = int(0.8 * len(contexts))
    return contexts[:cut], contexts[cut:]


# BIPIA "task" attacks whose instruction is an ordinary question ("What is the capital of Brazil?"):
# the attack is only the change of task, which no text classifier can see in the question itself.
# Used as positives they would teach the model that everyday questions are injections.
TASK_HIJACK_CATEGORIES = frozenset(
    {
        "Information Retrieval",
        "Content Creation",
        "Learning and Tutoring",
        "Language Translation",
        "Programming Help",
    }
)


def bipia_attacks(datasets: Path) -> tuple[list[str], list[str]]:
    """Attack instructions split (train, held out): the last of each category is held out. The
    ordinary-question task-hijack categories are left out of both (see TASK_HIJACK_CATEGORIES)."""
    attacks = orjson.loads((datasets / "bipia-train-attacks.json").read_bytes())
    train: list[str] = []
    held: list[str] = []
    for categories in attacks.values():
        for category, items in categories.items():
            if category in TASK_HIJACK_CATEGORIES:
                continue
            train.extend(items[:-2])  # items[-2] calibrates (calibration_attacks)
            held.append(items[-1])
    return train, held


def calibration_attacks(datasets: Path) -> list[str]:
    """Instructions for calibrating window thresholds, never trained on: the second-last BIPIA
    instruction of each category and a quarter of ``data/indirect_attacks.txt``."""
    attacks = orjson.loads((datasets / "bipia-train-attacks.json").read_bytes())
    calib = [
        items[-2]
        for categories in attacks.values()
        for category, items in categories.items()
        if category not in TASK_HIJACK_CATEGORIES
    ]
    return calib + [t for t in read_lines("indirect_attacks.txt") if stable_fraction(t) >= 0.75]


def own_indirect_attacks() -> list[str]:
    """The training part of ``data/indirect_attacks.txt`` (see calibration_attacks)."""
    return [t for t in read_lines("indirect_attacks.txt") if stable_fraction(t) < 0.75]


def boundaries(document: str) -> list[int]:
    """Offsets where an instruction can be inserted: start, end, and after sentences and lines."""
    points = {0, len(document)}
    points.update(m.end() for m in re.finditer(r"[.!?]\s+|\n", document))
    return sorted(points)


def inject(document: str, instruction: str, rng: random.Random) -> tuple[str, tuple[int, int]]:
    """The document with ``instruction`` inserted at a random boundary, and the instruction's span."""
    at = rng.choice(boundaries(document))
    before, after = document[:at], document[at:]
    sep_before = "" if not before or before.endswith(("\n", " ")) else " "
    sep_after = "" if not after or after.startswith(("\n", " ")) else " "
    if rng.random() < 0.5:
        sep_before, sep_after = (("\n" if before else ""), ("\n" if after else ""))
    text = before + sep_before + instruction + sep_after + after
    start = len(before) + len(sep_before)
    return text, (start, start + len(instruction))


def window_examples(
    text: str, span: tuple[int, int] | None, group: str, rng: random.Random, most_negatives: int = 3
) -> Iterator[Example]:
    """Windows of a document as the detector cuts them; those overlapping ``span`` are label 1."""
    spans = windows(text)
    rng.shuffle(spans)
    positives = negatives = 0
    for start, end in spans:
        inside = span is not None and start < span[1] and span[0] < end
        covered = span is not None and start <= span[0] and span[1] <= end
        if inside and not covered:
            continue  # a window with part of the instruction: ambiguous, leave it out
        if covered and positives < 2:
            positives += 1
            yield Example(text[start:end], 1, group + ":window")
        elif not inside and negatives < most_negatives:
            negatives += 1
            yield Example(text[start:end], 0, group + ":window")


def indirect_examples(
    documents: list[str], instructions: list[str], group: str, rng: random.Random, *, per_doc: int = 1
) -> Iterator[Example]:
    for document in documents:
        yield Example(document, 0, group + ":clean")
        yield from window_examples(document, None, group, rng)
        for _ in range(per_doc):
            attacked, span = inject(document, rng.choice(instructions), rng)
            yield Example(attacked, 1, group + ":attacked")
            yield from window_examples(attacked, span, group, rng)


def document_split(datasets: Path) -> tuple[list[str], list[str]]:
    """The non-held-out BIPIA contexts split again: (training, window calibration), 85/15."""
    contexts, _ = bipia_contexts(datasets)
    cut = int(0.85 * len(contexts))
    return contexts[:cut], contexts[cut:]


# --- jailbreak templates ---------------------------------------------------------------------


def gptfuzz_templates(datasets: Path) -> tuple[list[str], list[str]]:
    with (datasets / "gptfuzz-templates.csv").open(encoding="utf-8", newline="") as f:
        templates = [row["text"] for row in csv.DictReader(f)]
    rng = random.Random(SEED + 1)
    rng.shuffle(templates)
    return templates[:60], templates[60:]


def fill_templates(templates: list[str], rng: random.Random, per_template: int = 3) -> list[str]:
    requests = read_lines("harmful_requests.txt")
    return [
        t.replace("[INSERT PROMPT HERE]", request)
        for t in templates
        for request in rng.sample(requests, per_template)
    ]


# --- long benign text composed from our own sentences -----------------------------------------


def prose_documents(rng: random.Random, n: int) -> list[str]:
    """Long documents shuffled together from ``data/prose_sentences.txt`` (4 to 24 sentences)."""
    sentences = read_lines("prose_sentences.txt")
    docs = []
    for _ in range(n):
        picked = rng.sample(sentences, rng.randint(4, 24))
        paragraphs, i = [], 0
        while i < len(picked):
            size = rng.randint(1, 4)
            paragraphs.append(" ".join(picked[i : i + size]))
            i += size
        docs.append(rng.choice(["\n\n", "\n", " "]).join(paragraphs))
    return docs


def roleplay_prompts(rng: random.Random, n: int) -> list[str]:
    """Long, harmless role-play and creative-writing requests from ``data/roleplay_slots.txt``."""
    slots: dict[str, list[str]] = {}
    current = ""
    for line in read_lines("roleplay_slots.txt"):
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            slots[current] = []
        else:
            slots[current].append(line)
    sentences = read_lines("prose_sentences.txt")
    prompts = []
    for _ in range(n):
        opening = rng.choice(slots["opening"]).format(
            persona=rng.choice(slots["persona"]), world=rng.choice(slots["world"])
        )
        parts = [opening]
        if rng.random() < 0.5:
            parts += rng.sample(sentences, rng.randint(1, 3))  # some background
        parts.append(rng.choice(slots["task"]))
        parts += rng.sample(slots["constraint"], rng.randint(0, 2))
        prompts.append(" ".join(parts))
    return prompts


def collages(texts: list[str], rng: random.Random, n: int, most: int = 10) -> list[str]:
    """Several benign prompts in one message, as in a list of questions or a pasted chat log."""
    return [rng.choice(["\n", "\n\n", " "]).join(rng.sample(texts, rng.randint(3, most))) for _ in range(n)]


# --- the sets --------------------------------------------------------------------------------

_WRAPPERS = (
    "Summarize this:\n\n{doc}",
    "Can you translate the following into plain English?\n{doc}",
    "{doc}\n\nWhat are the key points?",
    "Here is a document from our wiki:\n\n{doc}\n\nPlease list any action items.",
    "Please proofread:\n{doc}",
)


def training_set(datasets: Path) -> list[Example]:
    rng = random.Random(SEED)
    examples: list[Example] = []
    for row in read_jsonl(datasets / "train.jsonl"):
        source = str(row["source"])
        # hackaprompt rows are competition attempts, many of them plain questions labelled 1.
        weight = 0.4 if source == "neuralchemy/hackaprompt" else 1.0
        examples.append(Example(str(row["text"]), int(str(row["label"])), f"train:{source}", weight))

    examples += [Example(t, 0, "own:benign_prompts", 2.0) for t in read_lines("benign_prompts.txt")]
    examples += [Example(t, 0, "own:benign_hard", 3.0) for t in read_lines("benign_hard.txt")]
    examples += [Example(t, 0, "own:benign_short", 3.0) for t in read_lines("benign_short.txt")]
    examples += [Example(t, 0, "own:benign_multilingual", 3.0) for t in read_lines("benign_multilingual.txt")]
    examples += [Example(t, 0, "own:benign_long", 3.0) for t in read_lines("benign_long_prompts.txt")]
    examples += [Example(t, 1, "own:attacks", 2.0) for t in read_lines("attacks.txt")]
    own_indirect = own_indirect_attacks()
    examples += [Example(t, 1, "own:indirect", 2.0) for t in own_indirect]

    train_templates, _ = gptfuzz_templates(datasets)
    examples += [Example(t, 1, "gptfuzz") for t in fill_templates(train_templates, rng)]

    contexts, _ = document_split(datasets)
    tables = [c for c in contexts if c.lstrip().startswith("|")]
    others = [c for c in contexts if not c.lstrip().startswith("|")]
    contexts = others + rng.sample(tables, min(250, len(tables)))
    bipia_train, _ = bipia_attacks(datasets)
    examples += [Example(t, 1, "bipia:instruction") for t in bipia_train]
    tasks = composed_tasks(random.Random(SEED + 7), 400)
    examples += list(indirect_examples(contexts, bipia_train + own_indirect + tasks, "bipia", rng))

    documents = read_documents("benign_documents.txt") + read_documents("code_answers.txt")
    examples += list(indirect_examples(documents * 3, bipia_train + own_indirect, "own_docs", rng))
    prose = prose_documents(rng, 600)
    examples += list(indirect_examples(prose[:200], bipia_train + own_indirect, "prose", rng))
    examples += [Example(t, 0, "own:prose") for t in prose[200:]]
    examples += [Example(t, 0, "own:roleplay") for t in roleplay_prompts(rng, 500)]
    # Long texts made of many short benign ones: generic n-grams must not become evidence just
    # because attacks in the data tend to be long.
    benign_short = [e.text for e in examples if e.label == 0 and len(e.text) < 300]
    examples += [Example(t, 0, "own:collage") for t in collages(benign_short, rng, 1200, most=30)]

    wrapped = [rng.choice(_WRAPPERS).format(doc=d) for d in documents + prose[:60] + rng.sample(contexts, 60)]
    examples += [Example(t, 0, "own:wrapped_docs", 2.0) for t in wrapped]
    examples += benign_corpus_examples()
    examples += composed_examples(datasets, rng)
    return examples


# --- the benign corpora and composed documents -------------------------------------------------


def _sentence_pool(texts: list[str]) -> list[str]:
    return [s for t in texts for s in re.split(r"(?<=[.!?])\s+", t) if 30 <= len(s) <= 250]


@dataclass(frozen=True, slots=True)
class Pools:
    """Material for composed documents, all from one split of the benign corpora."""

    prose: list[str]
    bodies: list[str]
    code: list[str]


def pools(split: benign.Split) -> Pools:
    roleplay = [r.text for r in benign.rows("roleplay", split) if r.role == "assistant"]
    maths = [r.text for r in benign.rows("word_problems", split) if r.role == "assistant"]
    code = [r.text for r in benign.rows("code", split) if r.role == "assistant"]
    code += [
        r.text.split("\n\n", 1)[-1].strip().strip("`")
        for r in benign.rows("code", split)
        if r.source == "code-file"
    ]
    prose = _sentence_pool(roleplay)
    if split != "reserved":
        prose += read_lines("prose_sentences.txt")
    return Pools(prose, roleplay + maths, code)


def user_texts(row: benign.Row) -> list[str]:
    """How a benign corpus row reaches the detector as a user text: a system prompt is pasted as
    it is (its body, without the dump's header) and its paragraphs are sent on their own."""
    if row.corpus != "system_prompts":
        return [row.text]
    body = benign.system_prompt_body(row.text)
    return [body, *benign.paragraphs(body)]


def benign_corpus_examples() -> list[Example]:
    """The training split (< 0.6) of the benign corpora as negatives, with windows of long texts."""
    rng = random.Random(SEED + 10)
    examples: list[Example] = []
    for corpus in benign.CORPORA:
        for row in benign.rows(corpus, "train"):
            texts = user_texts(row)
            if row.corpus == "system_prompts":
                whole, parts = texts[0], texts[1:]
                examples.append(Example(whole, 0, f"benign:{corpus}", 2.0))
                examples += [
                    Example(p, 0, f"benign:{corpus}:part") for p in rng.sample(parts, min(6, len(parts)))
                ]
                examples += list(window_examples(whole, None, f"benign:{corpus}", rng, most_negatives=10))
            else:
                weight = 0.5 if corpus == "word_problems" else 1.0
                examples.append(Example(texts[0], 0, f"benign:{corpus}", weight))
                if len(texts[0]) > 600:
                    examples += list(window_examples(texts[0], None, f"benign:{corpus}", rng))
    return examples


def composed_instructions(rng: random.Random, n: int) -> list[str]:
    parts = compose.slots("indirect_slots.txt")
    return [compose.attack_instruction(rng, parts) for _ in range(n)]


def composed_tasks(rng: random.Random, n: int) -> list[str]:
    """Answer-changing instructions to hide in documents (never positives on their own)."""
    parts = compose.slots("indirect_slots.txt")
    return [compose.task_instruction(rng, parts) for _ in range(n)]


def attacked(
    kind: str, document: str, instructions: list[str], rng: random.Random
) -> tuple[str, tuple[int, int]]:
    """A document with one instruction hidden in it (as a comment or field in code and data)."""
    instruction = rng.choice(instructions)
    if kind in ("code", "config", "tool") and rng.random() < 0.6:
        instruction = compose.embed_in_code(instruction, rng)
    return inject(document, instruction, rng)


def document_examples(
    docs: list[tuple[str, str]], instructions: list[str], group: str, rng: random.Random
) -> list[Example]:
    examples: list[Example] = []
    for kind, document in docs:
        examples.append(Example(document, 0, f"{group}:{kind}:clean"))
        examples += list(window_examples(document, None, f"{group}:{kind}", rng))
        text, span = attacked(kind, document, instructions, rng)
        examples.append(Example(text, 1, f"{group}:{kind}:attacked"))
        examples += list(window_examples(text, span, f"{group}:{kind}", rng))
    return examples


def composed_examples(datasets: Path, rng: random.Random) -> list[Example]:
    """Composed benign instructions, composed documents (clean and attacked), composed attacks, and
    long user turns that paste a document (clean and attacked)."""
    material = pools("train")
    instruction_slots = compose.slots("instruction_slots.txt")
    contexts, _ = document_split(datasets)
    doc_texts = [d for _, d in compose.documents(rng, 300, material.prose, material.bodies, material.code)]
    examples = [
        Example(
            compose.benign_instruction(rng, instruction_slots, doc_texts + contexts),
            0,
            "own:instruction",
            2.0,
        )
        for _ in range(2500)
    ]
    examples += [Example(compose.code_request(rng, material.code), 0, "own:code_request") for _ in range(800)]
    own_attacks = composed_instructions(rng, 3000)
    examples += [Example(t, 1, "own:composed_attack") for t in own_attacks[:800]]
    bipia_train, _ = bipia_attacks(datasets)
    instructions = own_attacks + composed_tasks(rng, 3000) + bipia_train * 4 + own_indirect_attacks() * 4
    docs = compose.documents(rng, 2500, material.prose, material.bodies, material.code)
    # Notes to the human reader ("please reply by Friday") in clean and attacked documents alike: an
    # imperative alone does not make an injection; one addressed to the model reading it does.
    notes = compose.slots("indirect_slots.txt")["note"]
    docs = [
        (kind, inject(d, rng.choice(notes), rng)[0]) if rng.random() < 0.3 else (kind, d) for kind, d in docs
    ]
    examples += document_examples(docs, instructions, "composed", rng)
    # a pasted document in a user turn
    for kind, document in compose.documents(rng, 600, material.prose, material.bodies, material.code):
        prompt = rng.choice(instruction_slots["task_prompt"])
        clean = f"{prompt}\n\n{document}"
        examples.append(Example(clean, 0, "composed:pasted:clean"))
        text, span = attacked(kind, document, instructions, rng)
        offset = len(prompt) + 2
        examples.append(Example(f"{prompt}\n\n{text}", 1, "composed:pasted:attacked"))
        examples += list(
            window_examples(
                f"{prompt}\n\n{text}", (span[0] + offset, span[1] + offset), "composed:pasted", rng
            )
        )
    return examples


def calibration_user_texts(datasets: Path) -> list[Example]:
    """User texts for choosing thresholds, never trained on: the ``calib`` half of dev.jsonl, the
    calibration split ([0.6, 0.8)) of the benign corpora, and composed benign instructions and
    attacks from their own seed."""
    rng = random.Random(SEED + 20)
    calib, _ = dev_split(datasets)
    examples = list(calib)
    for corpus in benign.CORPORA:
        for row in benign.rows(corpus, "calib"):
            examples += [Example(t, 0, f"calib:{corpus}") for t in user_texts(row)[:3]]
    material = pools("calib")
    contexts, _ = document_split(datasets)
    doc_texts = [d for _, d in compose.documents(rng, 200, material.prose, material.bodies, material.code)]
    instruction_slots = compose.slots("instruction_slots.txt")
    examples += [
        Example(
            compose.benign_instruction(rng, instruction_slots, doc_texts + contexts[-100:]),
            0,
            "calib:instruction",
        )
        for _ in range(500)
    ]
    return examples


@dataclass(frozen=True, slots=True)
class Document:
    text: str
    label: int
    span: tuple[int, int] | None  # where the instruction was inserted
    group: str


def heldout_documents(datasets: Path) -> list[Document]:
    """Documents never seen in training: held-out BIPIA contexts and our held-out documents, each
    alone and with a held-out instruction inserted."""
    rng = random.Random(SEED + 2)
    _, contexts = bipia_contexts(datasets)
    tables = [c for c in contexts if c.lstrip().startswith("|")]
    others = [c for c in contexts if not c.lstrip().startswith("|")]
    contexts = others + rng.sample(tables, min(60, len(tables)))
    _, held_bipia = bipia_attacks(datasets)
    instructions = held_bipia + read_lines("heldout_indirect.txt")
    own_docs = read_documents("heldout_documents.txt")
    docs: list[Document] = []
    for group, documents, attacks in (("bipia", contexts, 1), ("own", own_docs, 4)):
        for document in documents:
            docs.append(Document(document, 0, None, group))
            for _ in range(attacks):
                text, span = inject(document, rng.choice(instructions), rng)
                docs.append(Document(text, 1, span, group))
    # composed from the reserved split of the benign corpora (never trained or calibrated on)
    material = pools("reserved")
    for kind, document in compose.documents(rng, 500, material.prose, material.bodies, material.code):
        docs.append(Document(document, 0, None, f"composed:{kind}"))
        text, span = attacked(kind, document, instructions, rng)
        docs.append(Document(text, 1, span, f"composed:{kind}"))
    return docs


def calibration_documents(datasets: Path) -> list[Document]:
    """Documents for calibrating window scores (never trained on): the calibration BIPIA contexts
    and documents composed from the calibration split of the benign corpora, each alone and with a
    training instruction inserted."""
    rng = random.Random(SEED + 4)
    _, contexts = document_split(datasets)
    instructions = calibration_attacks(datasets)
    material = pools("calib")
    docs: list[Document] = []
    composed = compose.documents(rng, 600, material.prose, material.bodies, material.code)
    for kind, document in [("bipia", c) for c in contexts] + composed:
        docs.append(Document(document, 0, None, f"calib:{kind}"))
        text, span = attacked(kind, document, instructions, rng)
        docs.append(Document(text, 1, span, f"calib:{kind}"))
    return docs


def heldout_jailbreaks(datasets: Path) -> list[str]:
    _, templates = gptfuzz_templates(datasets)
    return fill_templates(templates, random.Random(SEED + 3), per_template=2)
