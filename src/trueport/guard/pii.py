"""Personal data: structured identifiers by rule and checksum, names and addresses by model.

Types and scores (``Finding.type``):

=====================  =============================================================  ==========
type                   how                                                            score
=====================  =============================================================  ==========
``email``              address syntax                                                 0.98
``credit_card``        13-19 digits (grouped by 4, or 4-6-5), Luhn, issuer prefix     1.0
                       and length; Luhn without a known issuer: 0.8 with "card"...    (0.4)
``iban``               country length table and ISO 7064 mod 97, compact or grouped   1.0
``us_ssn``             area/group/serial rules; ``ddd-dd-dddd``; spaced or bare       0.9-1.0
                       digits only with "SSN", "social security"...                   (0.3-0.45)
``ip_address``         IPv4 octets, IPv6 (``ipaddress``); not after "v", "version"    0.95
``phone``              ``+``/``00`` international, NANP layout (0.65-0.75); other     0.65-0.95
                       grouped digits only with "call", "phone", "mobile"...          (0.35-0.4)
``mac_address``        six hex pairs with ``:``/``-``, Cisco ``xxxx.xxxx.xxxx``       0.85-0.9
``date_of_birth``      a date within 48 characters after "born", "DOB", "birthday"    0.85
``passport_number``    6-9 letters/digits (4+ digits) after "passport"                0.8
``us_driver_license``  state formats after "driver's license", "DL#"...               0.8
``person``             token tagger (``models/pii_ner``), checked against its         probability
                       vocabulary and gazetteer (not common words, organisations,
                       places, nationalities; not identifiers on lines of code)
``street_address``     token tagger: street line, unit, city, postcode, country;      probability
                       needs a street word or a house number beside a street name
=====================  =============================================================  ==========

Scores in parentheses: the same pattern without its context word, under the default threshold (an
arbitrary run of digits is not a phone number by default); findings below ``report_threshold``
(0.3) are not returned at all.

Evasion: the recognisers and the tagger read ``pii_folding.fold(text)`` (zero-width characters and
soft hyphens dropped, full-width and ideographic punctuation folded to ASCII), so
``john\\u200b.doe@example.com`` is still an e-mail address; offsets are mapped back to the original
text, so redaction replaces the hidden characters too.

Overlaps are resolved once, here: the highest score wins, then the longer span; a name or an
address never includes tokens of a structured match (an e-mail address is not a name).
``default_threshold`` is 0.5: every validated identifier, every context-backed one, and names and
addresses the model finds more likely than not.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection
from pathlib import Path
from typing import ClassVar

from trueport.guard import pii_features as pf
from trueport.guard.base import Finding, ScanContext
from trueport.guard.pii_folding import fold
from trueport.guard.pii_lexicon import may_hold_address
from trueport.guard.pii_ner import InferenceBackend, NameAddressTagger
from trueport.guard.pii_patterns import STRUCTURED_TYPES, Match, find_structured

MODEL_TYPES = ("person", "street_address")
ALL_TYPES = (*STRUCTURED_TYPES, *MODEL_TYPES)
MAX_MODEL_CHARS = 200_000  # names and addresses are looked for in the first 200,000 characters
_ADDRESS_ONLY = frozenset({"street_address"})


class PiiDetector:
    """Personal data in a text (see the module docstring for types and scores).

    ``models_dir``: the model repository (default ``<repo>/models``). ``backend``: runs the
    ``pii_ner`` model instead of the in-process ONNX Runtime session (e.g. a Triton client).
    ``use_model=False`` skips names and addresses (rules only, no model files needed).
    ``types``: the types to report (default: all). ``report_threshold``: findings scoring below it
    are dropped. ``token_threshold``: the tagger's per-token probability for a name or address.
    """

    name: ClassVar[str] = "pii"
    default_threshold: ClassVar[float] = 0.5

    def __init__(
        self,
        models_dir: Path | str | None = None,
        *,
        backend: InferenceBackend | None = None,
        use_model: bool = True,
        types: Collection[str] | None = None,
        report_threshold: float = 0.3,
        token_threshold: float = 0.25,
    ) -> None:
        unknown = set(types or ()) - set(ALL_TYPES)
        if unknown:
            raise ValueError(f"unknown PII types: {sorted(unknown)}")
        self.types = frozenset(types) if types is not None else frozenset(ALL_TYPES)
        self._model_types = self.types & frozenset(MODEL_TYPES)
        self.report_threshold = report_threshold
        wants_model = use_model and bool(self.types & set(MODEL_TYPES))
        self._tagger = (
            NameAddressTagger(models_dir, backend=backend, token_threshold=token_threshold)
            if wants_model
            else None
        )

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        # Recognisers and tagger read the folded text (no zero-width characters or soft hyphens,
        # ASCII punctuation for full-width and ideographic); findings carry original offsets.
        folded = fold(text)
        matches = [m for m in find_structured(folded.text) if m.type in self.types]
        if context.types is None:
            wanted = self._model_types - context.ignored  # names off in user turns by default
        else:
            wanted = self._model_types & context.types
        if self._tagger is not None and wanted:
            head = folded.text[:MAX_MODEL_CHARS]
            tokens = pf.tokenize(head)
            # Addresses alone (the default for user turns: names are not redacted there) need a street
            # word or a number beside a capitalised word; most texts have neither, and skip the model.
            if wanted != _ADDRESS_ONLY or may_hold_address(head, tokens):
                blocked = [(m.start, m.end) for m in matches if m.score >= self.default_threshold]
                matches.extend(m for m in self._tagger.tag(head, blocked, tokens) if m.type in self.types)
        return [
            Finding(self.name, m.type, *folded.span(m.start, m.end), m.score)
            for m in resolve_overlaps(matches)
            if m.score >= self.report_threshold
        ]


def resolve_overlaps(matches: list[Match]) -> list[Match]:
    """Non-overlapping matches, best first (score, then length), returned in text order."""
    starts: list[int] = []  # kept spans, sorted and disjoint
    kept: list[Match] = []
    for match in sorted(matches, key=lambda m: (-m.score, m.start - m.end, m.start)):
        i = bisect.bisect_right(starts, match.start)
        if i > 0 and kept[i - 1].end > match.start:
            continue
        if i < len(kept) and kept[i].start < match.end:
            continue
        starts.insert(i, match.start)
        kept.insert(i, match)
    return kept
