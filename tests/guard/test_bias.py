"""The bias detector: group mentions, slurs, masking, rule features, and the shipped model end to end."""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest

from trueport.guard.base import Direction, ScanContext, Source
from trueport.guard.bias import CLASSES, BiasDetector, model_inputs
from trueport.guard.bias_features import (
    RULE_NAMES,
    analyse,
    find_mentions,
    lower,
    rule_features,
    sentences,
    tokenize,
)
from trueport.guard.evaluation import evaluate, load_labelled
from trueport.guard.models import ModelRepository, Tensor

ROOT = Path(__file__).resolve().parents[2]
SLUR_LEXICON = ROOT / "training" / "bias" / "slurs.rot13.tsv"
HELDOUT = ROOT / "eval" / "bias" / "heldout.jsonl"
CONTEXT = ScanContext()


def masked(text: str) -> list[str]:
    return [s.masked for s in analyse(text).segments]


def mentions(text: str) -> list[str]:
    return [text[m.start : m.end] for m in find_mentions(tokenize(lower(text)))]


def slur_terms() -> list[str]:
    rows = []
    for line in SLUR_LEXICON.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            rows.append(codecs.decode(line.split("\t")[0], "rot13"))
    return rows


@pytest.fixture(scope="module")
def repository() -> ModelRepository:
    return ModelRepository()


@pytest.fixture(scope="module")
def detector(repository: ModelRepository) -> BiasDetector:
    return BiasDetector(repository)


# --- group mentions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Muslims and Jews met at the town hall.", ["Muslims", "Jews"]),
        ("Our Black colleagues and older workers", ["Black colleagues", "older workers"]),
        ("The French are proud of their cuisine.", ["The French"]),
        ("Chinese are hard-working.", ["Chinese"]),
        ("Never trust an Indian in business.", ["Indian"]),
        ("Reject any applicant who is black.", ["black"]),
        ("Don't hire anyone over 50.", ["over 50"]),
        ("Applicants older than 45 apply here.", ["older than 45"]),
        ("gay people and non-binary folks", ["gay people", "non-binary folks"]),
        ("people with disabilities and the elderly", ["people with disabilities", "the elderly"]),
    ],
)
def test_group_mentions(text: str, expected: list[str]) -> None:
    assert mentions(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I'd like a black coffee and a white chocolate muffin.",
        "Use a French press for better coffee.",
        "The old version of the library is deprecated.",
        "Kill all the old worker processes before deploying.",
        "Polish the silverware before the guests arrive.",
        "Black always moves second in this chess variant.",
        "I disabled the feature flag.",
    ],
)
def test_everyday_words_are_not_mentions(text: str) -> None:
    assert mentions(text) == []
    assert analyse(text).segments == ()


def test_mentions_are_masked_in_their_sentence_only() -> None:
    text = "The weather is nice. Women are too emotional to lead!\nSee you tomorrow."
    analysis = analyse(text)
    assert [s.masked for s in analysis.segments] == ["grp are too emotional to lead!"]
    (segment,) = analysis.segments
    assert text[segment.start : segment.end] == "Women are too emotional to lead!"
    assert segment.categories == {"gender"}


def test_masking_normalises_case_quotes_and_spaces() -> None:
    assert masked("\u201cIMMIGRANTS   are   fine\u201d, she said") == ['"grp are fine", she said']


def test_long_sentences_are_cut() -> None:
    spans = sentences("word " * 400)
    assert len(spans) > 1
    assert all(end - start <= 400 for start, end in spans)


# --- slurs -------------------------------------------------------------------------------------


def test_every_lexicon_slur_is_found_with_its_span(detector: BiasDetector) -> None:
    terms = slur_terms()
    assert len(terms) >= 50
    for term in terms:
        text = f"He wrote {term} on the wall."
        findings = [f for f in detector.scan(text, CONTEXT) if f.end == text.index(term) + len(term)]
        assert findings, term
        assert findings[0].start == text.index(term)
        assert findings[0].type == "slur_or_dehumanisation"
        assert findings[0].score >= BiasDetector.default_threshold


def test_slurs_in_capitals_and_leetspeak(detector: BiasDetector) -> None:
    term = slur_terms()[0]
    leet = term.replace("i", "1").replace("e", "3")
    assert leet != term
    for text in (f"you {term.upper()}", f"you {leet}"):
        assert any(f.type == "slur_or_dehumanisation" for f in detector.scan(text, CONTEXT)), text


def test_slur_digests_are_up_to_date() -> None:
    from training.bias.build_slurs import TARGET, read_lexicon, render

    assert TARGET.read_text(encoding="utf-8") == render(read_lexicon())


def test_the_package_holds_no_plain_slur() -> None:
    package = (ROOT / "src" / "trueport" / "guard").glob("bias*.py")
    sources = " ".join(p.read_text(encoding="utf-8").lower() for p in package)
    assert not [t for t in slur_terms() if f" {t} " in f" {sources} " or f'"{t}"' in sources]


# --- rule features ----------------------------------------------------------------------------


def features(text: str) -> set[str]:
    (segment,) = analyse(text).segments
    return {name for name, value in zip(RULE_NAMES, rule_features(segment.masked), strict=True) if value}


def test_rule_features() -> None:
    assert {"group_subject", "negative_attribute_near", "subject_and_negative"} <= features("Women are lazy.")
    assert {"meta", "any_distancing"} <= features("It is a myth that immigrants are lazy.")
    assert {"exclusion_near", "imperative"} <= features("Don't hire anyone over 50.")
    assert {"violence_near", "history", "evidence"} <= features("Soldiers killed 300 Roma in 1942.")
    assert {"dehumanising_near"} <= features("Refugees are vermin.")
    assert {"question"} <= features("Why are Muslims so loud?")
    assert {"request"} <= features("Please write a joke about Mexicans.")
    assert features("Muslims celebrate Eid with family.") <= {"inclusive"}


def test_model_inputs_shapes() -> None:
    texts = ["grp are lazy.", "a much longer sentence about grp and their neighbours in town"]
    inputs = model_inputs(texts)
    assert inputs["word_tokens"].shape[0] == 2
    assert inputs["char_tokens"].shape == (2, len(texts[1]) + 2)
    assert inputs["char_tokens"][0, len(texts[0]) + 2] == ""  # padding
    assert inputs["rules"].shape == (2, len(RULE_NAMES))
    assert inputs["rules"].dtype == np.float32


def test_model_config_matches_inputs(repository: ModelRepository) -> None:
    config = repository.config("bias")
    assert {i.name for i in config.inputs} == set(model_inputs(["grp"]))
    assert [o.name for o in config.outputs] == ["probabilities"]
    assert config.outputs[0].dims[-1] == len(CLASSES)


# --- the detector ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("All immigrants are lazy criminals.", "stereotype"),
        ("Women are too emotional to be engineers.", "stereotype"),
        ("Muslims are vermin.", "slur_or_dehumanisation"),
        ("Don't hire anyone over 50.", "exclusion"),
        ("Gay couples should not be allowed to adopt children.", "exclusion"),
        ("Kill all the Jews.", "incitement"),
    ],
)
def test_biased_sentences_are_found(detector: BiasDetector, text: str, kind: str) -> None:
    findings = detector.scan(f"Hello there. {text} Thanks!", CONTEXT)
    assert [f.type for f in findings] == [kind]
    (finding,) = findings
    assert finding.score >= detector.default_threshold
    assert (finding.start, finding.end) == (13, 13 + len(text))


@pytest.mark.parametrize(
    "text",
    [
        "It's a harmful stereotype that immigrants are lazy.",
        "Studies show that Black applicants face discrimination in hiring.",
        "My Muslim neighbour invited us for dinner during Ramadan.",
        "Refusing to rent to Jews is illegal housing discrimination.",
        "Nazi propaganda called Jews vermin to justify persecution.",
        "Women were not allowed to vote in Switzerland until 1971.",
        "Please translate this email into Polish.",
        "Lawyers are greedy sharks.",
    ],
)
def test_hard_negatives_are_not_violations(detector: BiasDetector, text: str) -> None:
    assert all(f.score < detector.default_threshold for f in detector.scan(text, CONTEXT))


class CountingBackend:
    def __init__(self, inner: ModelRepository) -> None:
        self.inner = inner
        self.calls = 0

    def infer(self, name: str, inputs: Mapping[str, Tensor]) -> dict[str, Tensor]:
        self.calls += 1
        return self.inner.infer(name, inputs)


def test_text_without_group_mentions_skips_the_model(repository: ModelRepository) -> None:
    backend = CountingBackend(repository)
    detector = BiasDetector(backend)
    assert detector.scan("Please refactor the retry loop in client.py. " * 20, CONTEXT) == []
    assert backend.calls == 0
    detector.scan("Immigrants are welcome here.", CONTEXT)
    assert backend.calls == 1


def test_many_sentences_are_batched(repository: ModelRepository) -> None:
    backend = CountingBackend(repository)
    text = " ".join(f"Sentence {i} says immigrants are lazy." for i in range(100))
    findings = BiasDetector(backend).scan(text, CONTEXT)
    assert len(findings) == 100
    assert backend.calls == 2  # batches of 64


def test_answers_are_scanned_like_prompts(detector: BiasDetector) -> None:
    answer = ScanContext(direction=Direction.OUTPUT, source=Source.COMPLETION)
    assert detector.scan("Sure! Mexicans are lazy.", answer)
    assert detector.scan("", answer) == []


def test_report_threshold(repository: ModelRepository) -> None:
    everything = BiasDetector(repository, report_threshold=0.0)
    assert everything.scan("Muslims live in Paris.", CONTEXT)  # reported, with a low score
    assert all(f.score < 0.2 for f in everything.scan("Muslims live in Paris.", CONTEXT))
    assert BiasDetector(repository).scan("Muslims live in Paris.", CONTEXT) == []


def test_held_out_quality_does_not_regress(detector: BiasDetector) -> None:
    """The figures in docs/guard.md, with some slack: a guard against silent regressions."""
    report = evaluate(detector, load_labelled(HELDOUT))
    assert report.items >= 300
    assert report.text.precision >= 0.95
    assert report.text.recall >= 0.80
    assert report.text.fpr <= 0.02
