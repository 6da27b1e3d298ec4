"""Secrets and data exfiltration: credentials by provider format, by structure, by name and entropy,
and long encoded payloads.

Finding types and scores:

- provider formats (``secrets_rules.RULES``: ``aws_access_key``, ``github_token``, ``slack_token``,
  ``stripe_key``, ``openai_api_key``, ``anthropic_api_key``, ...: 91 patterns, 69 types): 0.6-0.99;
- ``private_key``: a PEM/OpenSSH/PGP/PuTTY private key block with a body (1.0; a header followed by
  key material but no end line, as in a truncated paste: 0.9);
- ``jwt`` (three base64url parts, header decodes to JSON with ``alg``): 0.9; ``basic_auth``
  (``Authorization: Basic`` that decodes to ``user:password``): 0.9;
- ``password_in_url``: ``scheme://user:password@host`` (postgres, mysql, mongodb+srv, redis,
  amqp, https, ...): 0.9, the span is the password;
- ``auth_header``: the token of an ``Authorization: Bearer|Token ...`` or ``X-Api-Key:`` header,
  ``curl -u user:password``: 0.85;
- ``generic_secret``: a value assigned to a secret-looking name (``password = "..."``,
  ``api_key: ...``, ``SECRET=...``, ``--token ...``): 0.8 when random-looking (length >= 16,
  entropy >= 3.5 bits/char), 0.7 for a password-like name with a non-trivial value (>= 6
  characters, two character classes), otherwise 0.4; in prose, a random-looking token (letters
  and digits, three character classes when short) a few words after "password", "token", "key"...
  on the same line ("my password is Vx7#pQ2mL9"): 0.7;
- ``high_entropy_string``: a quoted 32+ character random-looking string without a telling name:
  0.45 (reported, under the default threshold);
- ``encoded_payload``: a base64 run of 200+ characters or a hex run of 200+ that is not low-entropy
  filler (possible exfiltration by encoding): 0.6; inside a ``data:image/...;base64,`` URL: 0.3
  (inline images are common and benign; strict policies may still act on them).

Every candidate value goes through ``secrets_filters.placeholder_reason`` (documented example keys,
``<your-api-key>``, ``${VAR}``, ``os.environ[...]``, ``****``, ``xxxx``, repeated characters,
sequences, dictionary words) and a Shannon entropy floor. ``default_threshold`` is 0.5.
"""

from __future__ import annotations

import bisect
import re
from typing import ClassVar

from trueport.guard.base import Finding, ScanContext
from trueport.guard.secrets_filters import placeholder_reason, shannon_entropy
from trueport.guard.secrets_index import INDEX
from trueport.guard.secrets_rules import Rule

MAX_SCAN_CHARS = 1_000_000  # longer texts are scanned up to here
_CONTEXT_KEYWORDS = ("pass", "pwd", "pin", "token", "key", "secret", "credential")


def _any(lower: str, keywords: tuple[str, ...]) -> bool:
    return any(k in lower for k in keywords)


# --- private keys -----------------------------------------------------------------------------

_PRIVATE_KEY = re.compile(
    r"-----BEGIN[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----"
    r"(?P<body>[\s\S]{0,20000}?)"
    r"(?:-----END[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----|(?=-----BEGIN)|\Z)"
)
_PUTTY = re.compile(
    r"PuTTY-User-Key-File-\d:[\s\S]{0,4000}?Private-Lines:\s*\d+\s*(?P<body>(?:[A-Za-z0-9+/=]+\s*){1,100})"
)
_KEY_MATERIAL = re.compile(r"[A-Za-z0-9+/=]{16,}")


def _private_keys(text: str, lower: str) -> list[Finding]:
    found: list[Finding] = []
    if "private key" in lower:
        for m in _PRIVATE_KEY.finditer(text):
            body = m.group("body")
            material = "".join(_KEY_MATERIAL.findall(body))
            if (
                len(material) < 32
                or placeholder_reason(material, words=False)
                or shannon_entropy(material) < 3.5
            ):
                continue
            complete = "-----END" in m.group()
            found.append(Finding("secrets", "private_key", m.start(), m.end(), 1.0 if complete else 0.9))
    if "putty-user-key-file" in lower:
        for m in _PUTTY.finditer(text):
            found.append(Finding("secrets", "private_key", m.start(), m.end(), 1.0))
    return found


# --- credentials in URLs, headers and command lines -------------------------------------------------

_URL_PASSWORD = re.compile(
    r"(?<![\w+.\-])[a-zA-Z][a-zA-Z0-9+.\-]{1,20}://(?P<user>[^\s:@/?#\"'<>]{0,128}):(?P<s>[^\s@/\"'<>]{1,256})"
    r"@(?=[A-Za-z0-9\[])"
)
_AUTH_HEADER = re.compile(
    r"(?i:authorization)[\"']?\s*:\s*[\"']?(?i:bearer|basic|token|api-token|apikey|key)?\s*"
    r"(?P<s>[A-Za-z0-9._~+/\-]{8,}={0,2})(?![A-Za-z0-9._~+/=\-])"
)
_KEY_HEADER = re.compile(
    r"(?<![\w-])(?i:x-[a-z\-]*(?:api-?key|token|auth(?:-token|-key)?)|api-?key|apikey|api-token|token|private-token)"
    r"[\"']?\s*:\s*[\"']?(?P<s>[A-Za-z0-9._~+/\-]{8,}={0,2})(?![A-Za-z0-9._~+/=\-])"
)
_CURL_USER = re.compile(
    r"(?:\s-u|--user)\s*[\"']?(?P<user>[^\s:\"']*)[\"']?:[\"']?(?P<s>[^\s\"']*)[\"']?(?=[\s\"']|$)"
)
_HEADER_WORDS = frozenset({"bearer", "basic", "token", "digest", "negotiate", "hmac", "aws4-hmac-sha256"})


def _credentials(text: str, lower: str) -> list[Finding]:
    found: list[Finding] = []
    if "://" in text and "@" in text:
        for m in _URL_PASSWORD.finditer(text):
            password = m.group("s")
            if _weak_password(password):
                continue
            found.append(Finding("secrets", "password_in_url", m.start("s"), m.end("s"), 0.9))
    if "authorization" in lower:
        for m in _AUTH_HEADER.finditer(text):
            token = m.group("s")
            if token.lower() in _HEADER_WORDS or not _random_token(token, min_length=8, min_entropy=2.5):
                continue
            found.append(Finding("secrets", "auth_header", m.start("s"), m.end("s"), 0.85))
    if "key" in lower or "token" in lower or "auth" in lower:
        for m in _KEY_HEADER.finditer(text):
            token = m.group("s")
            if not _random_token(token, min_length=8, min_entropy=2.5):
                continue
            found.append(Finding("secrets", "auth_header", m.start("s"), m.end("s"), 0.85))
    if "-u" in lower or "--user" in lower:
        for m in _CURL_USER.finditer(text):
            password, user = m.group("s"), m.group("user")
            if password and not _weak_password(password):
                found.append(Finding("secrets", "auth_header", m.start("s"), m.end("s"), 0.85))
            elif not password and user and _random_token(user, min_length=8, min_entropy=3.0):
                found.append(Finding("secrets", "auth_header", m.start("user"), m.end("user"), 0.85))
    return found


_WEAK_PASSWORDS = frozenset(
    [
        "pass",
        "password",
        "passwd",
        "pwd",
        "secret",
        "user",
        "username",
        "login",
        "admin",
        "root",
        "token",
        "test",
        "guest",
        "demo",
        "xxx",
        "yyy",
        "zzz",
        "changeme",
        "default",
        "null",
        "none",
        "empty",
    ]
)


def _weak_password(value: str) -> bool:
    stripped = value.strip("[]{}()<>\"'")
    if (
        len(stripped) < 4
        or stripped.lower() in _WEAK_PASSWORDS
        or re.fullmatch(r"[\W_]+|\$\w+|%\w+%", stripped)
    ):
        return True
    return (
        placeholder_reason(value, words=False) is not None or re.fullmatch(r"[A-Z_]+", stripped) is not None
    )


_HOSTNAME = re.compile(r"[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,12}")


def _random_token(value: str, *, min_length: int, min_entropy: float) -> bool:
    return (
        len(value) >= min_length
        and not _HOSTNAME.fullmatch(value)
        and shannon_entropy(value) >= min_entropy
        and any(c.isdigit() for c in value)
        and placeholder_reason(value) is None
    )


# --- names that hold secrets ------------------------------------------------------------------------

_CREDENTIAL_WORDS = (
    r"passw(?:or)?d|passphrase|pwd|pass|secret|token|api[_.\-]?key|apikey|access[_.\-]?key|private[_.\-]?key"
    r"|signing[_.\-]?key|encryption[_.\-]?key|master[_.\-]?key|client[_.\-]?key|app[_.\-]?key|auth[_.\-]?key"
    r"|credentials?|conn(?:ection)?[_.\-]?str(?:ing)?|key"
)
_ASSIGNMENT = re.compile(
    r"(?<![A-Za-z0-9_.\-])(?P<key>[A-Za-z0-9_.\-]{0,40}(?i:" + _CREDENTIAL_WORDS + r")[A-Za-z0-9_.\-]{0,40})"
    r"(?:[\"'`\]]{1,2})?\s*(?:=|:|:=|=>|<-|\s+(?:is|=)\s+)\s*(?:!!\w+\s+)?"
    r"(?:\"(?P<dq>[^\"\r\n]{1,256})\"|'(?P<sq>[^'\r\n]{1,256})'|`(?P<bq>[^`\r\n]{1,256})`"
    r"|(?P<bare>[^\s\"'`,;(){}\[\]<>][^\s\"'`,;)}\]<>]{0,255}))"
)
_FLAG = re.compile(
    r"--(?P<key>(?i:password|passwd|token|api-key|apikey|secret|client-secret|access-key|auth-token))"
    r"(?:=|\s+)[\"']?(?P<bare>[^\s\"']{4,256})"
)
_XML = re.compile(
    r"<(?P<key>(?i:password|passwd|secret|token|apikey|api_key|accesskey|clientsecret))>(?P<bare>[^<\s]{4,256})</"
)
_NOT_CREDENTIAL_WORDS = re.compile(
    r"(?i:(?:_|-|\.|\b)(?:id|ids|name|names|file|filename|path|dir|url|uri|endpoint|length|len|size|type|types"
    r"|field|fields|prefix|suffix|format|regex|pattern|header|count|version|enabled|disabled|env|var|label"
    r"|hint|placeholder|policy|expiry|expires|expiration|ttl|timeout|hash|algorithm|alg|min|max|required)$"
    r"|^(?:id|uuid|hash|hashed|public|pub)(?:_|-|\b)|public|(?:Id|ID|Name|Path|Url|URL|File|Type|Length)$|token_?type|keypass_?file|passthrough"
    r"|bypass|compass|password_?(?:reset|confirm|strength|policy|field|input|hash|label)|tokeni[sz]|tokens?_?(?:count|limit|usage|per))"
)
_CODE_VALUE = re.compile(
    r"[A-Za-z_][\w.]*\(.*|(?:self|this|config|settings|cfg|conf|env|os|process|params|args|request|req|options"
    r"|opts|props|ctx|context|data|user|form|input|credentials|secrets)\.[\w.\[\]'\"]+|[A-Za-z_][\w.]*\[.*"
    r"|(?:true|false|null|none|nil|undefined|required|optional|string|str|int|bool|object|any)",
    re.IGNORECASE,
)
_STRONG_NAME = re.compile(r"(?i:" + _CREDENTIAL_WORDS.removesuffix("|key") + r")")
_KEY_OR_TOKEN_NAME = re.compile(r"(?i:api[_.\-]?key|apikey|token|secret|auth[_.\-]?key|access[_.\-]?key)")
_PASSWORD_NAME = re.compile(r"(?i:passw(?:or)?d|passphrase|pwd|pass|secret)")


def _assignments(text: str, lower: str) -> list[Finding]:
    found: list[Finding] = []
    if not any(k in lower for k in ("pass", "pwd", "secret", "token", "key", "credential", "conn")):
        return found
    for pattern in (_ASSIGNMENT, _FLAG, _XML):
        for m in pattern.finditer(text):
            key = m.group("key")
            group = next(
                g for g in ("dq", "sq", "bq", "bare") if g in pattern.groupindex and m.group(g) is not None
            )
            value = m.group(group)
            if group == "bq" and " " in value:  # a shell command substitution
                continue
            if group == "bare":
                value = re.sub(r"(?:\\[nrt])+$", "", value)  # an escaped line end inside a string
                following = text[m.end(group) : m.end(group) + 1]
                if _IDENTIFIER.fullmatch(value) and (
                    "." in value
                    or not any(c.isdigit() for c in value)
                    or value.isupper()
                    or following in ",)]="
                ):
                    continue  # a variable, attribute, constant or type annotation: code, not a literal
            score = _assignment_score(key, value)
            if score is not None:
                start = m.start(group)
                found.append(Finding("secrets", "generic_secret", start, start + len(value), score))
    return found


# Chat and prose: "my password is Tr0ub4dor&3", "use this token for the deploy: 9f8...".
_CONTEXT_WORD = re.compile(
    r"(?<![\w-])(?i:passwords?|passwd|pwd|passcode|pin|tokens?|api[ _\-]?keys?|keys?|secrets?|credentials?)(?![\w-])"
)
_BARE_TOKEN = re.compile(r"(?<![^\s\"'`(=:])[A-Za-z0-9!@#$%^&*+/=_\-.~]{8,128}")
_HEX_HASH = re.compile(r"[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}", re.IGNORECASE)


def _contextual(text: str, covered: list[Finding]) -> list[Finding]:
    found: list[Finding] = []
    for word in _CONTEXT_WORD.finditer(text):
        line_end = text.find("\n", word.end())
        window_end = min(word.end() + 60, line_end if line_end >= 0 else len(text))
        for m in _BARE_TOKEN.finditer(text, word.end(), window_end):
            if _NOT_PROSE.search(text, word.end(), m.start()):
                break  # code (a call, a tuple, a comparison) rather than "my password is ..."
            value = m.group().rstrip(".,;:!?)")
            start, end = m.start(), m.start() + len(value)
            if any((f.start or 0) < end and start < (f.end or 0) for f in covered):
                break
            if _token_like(value, hex_ok=not word.group().lower().startswith("key")):
                found.append(Finding("secrets", "generic_secret", start, end, 0.7))
                break
    return found


_NOT_PROSE = re.compile(r"[,()\[\]{}<>|;]|==|!=")
_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)*")
_CODE_NAME = re.compile(r"[a-z]+(?:[_\-][a-z0-9]+)+|[A-Z]+(?:[_\-][A-Z0-9]+)+|[A-Z]+\d+")


def _token_like(value: str, *, hex_ok: bool) -> bool:
    if (
        len(value) < 8
        or "://" in value
        or value.startswith(("/", "~/", "./", "@"))
        or ("@" in value[1:-1] and "." in value)
    ):
        return False
    if not (any(c.isalpha() for c in value) and any(c.isdigit() for c in value)):
        return False
    if _CODE_NAME.fullmatch(value) or "=" in value.rstrip("=") or ("/" in value and len(value) < 20):
        return False
    classes = sum(
        (any(c.islower() for c in value), any(c.isupper() for c in value), any(c.isdigit() for c in value),
         any(not c.isalnum() and c not in "_-" for c in value))
    )  # fmt: skip
    if len(value) < 16 and classes < 3:
        return False
    if _HOSTNAME.fullmatch(value) or re.fullmatch(r"[\d.\-_/:]+|v?\d+(?:\.\d+)+\S*", value):
        return False
    if not hex_ok and _HEX_HASH.fullmatch(value):
        return False
    entropy = shannon_entropy(value)
    return entropy >= (3.0 if len(value) < 16 else 3.4) and placeholder_reason(value) is None


def _assignment_score(key: str, value: str) -> float | None:
    if _NOT_CREDENTIAL_WORDS.search(key):
        return None
    value = value.strip()
    if (
        len(value) < 6
        or value.count(" ") >= 3
        or _CODE_VALUE.fullmatch(value)
        or re.fullmatch(r"\d{1,9}|[\d.]+", value)
    ):
        return None
    if not any(c.isdigit() for c in value) and re.fullmatch(r"[A-Za-z_]+(?:[.:/\-][A-Za-z_]+)+", value):
        return None  # a module path, a dotted name, a slug
    if re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", value, re.IGNORECASE):
        # A UUID under "api_key" or "token" is often the key (Heroku, Snyk...); under other names, an id.
        return 0.7 if _KEY_OR_TOKEN_NAME.search(key) else (0.4 if _PASSWORD_NAME.search(key) else None)
    if placeholder_reason(value) is not None:
        return None
    entropy = shannon_entropy(value)
    key_only = _STRONG_NAME.search(key) is None
    classes = sum(
        (any(c.islower() for c in value), any(c.isupper() for c in value), any(c.isdigit() for c in value),
         any(not c.isalnum() for c in value))
    )  # fmt: skip
    if len(value) >= 16 and entropy >= 3.5 and classes >= 2:
        return 0.8
    if key_only:  # a name like "key" or "cacheKey": only a random-looking value counts
        return None
    if _PASSWORD_NAME.search(key) and classes >= 2 and entropy >= 2.5:
        return 0.7
    return 0.4


# --- high-entropy strings and encoded payloads ------------------------------------------------------

_QUOTED_RANDOM = re.compile(r"[\"'`](?P<s>[A-Za-z0-9+/=_\-]{32,200})[\"'`]")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{200,}={0,2}|[A-Za-z0-9_\-]{200,}={0,2}")
_HEX_RUN = re.compile(r"(?<![A-Za-z0-9])[0-9a-fA-F]{200,}(?![A-Za-z0-9])")
_SSH_PUBLIC_BLOBS = ("AAAAB3NzaC1", "AAAAC3NzaC1", "AAAAE2VjZHNh", "AAAAB3NzaC", "AAAAGnNr")
_DATA_URL = re.compile(r"data:image/[\w.+\-]+;base64,$", re.IGNORECASE)


def _payloads(text: str) -> list[Finding]:
    found: list[Finding] = []
    for m in _QUOTED_RANDOM.finditer(text):
        value = m.group("s")
        if (
            shannon_entropy(value) >= 4.5
            and _mixed_case_digits(value)
            and placeholder_reason(value, words=False) is None
        ):
            found.append(Finding("secrets", "high_entropy_string", m.start("s"), m.end("s"), 0.45))
    if len(text) < 200:
        return found
    for pattern, floor in ((_BASE64_RUN, 4.0), (_HEX_RUN, 3.0)):
        for m in pattern.finditer(text):
            value = m.group()
            if shannon_entropy(value[:4096]) < floor:
                continue
            if value.startswith(_SSH_PUBLIC_BLOBS):  # an SSH public key, not a payload
                continue
            image = _DATA_URL.search(text, max(0, m.start() - 64), m.start()) is not None
            found.append(Finding("secrets", "encoded_payload", m.start(), m.end(), 0.3 if image else 0.6))
    return found


def _mixed_case_digits(value: str) -> bool:
    return (
        any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and any(c.isdigit() for c in value)
    )


# --- provider rules ---------------------------------------------------------------------------------


def _provider(text: str, rules: list[Rule]) -> list[Finding]:
    found: list[Finding] = []
    for rule in rules:
        for m in rule.pattern.finditer(text):
            value = m.group("s")
            if rule.min_entropy and shannon_entropy(value) < rule.min_entropy:
                continue
            if placeholder_reason(value, words=rule.words) is not None:
                continue
            if rule.check is not None and not rule.check(value):
                continue
            score = rule.score if rule.scored is None else rule.scored(m)
            found.append(Finding("secrets", rule.type, m.start("s"), m.end("s"), score))
    return found


class SecretsDetector:
    """Credentials and encoded payloads in a text (see the module docstring for types and scores).

    ``report_threshold``: findings scoring below it are not returned (default 0.3: the inline-image
    payloads are kept, for strict policies). ``types``: the types to report (default: all).
    """

    name: ClassVar[str] = "secrets"
    default_threshold: ClassVar[float] = 0.5

    def __init__(self, *, report_threshold: float = 0.3, types: frozenset[str] | None = None) -> None:
        self.report_threshold = report_threshold
        self.types = types

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        text = text[:MAX_SCAN_CHARS]
        lower = text.lower()
        if len(lower) != len(text):
            lower = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        findings = _provider(text, INDEX.candidates(lower))
        findings += _private_keys(text, lower)
        findings += _credentials(text, lower)
        findings += _assignments(text, lower)
        if _any(lower, _CONTEXT_KEYWORDS):
            findings += _contextual(text, findings)
        findings += _payloads(text)
        return [
            f
            for f in resolve_overlaps(findings)
            if f.score >= self.report_threshold and (self.types is None or f.type in self.types)
        ]


def resolve_overlaps(findings: list[Finding]) -> list[Finding]:
    """Non-overlapping findings, best first (score, then length), in text order."""
    starts: list[int] = []
    kept: list[Finding] = []
    for f in sorted(findings, key=lambda f: (-f.score, (f.start or 0) - (f.end or 0), f.start or 0)):
        start, end = f.start or 0, f.end or 0
        i = bisect.bisect_right(starts, start)
        if (i > 0 and (kept[i - 1].end or 0) > start) or (i < len(kept) and (kept[i].start or 0) < end):
            continue
        starts.insert(i, start)
        kept.insert(i, f)
    return kept
