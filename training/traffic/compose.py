# ruff: noqa: S311  (seeded random for reproducible data sets, not for secrets)
"""Compose the traffic benchmark: whole requests shaped like real applications', benign and attack.

    uv run python training/traffic/compose.py      # -> eval/traffic/benign.jsonl, eval/traffic/attacks.jsonl
    uv run trueport eval --traffic eval/traffic/benign.jsonl
    uv run trueport eval --traffic eval/traffic/attacks.jsonl

Everything is drawn from data the detectors were neither trained nor calibrated on:

- ``<datasets>/benign/*.jsonl`` rows whose ``held_out_fraction(text)`` is at least 0.8 (training
  scripts use rows under 0.6, calibration rows in [0.6, 0.8)); a user row and the assistant row
  after it are one exchange, held out by the user text;
- the injection ``dev.jsonl`` half that training reports on but never fits or calibrates on
  (``held_out_fraction >= 0.5``): benign questions and direct attacks;
- the BIPIA contexts that injection training holds out (the last 20 % after its seeded shuffle), and
  the held-out attack instruction of each category;
- GPTFuzz's 17 held-out jailbreak templates;
- this directory's own texts (``data.py``): system prompts of the kinds applications use, retrieval
  prompts, and indirect injections written for this benchmark only.

Requests are composed the way applications send them: a system prompt, a history with assistant
turns, tool calls and their results, a pasted document. See ``trueport.guard.traffic`` for the
format and the figures.
"""

from __future__ import annotations

import csv
import hashlib
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
import data

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
OUT = ROOT / "eval" / "traffic"
SEED = 20261206
INJECTION_SEED = 20240601  # training/injection/corpus.py's, to hold out the same BIPIA contexts
MAX_DOCUMENT_CHARS = 6000

Row = dict[str, Any]


def held_out_fraction(text: str) -> float:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def read_jsonl(path: Path) -> list[Row]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def exchanges(name: str) -> list[tuple[str, str | None]]:
    """Held-out (user text, assistant answer or None) pairs of one benign corpus."""
    rows = read_jsonl(DATASETS / "benign" / name)
    pairs: list[tuple[str, str | None]] = []
    for i, row in enumerate(rows):
        if row["role"] != "user" or held_out_fraction(row["text"]) < 0.8:
            continue
        following = rows[i + 1] if i + 1 < len(rows) else None
        answer = following["text"] if following is not None and following["role"] == "assistant" else None
        pairs.append((row["text"], answer))
    return pairs


def held_out_system_prompts() -> list[str]:
    rows = read_jsonl(DATASETS / "benign" / "system_prompts.jsonl")
    return [r["text"] for r in rows if held_out_fraction(r["text"]) >= 0.8]


def dev_rows(label: int) -> list[str]:
    rows = read_jsonl(DATASETS / "injection" / "dev.jsonl")
    return [str(r["text"]) for r in rows if r["label"] == label and held_out_fraction(str(r["text"])) >= 0.5]


def held_out_bipia_contexts() -> list[str]:
    contexts = []
    for row in read_jsonl(DATASETS / "injection" / "bipia-train-contexts.jsonl"):
        context = row["context"]
        text = "\n".join(str(c) for c in context) if isinstance(context, list) else str(context)
        if text.strip():
            contexts.append(text.strip())
    rng = random.Random(INJECTION_SEED)
    rng.shuffle(contexts)
    return [c[:MAX_DOCUMENT_CHARS] for c in contexts[int(0.8 * len(contexts)) :]]


def held_out_bipia_attacks() -> list[str]:
    attacks = orjson.loads((DATASETS / "injection" / "bipia-train-attacks.json").read_bytes())
    skipped = {"Information Retrieval", "Content Creation", "Learning and Tutoring", "Language Translation"}
    skipped |= {"Programming Help"}  # ordinary questions: only the change of task is the attack
    return [
        items[-1] for categories in attacks.values() for c, items in categories.items() if c not in skipped
    ]


def held_out_jailbreaks(rng: random.Random) -> list[str]:
    with (DATASETS / "injection" / "gptfuzz-templates.csv").open(encoding="utf-8", newline="") as f:
        templates = [row["text"] for row in csv.DictReader(f)]
    random.Random(INJECTION_SEED + 1).shuffle(templates)
    return [t.replace("[INSERT PROMPT HERE]", rng.choice(data.HARMFUL_REQUESTS)) for t in templates[60:]]


def insert(document: str, instruction: str, rng: random.Random) -> str:
    """``instruction`` inserted at a random line or sentence boundary of ``document``."""
    points = [0, len(document)] + [i + 1 for i, c in enumerate(document) if c == "\n"]
    points += [i + 2 for i in range(len(document) - 1) if document[i] in ".!?" and document[i + 1] == " "]
    at = rng.choice(sorted(set(points)))
    return document[:at].rstrip() + "\n" + instruction + "\n" + document[at:].lstrip()


def request(*messages: dict[str, Any]) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "messages": list(messages)}


def system(text: str) -> dict[str, Any]:
    return {"role": "system", "content": text}


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def assistant(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": text}


def tool_exchange(name: str, arguments: str, result: str, call_id: str) -> list[dict[str, Any]]:
    call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
    return [
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call_id, "content": result},
    ]


def item(
    kind: str, category: str, n: int, body: dict[str, Any], answer: str | None = None, **extra: Any
) -> Row:
    row: Row = {"id": f"{category}-{n}", "kind": kind, "category": category, "request": body}
    if answer is not None:
        row["answer"] = answer
    row.update(extra)
    return row


def benign(rng: random.Random) -> Iterator[Row]:
    questions = dev_rows(0)
    word = exchanges("word_problems.jsonl")
    role = exchanges("roleplay.jsonl")
    code = exchanges("code.jsonl")
    requests = [(q, a) for q, a in code if "\n" in q or a is None]
    files = [q for q, a in code if a is None]
    products = held_out_system_prompts()
    contexts = held_out_bipia_contexts()
    plain = questions + [q for q, _ in word]

    for n, (question, answer) in enumerate(
        rng.sample(word, 120) + [(q, None) for q in rng.sample(questions, 80)]
    ):
        yield item(
            "benign",
            "generic_system",
            n,
            request(system(rng.choice(data.GENERIC_SYSTEM)), user(question)),
            answer,
        )
    for n, prompt in enumerate(rng.sample(products, min(200, len(products)))):
        question, answer = rng.choice(word + role)
        yield item("benign", "product_system", n, request(system(prompt), user(question)), answer)
    for n, (text, answer) in enumerate(rng.sample(role, 200)):
        persona = rng.choice(data.GENERIC_SYSTEM) if rng.random() < 0.7 else rng.choice(data.ROLEPLAY_SYSTEM)
        yield item("benign", "roleplay", n, request(system(persona), user(text)), answer)
    for n, (text, answer) in enumerate(rng.sample(requests, 150)):
        yield item("benign", "code", n, request(system(rng.choice(data.CODE_SYSTEM)), user(text)), answer)
    for n, source in enumerate(rng.sample(files, min(50, len(files)))):
        ask = rng.choice(data.CODE_REVIEW_ASKS)
        yield item(
            "benign",
            "code_review",
            n,
            request(system(rng.choice(data.CODE_SYSTEM)), user(f"{ask}\n\n{source[:MAX_DOCUMENT_CHARS]}")),
        )
    for n, document in enumerate(rng.sample(contexts, 200)):
        ask = rng.choice(data.DOCUMENT_ASKS)
        text = ask.format(document=document)
        yield item("benign", "document", n, request(system(rng.choice(data.GENERIC_SYSTEM)), user(text)))
    for n in range(100):
        chunks = "\n\n".join(rng.sample(contexts, 3))
        template = rng.choice(data.RAG_TEMPLATES)
        prompt = template.format(context=chunks, question=rng.choice(plain))
        yield item(
            "benign", "rag", n, request(system(prompt) if "{question}" not in template else user(prompt))
        )
    for n in range(200):
        history: list[dict[str, Any]] = [system(rng.choice(data.GENERIC_SYSTEM + data.PRODUCT_SYSTEM))]
        pool = rng.choice([word, role, code])
        for question, answer in rng.sample(pool, rng.randint(2, 4)):
            history.append(user(question))
            history.append(assistant(answer or "Sure - here you go."))
        question, answer = rng.choice(pool)
        yield item("benign", "multi_turn", n, request(*history, user(question)), answer)
    for n, document in enumerate(rng.sample(contexts, 150)):
        tool, arguments, ask = rng.choice(data.TOOLS)
        messages = [
            system(rng.choice(data.PRODUCT_SYSTEM)),
            user(ask),
            *tool_exchange(tool, arguments, document, f"call_{n}"),
        ]
        yield item("benign", "tool_result", n, request(*messages))
    for n, question in enumerate(rng.sample(plain, 150)):
        yield item("benign", "no_system", n, request(user(question)))
    people = data.people(DATASETS / "pii" / "generator" / "FakeNameGenerator.com_3000.csv", rng, 100)
    for n, person in enumerate(people):
        text = rng.choice(data.PERSONAL_DATA_ASKS).format(**person)
        yield item(
            "benign",
            "personal_data",
            n,
            request(system(rng.choice(data.PRODUCT_SYSTEM)), user(text)),
            personal_data=True,
        )


def attacks(rng: random.Random) -> Iterator[Row]:
    direct = dev_rows(1)
    for n, text in enumerate(rng.sample(direct, min(400, len(direct)))):
        yield item("attack", "direct", n, request(system(rng.choice(data.GENERIC_SYSTEM)), user(text)))
    for n, text in enumerate(held_out_jailbreaks(rng)):
        yield item("attack", "jailbreak_template", n, request(user(text)))
    contexts = held_out_bipia_contexts()
    instructions = held_out_bipia_attacks() + data.INDIRECT_INJECTIONS
    for n, document in enumerate(rng.sample(contexts, 150)):
        tool, arguments, ask = rng.choice(data.TOOLS)
        attacked = insert(document, rng.choice(instructions), rng)
        messages = [
            system(rng.choice(data.PRODUCT_SYSTEM)),
            user(ask),
            *tool_exchange(tool, arguments, attacked, f"call_{n}"),
        ]
        yield item("attack", "indirect_tool_result", n, request(*messages))
    for n, document in enumerate(rng.sample(contexts, 150)):
        attacked = insert(document, rng.choice(instructions), rng)
        text = rng.choice(data.DOCUMENT_ASKS).format(document=attacked)
        yield item(
            "attack", "indirect_document", n, request(system(rng.choice(data.GENERIC_SYSTEM)), user(text))
        )


def write(path: Path, rows: Iterator[Row]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [orjson.dumps(row) for row in rows]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return len(lines)


def main() -> None:
    print("benign:", write(OUT / "benign.jsonl", benign(random.Random(SEED))), "requests")
    print("attacks:", write(OUT / "attacks.jsonl", attacks(random.Random(SEED + 1))), "requests")


if __name__ == "__main__":
    main()
