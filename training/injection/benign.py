"""The shared benign corpora (``<shared>/datasets/benign/*.jsonl``), split by a stable hash.

Data hygiene (project rule): a row whose ``stable_fraction(text)`` is below 0.6 may be trained on,
one in [0.6, 0.8) is for calibration (thresholds) only, and one at or above 0.8 is RESERVED for the
project's traffic benchmark: it is never trained or calibrated on, only reported by evaluate.py.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import orjson

HERE = Path(__file__).resolve().parent
DEFAULT_BENIGN = HERE.parents[2] / "shared" / "datasets" / "benign"
CORPORA = ("system_prompts", "roleplay", "code", "word_problems")
TRAIN_BELOW = 0.6
CALIB_BELOW = 0.8

Split = Literal["train", "calib", "reserved"]


def stable_fraction(text: str) -> float:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_of(text: str) -> Split:
    fraction = stable_fraction(text)
    if fraction < TRAIN_BELOW:
        return "train"
    return "calib" if fraction < CALIB_BELOW else "reserved"


@dataclass(frozen=True, slots=True)
class Row:
    corpus: str
    role: str
    text: str
    source: str


def rows(corpus: str, split: Split, directory: Path = DEFAULT_BENIGN) -> list[Row]:
    """The rows of one corpus in one split (the split is decided by the row's own text)."""
    out = []
    for line in (directory / f"{corpus}.jsonl").read_bytes().splitlines():
        if not line.strip():
            continue
        row = orjson.loads(line)
        text = str(row["text"])
        if text.strip() and split_of(text) == split:
            out.append(Row(corpus, str(row["role"]), text, str(row["source"])))
    return out


_HEADER = re.compile(r"^GPT (URL|Title|Description|Logo|Instructions):.*$", re.MULTILINE)


def system_prompt_body(text: str) -> str:
    """A custom GPT's instructions without the "GPT URL / Title / Logo" header lines of the dump."""
    body = _HEADER.sub("", text)
    body = body.replace("```markdown", "").strip().strip("`").strip()
    return body or text


def paragraphs(text: str, least: int = 20) -> list[str]:
    """Blank-line separated paragraphs of a text (at least ``least`` characters each)."""
    return [p.strip() for p in re.split(r"\n\s*\n", text) if len(p.strip()) >= least]
