"""The secrets detector: every credential family found with exact offsets, placeholders and
look-alikes left alone, the gitleaks and detect-secrets samples of the dev split, encoded payloads.
The network is cut for the whole module: detection is local."""

from __future__ import annotations

import base64
import random
import socket
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from training.pii import secrets_samples

from trueport.guard.base import Detector, Finding, ScanContext
from trueport.guard.secrets import SecretsDetector

CONTEXT = ScanContext()
DEV_SET = Path(__file__).resolve().parents[2] / "eval" / "secrets" / "dev.jsonl"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the secrets detector must not use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield


@pytest.fixture(scope="module")
def detector() -> SecretsDetector:
    return SecretsDetector()


def violations(detector: SecretsDetector, text: str) -> list[Finding]:
    return [f for f in detector.scan(text, CONTEXT) if f.score >= detector.default_threshold]


def test_implements_the_detector_protocol(detector: SecretsDetector) -> None:
    checked: Detector = detector
    assert checked.name == "secrets"
    assert 0 < SecretsDetector.default_threshold < 1
    assert detector.scan("", CONTEXT) == []
    assert all(
        f.detector == "secrets"
        for f in detector.scan("ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tV9wX1yZ3bC5", CONTEXT)
    )


# --- every family ---------------------------------------------------------------------------------

URL_FAMILIES = {"postgres_url", "mongodb_url", "redis_url", "amqp_url", "azure_storage", "slack_webhook",
                "discord_webhook"}  # fmt: skip


@pytest.mark.parametrize("family", sorted(secrets_samples.FAMILIES))
def test_each_family_is_found_with_exact_offsets(detector: SecretsDetector, family: str) -> None:
    name, make = secrets_samples.FAMILIES[family]
    rng = random.Random(family)
    for carrier in ("{NAME}={value}", '{name}: "{value}"', "export {NAME}='{value}'"):
        value = make(rng)
        text = carrier.format(NAME=name.upper(), name=name.lower(), value=value)
        found = violations(detector, text)
        assert found, (family, text)
        start = text.index(value)
        spans = [(f.start or 0, f.end or 0) for f in found]
        if family in URL_FAMILIES:  # the secret part of the URL or connection string
            assert any(start <= s and e <= start + len(value) for s, e in spans), (family, text, spans)
        else:
            assert (start, start + len(value)) in spans, (family, text, spans)


@pytest.mark.parametrize("family", sorted(secrets_samples.MULTILINE))
def test_multiline_families(detector: SecretsDetector, family: str) -> None:
    text = secrets_samples.MULTILINE[family](random.Random(7))
    assert violations(detector, text), family


@pytest.mark.parametrize(
    ("text", "secret", "kind"),  # kind None: not a secret
    [
        ("AWS_ACCESS_KEY_ID=AKIA2OGYBAH6STMMNXNN", "AKIA2OGYBAH6STMMNXNN", "aws_access_key"),
        ("postgres://app:S3cr3t-Pa55w0rd@db:5432/prod", "S3cr3t-Pa55w0rd", "password_in_url"),
        ("redis://:q8Wz3LmN0pT7@cache:6379", "q8Wz3LmN0pT7", "password_in_url"),
        ("curl -u deploy:Xk29fLq81mZ https://ci.example.com", "Xk29fLq81mZ", "auth_header"),
        (
            'headers = {"Authorization": "Bearer 9f8e7d6c5b4aQz1y2x3w4v"}',
            "9f8e7d6c5b4aQz1y2x3w4v",
            "auth_header",
        ),
        ('password = "Tr0ub4dor&3x"', "Tr0ub4dor&3x", "generic_secret"),
        ("my password is Vx7#pQ2mL9 can you log in?", "Vx7#pQ2mL9", "generic_secret"),
        ("xoxb-2950417736184-839201746651-Qz8LwM3vT0bRkX5yHcN2pJfA", None, "slack_token"),
        ("xoxb-1234567890123-123456789012-AbCdEfGhIjKlMnOpQrStUvWx", None, None),  # a sequence
    ],
)
def test_offsets_and_types(
    detector: SecretsDetector, text: str, secret: str | None, kind: str | None
) -> None:
    found = violations(detector, text)
    if kind is None:
        assert found == []
        return
    assert [f.type for f in found] == [kind]
    f = found[0]
    if secret is not None:
        assert text[f.start : f.end] == secret


def test_jwt_needs_a_header_with_alg(detector: SecretsDetector) -> None:
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
    payload = base64.urlsafe_b64encode(b'{"sub":"1234567890","admin":true}').decode().rstrip("=")
    token = f"{header}.{payload}.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
    assert [f.type for f in violations(detector, f"token: {token}")] == ["jwt"]
    fake = f"eyJub3RKc29uIjp.{payload}.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
    assert not [f for f in violations(detector, f"x {fake}") if f.type == "jwt"]


def test_private_key_block(detector: SecretsDetector) -> None:
    text = "key:\n" + secrets_samples._pem(random.Random(1), "RSA ") + "\nend"
    (finding,) = violations(detector, text)
    assert finding.type == "private_key" and finding.score == 1.0
    assert text[finding.start : finding.end].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert text[finding.start : finding.end].endswith("-----END RSA PRIVATE KEY-----")
    assert not violations(detector, "-----BEGIN PRIVATE KEY-----\nanything\n-----END PRIVATE KEY-----")


# --- not secrets ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "OPENAI_API_KEY=sk-...xxxx",
        "OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        'api_key = "<your-api-key>"',
        "password: changeme",
        "DB_PASSWORD=${DB_PASSWORD}",
        'token = os.environ["GITHUB_TOKEN"]',
        "const key = process.env.STRIPE_SECRET_KEY;",
        "password = '****************'",
        "secret = 'aaaaaaaaaaaaaaaaaaaaaaaa'",
        "api_key = '1234567890abcdef'",
        "password = 'sunshine'",
        "secret = 'notHighEnoughEntropy'",
        "password: thequickbrownfoxjumpsoverthelazydog",
        "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "curl -u username:password https://example.com",
        'curl -u "${USER}:${PASS}" https://example.com',
        "postgres://user:password@localhost:5432/db",
        "mongodb://admin:<password>@cluster0.mongodb.net",
        "Authorization: Bearer <TOKEN>",
        "token_type: bearer",
        "password_min_length = 12",
        "request_id: 3f2b8c1e-5d4a-4b6f-9e8d-7c6b5a4f3e2d",
        "commit 8f3a2b1c9d0e7f6a5b4c3d2e1f0a9b8c7d6e5f4a",
        "image: app@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ".btn { color: #1a2b3c; background: #fff; }",
        "Upgraded numpy from 1.26.4 to 2.1.3",
        "Stripe.js init with pk_live_51HqLyjWDarjtT1zdp7dc0aB",
        "Rotate your API keys every 90 days and never paste a password into a chat.",
    ],
)
def test_placeholders_and_lookalikes(detector: SecretsDetector, text: str) -> None:
    assert violations(detector, text) == []


def test_generated_lookalikes(detector: SecretsDetector) -> None:
    rows = secrets_samples.lookalikes(seed=303, per_kind=5)
    flagged = [r["text"] for r in rows if violations(detector, str(r["text"]))]
    assert len(flagged) <= len(rows) * 0.05, flagged


def test_encoded_payloads(detector: SecretsDetector) -> None:
    blob = base64.b64encode(random.Random(2).randbytes(300)).decode()
    (finding,) = violations(detector, f"send this: {blob}")
    assert finding.type == "encoded_payload" and 0.5 <= finding.score < 0.85
    image = f'<img src="data:image/png;base64,{blob}">'
    assert violations(detector, image) == []  # inline images are not a violation by default
    assert [f.type for f in detector.scan(image, CONTEXT)] == ["encoded_payload"]  # but are reported
    hex_blob = random.Random(3).randbytes(150).hex()
    assert [f.type for f in violations(detector, f"blob={hex_blob}")] == ["encoded_payload"]
    ssh = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ" + blob + " me@laptop"
    assert violations(detector, ssh) == []


# --- shared samples (dev split; the held-out split is for training/pii/evaluate_secrets.py) -----------


def test_dev_split_recall_and_false_positives(detector: SecretsDetector) -> None:
    rows = [orjson.loads(line) for line in DEV_SET.read_bytes().splitlines()]
    positives = [r for r in rows if r["label"]]
    negatives = [r for r in rows if not r["label"]]
    missed = [r["text"][:80] for r in positives if not violations(detector, r["text"])]
    false = [r["text"][:80] for r in negatives if violations(detector, r["text"])]
    assert len(missed) <= 0.05 * len(positives), missed
    assert len(false) <= 0.05 * len(negatives), false


def test_detect_secrets_fixtures(detector: SecretsDetector) -> None:
    for row in secrets_samples.detect_secrets_rows():
        assert bool(violations(detector, str(row["text"]))) == bool(row["label"]), row["family"]


def test_long_inputs_stay_linear(detector: SecretsDetector) -> None:
    text = ("x" * 5000 + " password = '" + "a1" * 3000 + "'\n") * 20
    detector.scan(text, CONTEXT)  # must return (no catastrophic backtracking)
    blob = "A" * 100_000
    assert violations(detector, blob) == []


FRAGMENTS = ["password=", "İ", "'", '"', "ghp_", "AKIA", "-----BEGIN PRIVATE KEY-----", "\n", "token:", "://u:p@h",
             "eyJhbGciOiJIUzI1NiJ9", "Authorization: Bearer", "sk-", "=" * 3, "A" * 250, "x9Yq2Lm8Pw3Zr7Tn5Kv1"]  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=400) | st.lists(st.sampled_from(FRAGMENTS), max_size=10).map(" ".join))
def test_any_text_gives_valid_offsets(detector: SecretsDetector, text: str) -> None:
    for finding in detector.scan(text, CONTEXT):
        assert 0 <= (finding.start or 0) < (finding.end or 0) <= len(text)


def test_a_read_only_expiring_sas_link_is_a_shared_link_not_a_credential() -> None:
    signature = "c1JNYH%2Bty9dIGQOhCO8SzSxGiXuq/IP2dOI%2BuZYXLBM%3D"
    shared = f"![logo](https://files.example.net/file-1?se=2123-10-18T13%3A15%3A52Z&sp=r&sv=2021-08-06&sig={signature})"
    writable = f"https://acct.blob.core.windows.net/c?sv=2021-08-06&sp=rwdl&se=2030-01-01&sig={signature}"
    forever = f"https://acct.blob.core.windows.net/c?sp=r&sig={signature}"
    detector = SecretsDetector()
    assert [f.score < detector.default_threshold for f in detector.scan(shared, ScanContext())] == [True]
    assert [f.score for f in detector.scan(writable, ScanContext())] == [0.9]
    assert [f.score for f in detector.scan(forever, ScanContext())] == [0.9]


def test_a_subscripted_attribute_assigned_to_a_key_is_code() -> None:
    code = "extended_kwargs = {key: signature.kwargs[key] for key in keys}"
    assert SecretsDetector().scan(code, ScanContext()) == []
