"""Labelled sentences for the bias detector, rendered from the project's own templates and vocabularies.

Each line: ``{"text", "label" (1 = biased), "type", "template"}`` where ``type`` is ``none``,
``stereotype``, ``slur_or_dehumanisation``, ``exclusion`` or ``incitement``.

Splits are disjoint by construction: a fifth of the templates of every label and a fifth of the
attribute fillers (negative adjectives and nouns, behaviours, dehumanising words) are reserved for
``dev``; ``train`` never sees them. Neither split says anything about real text: the hand-written
``eval/bias/heldout.jsonl`` does.

    uv run python -m training.bias.generate --split train > /tmp/bias-train.jsonl
    uv run python -m training.bias.generate --split dev > /tmp/bias-dev.jsonl
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from training.bias import templates, vocab

# Sentences per label for the train split (dev gets a fifth); duplicates are dropped afterwards.
SIZES = {
    "stereotype": 7000,
    "slur_or_dehumanisation": 3000,
    "exclusion": 5000,
    "incitement": 2500,
    "none": 20000,
}
TEMPLATES = {
    "stereotype": templates.STEREOTYPE,
    "slur_or_dehumanisation": templates.DEHUMANISATION,
    "exclusion": templates.EXCLUSION,
    "incitement": templates.INCITEMENT,
    "none": templates.NEGATIVE,
}
SEEDS = {"train": 20240601, "dev": 20240602}


def in_dev(item: str) -> bool:
    """A fixed fifth of templates and fillers belongs to dev."""
    return zlib.crc32(item.encode()) % 5 == 0


def split_items(items: Sequence[str], split: str) -> list[str]:
    chosen = [i for i in items if in_dev(i) == (split == "dev")]
    return chosen or list(items)


@dataclass(frozen=True, slots=True)
class Fillers:
    adj: list[str]
    noun: list[str]
    behaviour: list[str]
    dehumanising: list[str]

    @classmethod
    def for_split(cls, split: str) -> Fillers:
        return cls(
            split_items(vocab.NEG_ADJ, split),
            split_items(vocab.NEG_NOUN, split),
            split_items(vocab.BEHAVIOUR, split),
            split_items(vocab.DEHUMANISING, split),
        )


class _Slots(dict[str, str]):
    """Fills each slot on first use, so a slot used twice in a template gets one value."""

    def __init__(self, rng: random.Random, fillers: Fillers) -> None:
        super().__init__()
        self.rng = rng
        self.fillers = fillers
        self.group = rng.choice(vocab.GROUPS)

    def __missing__(self, key: str) -> str:
        value = self._fill(key)
        self[key] = value
        return value

    def _fill(self, key: str) -> str:
        rng, f, g = self.rng, self.fillers, self.group
        match key:
            case "G":
                return g.plural
            case "S":
                return g.singular
            case "J":
                return g.adjective
            case "JP":
                return f"{g.adjective} {rng.choice(vocab.PERSON_NOUNS)}"
            case "G2":
                return rng.choice(
                    [x for x in vocab.GROUPS if x.category == g.category and x != g] or vocab.GROUPS
                ).plural
            case "G3":
                return rng.choice([x for x in vocab.GROUPS if x not in (g,)]).plural
            case "ADJ" | "ADJ2":
                other = self.get("ADJ") if key == "ADJ2" else None
                return rng.choice([a for a in f.adj if a != other] or f.adj)
            case "NOUN":
                return rng.choice(f.noun)
            case "BEH":
                return rng.choice(f.behaviour)
            case "DEH":
                return rng.choice(f.dehumanising)
            case "META":
                return rng.choice(vocab.META_OPENERS)
            case "NUM":
                return str(rng.randint(2, 60))
            case "AGE":
                return str(rng.choice([40, 45, 50, 55, 60, 65]))
        table = {
            "SKILL": vocab.SKILL,
            "ROLE": vocab.ROLE,
            "RIGHT": vocab.RIGHT,
            "PLACE": vocab.PLACE,
            "VPP": vocab.VIOLENT_PP,
            "VV": vocab.VIOLENT_V,
            "JOB": vocab.JOB,
            "CITY": vocab.CITY,
            "HOL": vocab.HOLIDAY,
            "LANG": vocab.LANGUAGE,
            "FOOD": vocab.FOOD,
            "YEAR": vocab.YEAR,
            "DIS": vocab.DISADVANTAGE,
            "DOM": vocab.DOMAIN,
            "NEUTRAL": vocab.NEUTRAL_VP,
            "NEUTRAL_INF": vocab.NEUTRAL_INF,
            "BEH_INF": vocab.BEHAVIOUR_INF,
            "REGIME": vocab.REGIME,
            "WORSHIP": vocab.WORSHIP,
        }
        return rng.choice(table[key])


def render(template: str, rng: random.Random, fillers: Fillers) -> str:
    text = template.format_map(_Slots(rng, fillers))
    text = text[0].upper() + text[1:]
    return augment(text, rng)


def augment(text: str, rng: random.Random) -> str:
    """Surface noise shared by every label: a filler prefix, lower case, no final punctuation."""
    prefix = rng.choice(vocab.NEUTRAL_PREFIX)
    if prefix:
        text = prefix + text[0].lower() + text[1:]
    roll = rng.random()
    if roll < 0.1:
        text = text.lower()
    elif roll < 0.15:
        text = text.upper() if len(text) < 60 else text
    if rng.random() < 0.25 and text[-1] in ".!":
        text = text[:-1]
    elif rng.random() < 0.05:
        text += rng.choice(["!!", " lol", " smh", "..."])
    return text


def generate(split: str, scale: float = 1.0) -> list[dict[str, object]]:
    if split not in SEEDS:
        raise ValueError(f"unknown split {split!r}")
    rng = random.Random(SEEDS[split])  # noqa: S311 - data generation, not security
    fillers = Fillers.for_split(split)
    share = 1.0 if split == "train" else 0.2
    rows: list[dict[str, object]] = []
    seen: set[str] = set()
    for kind, pool in TEMPLATES.items():
        chosen = split_items(pool, split)
        for _ in range(int(SIZES[kind] * share * scale)):
            template = rng.choice(chosen)
            text = render(template, rng, fillers)
            key = text.lower().strip(string.punctuation + " ")
            if key in seen:
                continue
            seen.add(key)
            rows.append(
                {
                    "text": text,
                    "label": 0 if kind == "none" else 1,
                    "type": kind,
                    "template": f"{kind}:{zlib.crc32(template.encode()):08x}",
                }
            )
    rng.shuffle(rows)
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    import orjson

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=sorted(SEEDS), default="train")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the per-label sizes")
    args = parser.parse_args(argv)
    out = sys.stdout.buffer
    for row in generate(args.split, args.scale):
        out.write(orjson.dumps(row) + b"\n")


if __name__ == "__main__":
    main()
