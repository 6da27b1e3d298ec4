"""Text normalisation before classification: undo the cheap tricks that hide an instruction.

``normalize(text)`` returns the text a classifier should see:

1. one level of decoding of embedded encoded segments (base64, hex, URL escapes, HTML character
   references, Unicode tag characters); each decoded segment is *appended*, so the classifier sees
   the original and the plain text, and the decodings are reported (they are a signal on their own);
2. Unicode NFKC (full-width and mathematical letters become ASCII), zero-width and bidi control
   characters removed;
3. Cyrillic and Greek look-alikes folded to Latin inside words that mix scripts (a word written
   wholly in Cyrillic or Greek is left alone, so Russian or Greek text is not mangled);
4. optional leetspeak-lite (``1gn0r3`` becomes ``ignore``) inside words that are mostly letters;
5. whitespace collapsed to single spaces.

Decoding is detected on the input text, so ``Decoding.start``/``end`` are offsets into it. Nothing is
decoded twice: a base64 segment that decodes to more base64 is appended as it is.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote_plus

# Zero-width, joiners, soft hyphen, word joiner and invisible operators, BOM, Mongolian vowel separator.
_INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff"
)
# Bidirectional controls: marks, embeddings, overrides and isolates.
_BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# Characters that carry no visible text (the PII detector drops them too: ``pii_folding``).
INVISIBLE_CHARS = _INVISIBLE + _BIDI
_DROP = {ord(c): None for c in INVISIBLE_CHARS}
_DROP.update({cp: None for cp in range(0xFE00, 0xFE10)})  # variation selectors

# Cyrillic and Greek letters that look like Latin ones (lower and upper case), plus a few IPA /
# small-capital letters NFKC leaves alone.
_CONFUSABLES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",  # noqa: RUF001
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",  # noqa: RUF001
    "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ɡ": "g", "ү": "y", "ց": "g", "ո": "n", "ս": "u",  # noqa: RUF001
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",  # noqa: RUF001
    "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "Ԁ": "D", "Һ": "H", "Ԛ": "Q",  # noqa: RUF001
    "Ԝ": "W", "Ү": "Y",  # noqa: RUF001
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",  # noqa: RUF001
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j", "ά": "a", "έ": "e",  # noqa: RUF001
    "ί": "i", "ό": "o", "ύ": "u",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",  # noqa: RUF001
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C",  # noqa: RUF001
    # Latin small capitals and IPA letters
    "ɴ": "n", "ʀ": "r", "ʏ": "y", "ʜ": "h", "ɪ": "i", "ʟ": "l", "ᴀ": "a", "ʙ": "b", "ᴄ": "c",  # noqa: RUF001
    "ᴅ": "d", "ᴇ": "e", "ɢ": "g", "ᴊ": "j", "ᴋ": "k", "ᴍ": "m", "ᴏ": "o", "ᴘ": "p", "ꜱ": "s",  # noqa: RUF001
    "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ᴢ": "z", "ı": "i", "ȷ": "j",  # noqa: RUF001
}  # fmt: skip
_FOLD = str.maketrans(_CONFUSABLES)
_CONFUSABLE_CHARS = frozenset(_CONFUSABLES)
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})

_WORD_CHARS = re.compile(r"\w+")
# Words of 3+ ASCII letters, digits, @ and $ with at least one letter and one leet character.
_LEET_WORD = re.compile(
    r"(?<![\w@$])(?=[A-Za-z0-9@$]*[0-9@$])(?=[A-Za-z0-9@$]*[A-Za-z])[A-Za-z0-9@$]{3,}(?![\w@$])"
)

_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])")
_HEX = (
    re.compile(r"(?<![0-9A-Za-z])(?:[0-9A-Fa-f]{2}){8,}(?![0-9A-Za-z])"),  # 48656c6c6f...
    re.compile(r"\b[0-9A-Fa-f]{2}(?:[ :][0-9A-Fa-f]{2}){4,}\b"),  # 48 65 6c 6c 6f
)
_HEX_ESCAPED = (
    ("\\x", re.compile(r"(?:\\x[0-9A-Fa-f]{2}){4,}")),  # \x48\x65...
    ("0x", re.compile(r"(?:0x[0-9A-Fa-f]{2}[ ,]*){4,}")),  # 0x48, 0x65, ...
)
_URL_ESCAPED = re.compile(r"\S*(?:%[0-9A-Fa-f]{2}\S*){3,}")
_HTML_REFS = re.compile(r"(?:&#(?:[xX][0-9A-Fa-f]{1,6}|\d{1,7});\s?){3,}")
_TAG_CHARS = re.compile("[\U000e0020-\U000e007e]{3,}")

_MAX_DECODINGS = 16  # a bound on the work one text can cause
_MIN_DECODED_CHARS = 4


@dataclass(frozen=True, slots=True)
class Decoding:
    kind: str  # "base64", "hex", "url", "html", "unicode_tags"
    start: int  # offsets of the encoded segment in the input text
    end: int


@dataclass(frozen=True, slots=True)
class NormalizedText:
    text: str
    decodings: tuple[Decoding, ...] = ()
    invisible_removed: int = 0  # zero-width and bidi control characters dropped
    homoglyphs_folded: int = 0  # look-alike letters folded in mixed-script words

    @property
    def obfuscated(self) -> bool:
        """Whether anything beyond plain Unicode normalisation was needed to read the text."""
        return bool(self.decodings or self.invisible_removed or self.homoglyphs_folded)


def normalize(text: str, *, leet: bool = False, decode: bool = True) -> NormalizedText:
    """The text a classifier should see, and what had to be undone to get it."""
    decoded: list[tuple[Decoding, str]] = _decode_segments(text) if decode else []
    body, invisible, folded = _clean(text, leet=leet)
    parts = [body]
    for _, plain in decoded:
        cleaned, n_invisible, n_folded = _clean(plain, leet=leet)
        parts.append(cleaned)
        invisible += n_invisible
        folded += n_folded
    return NormalizedText(
        text=" ".join(p for p in parts if p),
        decodings=tuple(d for d, _ in decoded),
        invisible_removed=invisible,
        homoglyphs_folded=folded,
    )


def _clean(text: str, *, leet: bool) -> tuple[str, int, int]:
    if not text.isascii():
        text = _TAG_CHARS.sub(" ", text)  # decoded separately; here they are only noise
    stripped = text.translate(_DROP)
    invisible = len(text) - len(stripped)
    text = unicodedata.normalize("NFKC", stripped)
    folded = 0
    if not text.isascii() and _CONFUSABLE_CHARS.intersection(text):
        text, folded = _fold_mixed_words(text)
    if leet:
        text = _LEET_WORD.sub(_unleet, text)
    return " ".join(text.split()), invisible, folded


def _fold_mixed_words(text: str) -> tuple[str, int]:
    folded = 0
    ascii_letters = sum(1 for c in text if "a" <= c <= "z" or "A" <= c <= "Z")
    latin_text = ascii_letters > 0.5 * sum(1 for c in text if c.isalpha())

    def fold(match: re.Match[str]) -> str:
        nonlocal folded
        word = match.group(0)
        if word.isascii() or not _CONFUSABLE_CHARS.intersection(word):
            return word
        plain = word.translate(_FOLD)
        # Fold words that mix scripts (some ASCII letters already), or, in mostly Latin text, words
        # made only of look-alikes. Words in Cyrillic or Greek text keep their letters.
        mixed = any("a" <= c <= "z" or "A" <= c <= "Z" for c in word)
        if not mixed and not (latin_text and plain.isascii()):
            return word
        folded += sum(1 for a, b in zip(word, plain, strict=True) if a != b)
        return plain

    return _WORD_CHARS.sub(fold, text), folded


def _unleet(match: re.Match[str]) -> str:
    word = match.group(0)
    letters = sum(c.isalpha() for c in word)
    leet = len(word) - letters
    if leet == 0 or letters < 2 or letters < leet or word.isdigit():
        return word
    return word.translate(_LEET)


def _decode_segments(text: str) -> list[tuple[Decoding, str]]:
    if len(text) < 12:
        return []
    found: list[tuple[Decoding, str]] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, match: re.Match[str], plain: str | None) -> None:
        start, end = match.span()
        if plain is None or len(found) >= _MAX_DECODINGS:
            return
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found.append((Decoding(kind, start, end), plain))

    if not text.isascii():
        for match in _TAG_CHARS.finditer(text):
            add("unicode_tags", match, "".join(chr(ord(c) - 0xE0000) for c in match.group(0)))
    for pattern in _HEX:
        for match in pattern.finditer(text):
            add("hex", match, _decode_hex(match.group(0)))
    for marker, pattern in _HEX_ESCAPED:
        if marker in text:
            for match in pattern.finditer(text):
                add("hex", match, _decode_hex(match.group(0)))
    for match in _BASE64.finditer(text):
        add("base64", match, _decode_base64(match.group(0)))
    if "%" in text:
        for match in _URL_ESCAPED.finditer(text):
            add("url", match, _decode_url(match.group(0)))
    if "&#" in text:
        for match in _HTML_REFS.finditer(text):
            add("html", match, _plausible(html.unescape(match.group(0))))
    found.sort(key=lambda item: item[0].start)
    return found


def _decode_base64(segment: str) -> str | None:
    body = segment.rstrip("=")
    if body.isalpha() and (body.islower() or body.isupper()):
        return None  # a long plain word, not an encoding
    if len(body) % 4 == 1:
        return None
    padded = body + "=" * (-len(body) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None
    return _plausible_bytes(raw)


def _decode_hex(segment: str) -> str | None:
    digits = re.sub(r"\\x|0x|[ ,:]", "", segment)
    try:
        raw = bytes.fromhex(digits)
    except ValueError:
        return None
    return _plausible_bytes(raw)


def _decode_url(segment: str) -> str | None:
    plain = unquote_plus(segment)
    return _plausible(plain) if plain != segment else None


def _plausible_bytes(raw: bytes) -> str | None:
    try:
        plain = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return _plausible(plain)


def _plausible(plain: str) -> str | None:
    """Decoded text worth showing to a classifier: mostly printable, mostly letters and spaces."""
    plain = plain.strip()
    if len(plain) < _MIN_DECODED_CHARS:
        return None
    printable = sum(c.isprintable() or c in "\n\t" for c in plain)
    wordy = sum(c.isalpha() or c == " " for c in plain)
    if printable < 0.95 * len(plain) or wordy < 0.6 * len(plain):
        return None
    return plain
