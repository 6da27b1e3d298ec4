"""What a secret's value must not look like: placeholders, documented examples, low entropy, words.

``placeholder_reason(value)`` returns why a candidate is not a real secret (or None). It is applied
to every candidate, with strictness depending on how much the format already proves:

- documented example keys (AWS's ``AKIAIOSFODNN7EXAMPLE`` / ``wJalrXUtnFEMI/K7MDENG/...EXAMPLEKEY``)
  and marker words (example, sample, dummy, placeholder, redacted, changeme, your..., insert...);
- templates and references: ``<your-api-key>``, ``${VAR}``, ``{{ var }}``, ``$(cmd)``, ``%s``,
  ``os.environ[...]``, ``process.env.X``, ``getenv(...)``;
- masks and filler: ``****``, ``xxxx``, ``....``, ``####``, one repeated character or pattern;
- sequences: ``1234567890``, ``abcdefgh``, ``0123456789abcdef``, keyboard rows;
- ordinary words: the value is made of dictionary words (``notHighEnoughEntropy``,
  ``thequickbrownfox``), with digits or punctuation at most at the ends (``password123!``).

``shannon_entropy`` is in bits per character; a random base64 string of 40 characters is about 5,
a hex one about 3.8, a UUID 3.6, English words 2.5-3.5.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

EXAMPLE_KEYS = frozenset(
    {
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AKIAI44QH8DHBEXAMPLE",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        "ASIAIOSFODNN7EXAMPLE",
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",  # Stripe's documentation key
        "pk_test_TYooMQauvdEDq54NiTphI7jx",
        "xoxb-not-a-real-token-this-will-not-work",
        "ghp_16C7e42F292c6912E7710c838347Ae178B4a",  # GitHub's documentation example
    }
)

_MARKERS = re.compile(
    r"example|sample|dummy|placeholder|redacted|changeme|change_me|change-me|replace|insert|your|"
    r"^(?:test|fake|mock|demo|dev|local)[_\-]|[_\-](?:test|fake|mock|dummy)$|"
    r"secret_here|token_here|key_here|here$|^(?:none|null|nil|undefined|true|false|empty|test|testing|"
    r"password|passwd|secret|token|api_?key|string|value|foo|bar|baz|qux|abc|xyz)$|"
    r"xxxx|\*\*\*|\.\.\.|####|<[^>]*>|\$\{|\{\{|\$\(|%s|%\(|\{[a-z_]*\}|"
    r"os\.environ|process\.env|getenv|env\(|secrets\.|vault:|(?-i:\$[A-Z_]{3,})",
    re.IGNORECASE,
)
# Test values spelled out, for values without a provider format ("sk_test_..." is a real Stripe key).
_TEST_MARKERS = re.compile(
    r"^(?:test|fake|mock|demo|dev|local)[_\-]|[_\-](?:test|fake|mock|dummy)(?:$|[_\-])|not[_\- ]?real",
    re.IGNORECASE,
)
_SEQUENCES = (
    "0123456789",
    "1234567890",
    "abcdefghijklmnopqrstuvwxyz",
    "zyxwvutsrqponmlkjihgfedcba",
    "9876543210",
    "0123456789abcdef",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
)
_PAIRS = frozenset(s[i : i + 2] for s in _SEQUENCES for i in range(len(s) - 1))
_REPEATED_UNIT = re.compile(r"(.{3,8}?)\1{2,}")
_WORD_SPLIT = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


def shannon_entropy(value: str) -> float:
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _sequential(value: str) -> bool:
    """Runs of 4+ characters in keyboard or alphabet order cover at least half of the value."""
    if len(value) > 128:
        return False
    lower = value.lower()
    n = len(lower)
    covered = 0
    run = 1
    for i in range(1, n + 1):
        if i < n and lower[i - 1 : i + 1] in _PAIRS:
            run += 1
            continue
        if run >= 4:
            covered += run
        run = 1
    return covered * 2 >= len(lower.strip("-_."))


def _repetitive(value: str) -> bool:
    distinct = len(set(value))
    if (len(value) >= 8 and distinct <= 3) or (len(value) >= 24 and distinct <= 6):
        return True
    if re.search(r"(.)\1{5,}", value):
        return True
    repeated = _REPEATED_UNIT.search(value)  # "1234-1234-1234-", "abcabcabcabc"
    if repeated and len(repeated.group()) >= 12:
        return True
    for size in range(1, 5):  # a short pattern repeated over most of the value
        unit = value[:size]
        if len(value) >= 4 * size and unit * (len(value) // size) == value[: len(value) // size * size]:
            return True
    return False


@lru_cache(maxsize=4096)
def dictionary_words(value: str) -> bool:
    """True when the letters of ``value`` are English words (camelCase, snake_case or run together)."""
    core = value.strip("0123456789!@#$%^&*()-_=+.,;:?'\" ")
    if not core or not re.fullmatch(r"[A-Za-z][A-Za-z_\-. ]*", core):
        return False
    parts = [p.lower() for p in _WORD_SPLIT.findall(core)]
    return bool(parts) and all(_segmentable(p) for p in parts)


def _segmentable(word: str) -> bool:
    if word in WORDS:
        return True
    n = len(word)
    if n > 64:
        return False
    ok = [True] + [False] * n
    for end in range(1, n + 1):
        for start in range(max(0, end - 16), end):
            if ok[start] and word[start:end] in WORDS and (end - start >= 3 or word[start:end] in _SHORT):
                ok[end] = True
                break
    return ok[n]


def placeholder_reason(value: str, *, words: bool = True) -> str | None:
    """Why ``value`` is not a real secret, or None. ``words=False`` skips the dictionary test
    (for provider formats whose random part may happen to spell a word)."""
    if value in EXAMPLE_KEYS:
        return "documented example"
    if _MARKERS.search(value):
        return "placeholder"
    if _repetitive(value):
        return "repetitive"
    if _sequential(value):
        return "sequence"
    if words and _TEST_MARKERS.search(value):
        return "test value"
    if words and dictionary_words(value):
        return "dictionary words"
    return None


_SHORT = frozenset(
    """
    a i an as at be by do go he if in is it me my no of on or so to up us we ok id
    """.split()  # noqa: SIM905 -- a word list reads best as words
)

# Common English words (and a few of programming), for the dictionary test above. Not a word list
# of secrets: a value made only of these is a label, a test value or a human choice like "letmein".
WORDS = frozenset(
    """
    a able about above access account act action active add address admin after again against age agent
    ago air all allow also always am among an and another answer any api app apple application are area
    around art as ask at auth author auto available away baby back bad bag ball bank base be bear
    beautiful because become bed been before begin being believe below best better between big bird
    black blue board boat body book both box boy bread break bring brother brown build business but buy
    by call can car card care carry case cat catch cause center change check child city class clean
    clear client close cloud code cold color come common company complete computer config connect
    control cool copy correct cost could country course cover create cross cup current cut dark data
    database date day dead deal dear debug default delete deploy design detail develop dev did die
    different dinner do doctor does dog dollar door down draw dream drink drive drop dry during each
    early earth easy eat edge egg eight either else email end enemy enough enter entropy environment
    error even evening event ever every example exist eye face fact fail fall false family far farm fast
    father fear feel few field file fill final find fine fire first fish five floor fly follow food foot
    for force forest form four fox free friend from front full fun game garden gate gave get girl give
    glass go god gold good got great green ground group grow guess guest had hair half hand happy hard
    has hat have he head hear heart heat hello help her here high hill him his hit hold hole home hope
    horse hot hour house how human hundred hunter hunt idea if important in inside into is it its job
    join jump just keep key kill kind king kitchen know lady lake land language large last late laugh
    lay lazy lead learn least leave left leg less let letter level lie life light like line lion list
    listen little live local lock log login long look lord lose lot love low machine made magic main
    make man many map mark market master matter may me mean meet member men message middle might mile
    milk mind minute miss model moment money monkey month moon more morning most mother mountain mouse
    move much music must my name national nature near need never new news next nice night nine no none
    north not note nothing now number ocean of off office often oh oil old on once one only open or
    order other our out over own page paper parent park part party pass password past path pay peace
    people person pet phone pick picture piece place plan plant play please point police poor possible
    post power present pretty prince princess private problem produce production program public pull
    purple push put queen question quick quickly quiet rabbit rain ran reach read ready real reason red
    remember report rest return rich right river road rock room root rose round rule run sad safe said
    sale same save say school science sea season second secret secure security see seem sell send sense
    server service set seven several shall shape she ship shop short should show side sign simple since
    sing sister sit six size sky sleep slow small smile snow so soft some something son song soon sorry
    sound south space speak special spring stand star start state station stay step still stone stop
    store story street strong student study such summer sun sunshine super support sure system table
    take talk tall teacher team tell ten test than thank that the their them then there these they thing
    think this those though thought three through time to today together token told tom too top total
    touch town tree trouble true try turn two under understand until up upon us use user value very
    voice wait walk wall want war warm was watch water way we weather week well went were west what when
    where which while white who whole why wide wife will win wind window winter wish with without woman
    wonder wood word work world would write wrong yard year yellow yes yesterday yet you young your zero
    admin administrator root toor letmein welcome qwerty dragon monkey shadow master football baseball
    princess freedom whatever trustno iloveyou starwars batman superman pokemon hello world foo bar baz
    lorem ipsum dolor sit amet not high enough jumps jump over lazy brown quick the fox dog cat demo
    local localhost prod staging internal external enable enabled disable disabled value values string
    number integer boolean float double char byte request response header headers body content type json
    yaml xml html http https web site url link random generate generated token tokens bearer basic
    digest session cookie cache redis postgres mysql mongo kafka rabbit queue worker job task cron
    schedule backup restore upload download import export sync async await promise callback handler
    controller service provider factory builder manager helper util utils common core base main index
    app apps application module package library lib src test tests spec mock stub fake dummy sample
    example placeholder configuration setting settings option options param params parameter parameters
    argument arguments variable variables constant constants input output result results status state
    error errors warning warnings info debug trace log logs logger
    """.split()  # noqa: SIM905 -- a word list reads best as words
)
