"""Benign text for the bias detector's false-positive rate, from the shared datasets.

Writes ``{"text", "label": 0, "source"}`` lines: the benign (label 0) rows of the injection *dev*
split in ``../shared/datasets/injection`` (everyday questions and requests, hard negatives for
injection detectors). Training uses only the *train* split and the BIPIA contexts, so these rows
are unseen.

    uv run python -m training.bias.benign > /tmp/bias-benign.jsonl
    uv run trueport eval --detector bias --data /tmp/bias-benign.jsonl
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson

SHARED = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "injection"


def main() -> None:
    out = sys.stdout.buffer
    for line in (SHARED / "dev.jsonl").read_bytes().splitlines():
        row = orjson.loads(line)
        if row["label"] == 0:
            out.write(orjson.dumps({"text": row["text"], "label": 0, "source": row["source"]}) + b"\n")


if __name__ == "__main__":
    main()
