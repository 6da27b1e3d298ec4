# ruff: noqa: S311 -- seeded pseudo-random data generation, not cryptography
"""Evaluation sets for ``SecretsDetector``: positives per credential family and look-alike negatives.

    uv run python training/pii/secrets_samples.py      # writes eval/secrets/{heldout,dev}.jsonl

Rows: ``{"text", "label" (1 = contains a secret), "source", "family"}``.

Sources:

- ``gitleaks``: gitleaks' rule-test samples (``shared/datasets/secrets/gitleaks-samples.jsonl``),
  split in two halves by a hash of the text: ``heldout`` (never looked at while writing rules) and
  ``dev`` (used by the tests). Rows listed in ``EXCLUDED`` are left out, with the reason: truncated
  Go source fragments and regular expressions labelled 1, contradictory labels, documented
  example keys labelled 1, and negatives that are negatives only for the rule that tested them
  (a real-format key that gitleaks allowlists by value, a key in another provider's format);
- ``detect-secrets``: the fixture files of Yelp's detect-secrets, labelled by this project's
  policy (a sequence or a dictionary word is not a secret, a hash of a secret is not a secret);
- ``generated``: credentials of every family the detector knows, random values of the right
  alphabet and length in everyday carriers (.env, YAML, JSON, code, shell, curl, chat), with a
  seed per split;
- ``lookalike``: things that look like secrets and are not: UUIDs, git SHAs, digests and lockfile
  hashes, CSS colours, versions, public keys and addresses, publishable keys, IDs, placeholders and
  documented examples, environment lookups, inline base64 images (not a violation by default:
  common in benign HTML and Markdown; scored 0.3, see ``secrets.py``).
"""

from __future__ import annotations

import argparse
import base64
import random
import string
import zlib
from collections.abc import Callable
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]
DATASETS = ROOT.parent / "shared" / "datasets" / "secrets"

# gitleaks rows left out of the evaluation: (start of the text, reason).
EXCLUDED: list[tuple[str, str]] = [
    ('adobeClient := "p8e-', "fragment of Go source"),
    ('alibabaKey := "LTAI', "fragment of Go source"),
    ("sk-ant-api03-\n", "fragment"),
    ('artifactoryApiKey := "AKCp', "fragment of Go source"),
    ('artifactoryRefToken := "cmVmd', "fragment of Go source"),
    ("ABSKQmVkcm9ja0FQSUtleS1EXAMPLE", "documented example key labelled 1"),
    ('\\"pass\\": \\"', "fragment"),
    ("[\\w~.-]{31,34}", "a regular expression"),
    ("export CO_API_KEY=", "fragment"),
    ('clientSecret := "s-s4t2', "fragment of Go source"),
    ("hvs\\.[0-9]", "a regular expression"),
    ("--set imagePullSecretJfrog.password=%s", "a format string labelled 1"),
    ("API-[A-Z0-9]{26}", "a regular expression"),
    ("[a-z0-9]{8}-([a-z0-9]{4}-)", "a regular expression"),
    ('TOKEN=$(curl -sH "Authorization: Basic $BASIC_TOKEN"', "a variable reference labelled 1"),
    ('     curl -s --insecure --url "imaps://whatever.imap.server"', "placeholder credentials labelled 1"),
    ("sk-ant-a", "the same fake key is labelled 1 and 0 by different gitleaks tests"),
    ("AIza", "a real-format Google key that gitleaks allowlists by value (public keys)"),
    ("MailchimpSDK.initialize", "a real-format Mailchimp key, negative only for gitleaks' keyword rule"),
    ("meraki-api-key: acdeFf05", "a real-format key, negative only for the Meraki rule's case"),
    ("meraki_token = 5cb4a5f0", "a real-format token, negative only for the Meraki rule's length"),
    ("// CloudFront-Signature:", "a signed-URL signature (a credential), negative only for the Azure rule"),
    ("g6Rib2R5hqhkZXRhY2hlZMOpaGFzaF90", "a 300+ character base64 blob: an encoded payload by this policy"),
]
_BARE_PREFIXES = ("hooks.slack.com/", "http://hooks.slack.com/", "https://hooks.slack.com/",
                  "https://mycompany.webhook.office.com/webhookb2/", "sk-ant-admin01-", "sk-ant-api03-",
                  "ABSKQmVkcm9ja0FQSUtleS1")  # fmt: skip


def excluded(text: str) -> str | None:
    if len(text) < 60 and text.endswith("/") and text.count("/") <= 5:
        return "a bare URL prefix"
    if text.strip() in _BARE_PREFIXES or text.rstrip("/") in {p.rstrip("/") for p in _BARE_PREFIXES}:
        return "a bare prefix"
    for start, reason in EXCLUDED:
        if text.startswith(start) or (start.startswith("AIza") and "AIza" in text):
            return reason
    return None


def gitleaks_rows() -> tuple[list[dict[str, object]], list[dict[str, object]], list[tuple[str, str]]]:
    heldout, dev, dropped = [], [], []
    with (DATASETS / "gitleaks-samples.jsonl").open("rb") as f:
        for line in f:
            row = orjson.loads(line)
            reason = excluded(row["text"])
            if reason:
                dropped.append((row["text"][:60], reason))
                continue
            out = {
                "text": row["text"],
                "label": row["label"],
                "source": "gitleaks",
                "family": row["rule_file"],
            }
            (heldout if zlib.crc32(row["text"].encode()) % 2 == 0 else dev).append(out)
    return heldout, dev, dropped


DETECT_SECRETS_LABELS = {
    "private_key": 1,
    "config.ini": 1,  # real_secret_which_isnt_an_i_d = vh987tyw9ehy8ghis7vwyhiwbwitefy7w3ASDGYDGUASDG
    "config.yaml": 1,  # allowlisted_api_key: 'ToCynx5Se4e2PtoZxEhW7lUJcOX15c54' (a pragma is no excuse)
    "config2.yaml": 1,  # high_entropy_hex_binary_secret: !!binary ...
    "config.md": 1,  # key="ToCynx5Se4e2PtoZxEhW7lUJcOX15c54"
    "first_line.php": 0,  # 'notHighEnoughEntropy', '0123456789a'
    "last_line.ini": 0,  # hunter2, password123, BEEF0123456789a: words and sequences
    "middle_line.yml": 0,  # thequickbrownfoxjumpsoverthelazydog
    "only_comments.yaml": 0,
    "word_list.txt": 0,
    "baseline.file": 0,  # hashes of secrets, not secrets
}


def detect_secrets_rows() -> list[dict[str, object]]:
    rows = []
    for name, label in DETECT_SECRETS_LABELS.items():
        text = (DATASETS / "detect-secrets-fixtures" / name).read_text(encoding="utf-8")
        rows.append({"text": text, "label": label, "source": "detect-secrets", "family": name})
    return rows


# --- generated credentials -----------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "_-"
HEX = "0123456789abcdef"


def _rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _jwt(rng: random.Random) -> str:
    header = _b64url(orjson.dumps({"alg": rng.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"}))
    claims = {
        "sub": str(rng.randint(10**5, 10**9)),
        "iat": rng.randint(1_600_000_000, 1_800_000_000),
        "role": "admin",
    }
    return f"{header}.{_b64url(orjson.dumps(claims))}.{_rand(rng, URLSAFE, 43)}"


def _pem(rng: random.Random, kind: str) -> str:
    body = base64.b64encode(rng.randbytes(rng.choice([256, 600, 1190]))).decode()
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {kind}PRIVATE KEY-----\n{lines}\n-----END {kind}PRIVATE KEY-----"


def _password(rng: random.Random) -> str:
    core = _rand(rng, ALNUM, rng.randint(8, 14))
    return core + rng.choice(["!", "#", "$", "%", "@", ""]) + str(rng.randint(0, 99))


# family -> (variable name, value generator)
FAMILIES: dict[str, tuple[str, Callable[[random.Random], str]]] = {
    "aws_access_key": (
        "AWS_ACCESS_KEY_ID",
        lambda r: "AKIA" + _rand(r, string.ascii_uppercase + "234567", 16),
    ),
    "aws_secret_key": ("aws_secret_access_key", lambda r: _rand(r, B64, 40)),
    "gcp_api_key": ("GOOGLE_API_KEY", lambda r: "AIza" + _rand(r, URLSAFE, 35)),
    "azure_storage": (
        "AZURE_STORAGE_CONNECTION_STRING",
        lambda r: (
            "DefaultEndpointsProtocol=https;AccountName="
            "prodstore;AccountKey=" + _rand(r, B64, 86) + "==;EndpointSuffix=core.windows.net"
        ),
    ),
    "azure_client_secret": (
        "AZURE_CLIENT_SECRET",
        lambda r: _rand(r, ALNUM, 3) + str(r.randint(0, 9)) + "Q~" + _rand(r, URLSAFE + "~.", 34),
    ),
    "github_token": ("GITHUB_TOKEN", lambda r: r.choice(["ghp_", "gho_", "ghs_"]) + _rand(r, ALNUM, 36)),
    "github_pat": ("GH_PAT", lambda r: "github_pat_" + _rand(r, ALNUM, 22) + "_" + _rand(r, ALNUM, 59)),
    "gitlab_token": ("GITLAB_TOKEN", lambda r: "glpat-" + _rand(r, URLSAFE, 20)),
    "bitbucket_token": ("BITBUCKET_APP_PASSWORD", lambda r: "ATBB" + _rand(r, ALNUM, 32)),
    "slack_token": (
        "SLACK_BOT_TOKEN",
        lambda r: f"xoxb-{r.randint(10**10, 10**13)}-{r.randint(10**11, 10**13)}-" + _rand(r, ALNUM, 24),
    ),
    "slack_webhook": (
        "SLACK_WEBHOOK_URL",
        lambda r: (
            "https://hooks.slack.com/services/T"
            + _rand(r, "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", 8)
            + "/B"
            + _rand(r, "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", 10)
            + "/"
            + _rand(r, ALNUM, 24)
        ),
    ),
    "discord_token": (
        "DISCORD_BOT_TOKEN",
        lambda r: (
            r.choice("MN") + _rand(r, ALNUM, 23) + "." + _rand(r, URLSAFE, 6) + "." + _rand(r, URLSAFE, 27)
        ),
    ),
    "discord_webhook": (
        "DISCORD_WEBHOOK",
        lambda r: f"https://discord.com/api/webhooks/{r.randint(10**17, 10**18)}/" + _rand(r, URLSAFE, 68),
    ),
    "telegram_bot_token": (
        "TELEGRAM_TOKEN",
        lambda r: f"{r.randint(10**8, 10**10)}:AA" + _rand(r, URLSAFE, 33),
    ),
    "stripe_key": (
        "STRIPE_SECRET_KEY",
        lambda r: r.choice(["sk_live_", "rk_live_", "sk_test_"]) + _rand(r, ALNUM, 99),
    ),
    "paypal_braintree": (
        "BRAINTREE_TOKEN",
        lambda r: (
            "access_token$production$"
            + _rand(r, "abcdefghijklmnopqrstuvwxyz0123456789", 16)
            + "$"
            + _rand(r, HEX, 32)
        ),
    ),
    "square_token": (
        "SQUARE_SECRET",
        lambda r: r.choice(["sq0atp-" + _rand(r, URLSAFE, 22), "sq0csp-" + _rand(r, URLSAFE, 43)]),
    ),
    "openai_api_key": (
        "OPENAI_API_KEY",
        lambda r: r.choice(
            [
                "sk-proj-" + _rand(r, URLSAFE, 120),
                "sk-" + _rand(r, ALNUM, 20) + "T3BlbkFJ" + _rand(r, ALNUM, 20),
            ]
        ),
    ),
    "anthropic_api_key": ("ANTHROPIC_API_KEY", lambda r: "sk-ant-api03-" + _rand(r, URLSAFE, 93) + "AA"),
    "huggingface_token": ("HF_TOKEN", lambda r: "hf_" + _rand(r, string.ascii_letters, 34)),
    "groq_api_key": ("GROQ_API_KEY", lambda r: "gsk_" + _rand(r, ALNUM, 52)),
    "replicate_token": ("REPLICATE_API_TOKEN", lambda r: "r8_" + _rand(r, ALNUM, 37)),
    "perplexity_key": ("PPLX_API_KEY", lambda r: "pplx-" + _rand(r, ALNUM, 48)),
    "twilio_api_key": ("TWILIO_API_KEY", lambda r: "SK" + _rand(r, HEX, 32)),
    "sendgrid_api_key": (
        "SENDGRID_API_KEY",
        lambda r: "SG." + _rand(r, URLSAFE, 22) + "." + _rand(r, URLSAFE, 43),
    ),
    "mailgun_api_key": ("MAILGUN_API_KEY", lambda r: "key-" + _rand(r, ALNUM, 32)),
    "npm_token": ("NPM_TOKEN", lambda r: "npm_" + _rand(r, ALNUM, 36)),
    "pypi_token": ("PYPI_TOKEN", lambda r: "pypi-AgEIcHlwaS5vcmc" + _rand(r, URLSAFE, 70)),
    "jwt": ("SESSION_TOKEN", _jwt),
    "dropbox_token": ("DROPBOX_TOKEN", lambda r: "sl." + _rand(r, URLSAFE, 138)),
    "brevo_api_key": ("BREVO_API_KEY", lambda r: "xkeysib-" + _rand(r, HEX, 64) + "-" + _rand(r, ALNUM, 16)),
    "dockerhub_token": ("DOCKERHUB_TOKEN", lambda r: "dckr_pat_" + _rand(r, URLSAFE, 27)),
    "heroku_api_key": ("HEROKU_API_KEY", lambda r: "-".join(_rand(r, HEX, n) for n in (8, 4, 4, 4, 12))),
    "datadog_api_key": ("DD_API_KEY", lambda r: _rand(r, HEX, 32)),
    "postgres_url": ("DATABASE_URL", lambda r: f"postgres://app:{_password(r)}@db.internal:5432/prod"),
    "mongodb_url": (
        "MONGO_URI",
        lambda r: f"mongodb+srv://admin:{_password(r)}@cluster0.ab1cd.mongodb.net/app",
    ),
    "redis_url": ("REDIS_URL", lambda r: f"redis://:{_password(r)}@cache.internal:6379/0"),
    "amqp_url": ("BROKER_URL", lambda r: f"amqp://worker:{_password(r)}@mq.internal:5672/vhost"),
    "password": ("DB_PASSWORD", _password),
    "generic_api_key": ("api_key", lambda r: _rand(r, ALNUM, 32)),
    "client_secret": ("client_secret", lambda r: _rand(r, URLSAFE, 40)),
}
MULTILINE: dict[str, Callable[[random.Random], str]] = {
    "private_key_rsa": lambda r: _pem(r, "RSA "),
    "private_key_pkcs8": lambda r: _pem(r, ""),
    "private_key_openssh": lambda r: _pem(r, "OPENSSH "),
    "private_key_ec": lambda r: _pem(r, "EC "),
    "gcp_service_account": lambda r: orjson.dumps(
        {
            "type": "service_account",
            "project_id": "demo-prod",
            "private_key_id": _rand(r, HEX, 40),
            "private_key": _pem(r, "") + "\n",
            "client_email": "ci@demo-prod.iam.gserviceaccount.com",
        },
        option=orjson.OPT_INDENT_2,
    ).decode(),
    "encoded_payload_base64": lambda r: (
        "Here is the data: " + base64.b64encode(r.randbytes(r.randint(180, 600))).decode()
    ),
    "encoded_payload_hex": lambda r: "blob=" + r.randbytes(r.randint(110, 300)).hex(),
}
CARRIERS = [
    "{NAME}={value}",
    'export {NAME}="{value}"',
    "  {name}: {value}",
    '{{"{name}": "{value}", "region": "eu-west-1"}}',
    '{name} = "{value}"',
    "const {name} = '{value}';",
    'curl -H "Authorization: Bearer {value}" https://api.example.com/v1/items',
    "here is my key {value} can you check why the request fails?",
    "I accidentally committed {value} to the public repo, what should I do?",
    "Use this token for the deploy step: {value}",
    "settings.py:\n\nDEBUG = False\n{NAME} = '{value}'\nALLOWED_HOSTS = ['*']",
    "docker run -e {NAME}={value} myimage:latest",
]


def generated(seed: int, per_family: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows = []
    for family, (name, make) in FAMILIES.items():
        for _ in range(per_family):
            carrier = rng.choice(CARRIERS)
            value = make(rng)
            if family in {"postgres_url", "mongodb_url", "redis_url", "amqp_url"} and "Bearer" in carrier:
                carrier = "{NAME}={value}"
            text = carrier.format(NAME=name.upper(), name=name.lower(), value=value)
            rows.append({"text": text, "label": 1, "source": "generated", "family": family})
    for family, make in MULTILINE.items():
        for _ in range(per_family):
            rows.append({"text": make(rng), "label": 1, "source": "generated", "family": family})
    return rows


# --- look-alikes ---------------------------------------------------------------------------------


_SHORT_PAYLOADS = [b"hello world", b'{"a": 1}', b"user=bob"]


def lookalikes(seed: int, per_kind: int) -> list[dict[str, object]]:
    rng = random.Random(seed)

    def uuid() -> str:
        h = _rand(rng, HEX, 32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    kinds: dict[str, Callable[[], str]] = {
        "uuid": lambda: rng.choice(
            [
                f"request_id: {uuid()}",
                f"Trace {uuid()} failed after 3 retries",
                f'{{"id": "{uuid()}", "status": "ok"}}',
                f"session_uuid={uuid()}",
            ]
        ),
        "git_sha": lambda: rng.choice(
            [
                f"commit {_rand(rng, HEX, 40)}\nAuthor: CI <ci@example.com>",
                f"Reverted in {_rand(rng, HEX, 40)}, see the PR.",
                f"pip install git+https://github.com/org/repo@{_rand(rng, HEX, 40)}",
            ]
        ),
        "digest": lambda: rng.choice(
            [
                f"image: registry.example.com/app@sha256:{_rand(rng, HEX, 64)}",
                f"sha256sum: {_rand(rng, HEX, 64)}  release.tar.gz",
                f"MD5 ({_rand(rng, string.ascii_lowercase, 6)}.iso) = {_rand(rng, HEX, 32)}",
            ]
        ),
        "lockfile": lambda: rng.choice(
            [
                f'    "node_modules/lodash": {{\n      "version": "4.17.21",\n      "integrity": "sha512-'
                f'{base64.b64encode(rng.randbytes(64)).decode()}"\n    }}',
                f'[[package]]\nname = "serde"\nversion = "1.0.197"\nchecksum = "{_rand(rng, HEX, 64)}"',
                f"requests==2.31.0 \\\n    --hash=sha256:{_rand(rng, HEX, 64)}",
                f"golang.org/x/text v0.14.0 h1:{base64.b64encode(rng.randbytes(32)).decode()}",
            ]
        ),
        "css_colour": lambda: (
            f".btn {{ color: #{_rand(rng, HEX, 6)}; background: #{_rand(rng, HEX, 3)}; "
            f"border-color: rgba({rng.randint(0, 255)}, 10, 20, 0.5); }}"
        ),
        "version": lambda: rng.choice(
            [
                f"Upgraded numpy from 1.{rng.randint(10, 26)}.{rng.randint(0, 9)} to 2.1.3",
                f"version: {rng.randint(0, 9)}.{rng.randint(0, 40)}.{rng.randint(0, 99)}-rc.1+build.{rng.randint(1, 999)}",
                f"Chrome/{rng.randint(90, 130)}.0.{rng.randint(1000, 9999)}.{rng.randint(10, 200)} Safari/537.36",
            ]
        ),
        "public_key": lambda: rng.choice(
            [
                f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{_rand(rng, B64, 43)} dev@laptop",
                f"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ{_rand(rng, B64, 340)} deploy@ci",
                f"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE{_rand(rng, B64, 28)}\n{_rand(rng, B64, 60)}==\n-----END PUBLIC KEY-----",
                f"Send ETH to 0x{_rand(rng, HEX + 'ABCDEF', 40)}",
            ]
        ),
        "publishable_or_id": lambda: rng.choice(
            [
                f"Stripe.js init with pk_live_{_rand(rng, ALNUM, 24)}",
                f"customer cus_{_rand(rng, ALNUM, 14)} paid invoice in_{_rand(rng, ALNUM, 24)}",
                f"Twilio account SID AC{_rand(rng, HEX, 32)}",
                f"YouTube https://www.youtube.com/watch?v={_rand(rng, URLSAFE, 11)}",
                f"arn:aws:iam::{rng.randint(10**11, 10**12)}:role/deploy-role",
            ]
        ),
        "placeholder": lambda: rng.choice(
            [
                "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "OPENAI_API_KEY=sk-...xxxx",
                "OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                'api_key = "<your-api-key>"',
                "export STRIPE_KEY=YOUR_STRIPE_SECRET_KEY",
                "password: changeme",
                "DB_PASSWORD=${DB_PASSWORD}",
                'token = os.environ["GITHUB_TOKEN"]',
                "const key = process.env.STRIPE_KEY;",
                "password = '********'",
                'password: ""',
                "api_key = None",
                "token = getpass.getpass('Token: ')",
                'password = input("Password: ")',
                "secret: aaaaaaaaaaaaaaaaaaaaaaaa",
                "api_key = '1234567890abcdef'",
                "password = 'sunshine'",
                "password = 'letmein'",
                'headers = {"Authorization": f"Bearer {token}"}',
                "curl -H 'Authorization: Bearer <TOKEN>' https://api.example.com",
                "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                "Set SLACK_BOT_TOKEN to xoxb-your-token in the .env file.",
                "password={{ vault_db_password }}",
                'client_secret: "{{ .Values.clientSecret }}"',
                "PASSWORD=$(cat /run/secrets/db_password)",
                "Use the `--token` flag with your personal access token.",
                "password_min_length = 12",
                "token_type: bearer",
                "api_key_header: X-API-Key",
                "secret_name: prod/db/creds",
            ]
        ),
        "data_url_image": lambda: (
            f'<img alt="logo" src="data:image/png;base64,{base64.b64encode(rng.randbytes(rng.randint(300, 900))).decode()}">'
        ),
        "short_base64": lambda: rng.choice(
            [
                "payload: " + base64.b64encode(rng.choice(_SHORT_PAYLOADS)).decode(),
                f'etag: "{base64.b64encode(rng.randbytes(16)).decode()}"',
            ]
        ),
        "prose": lambda: rng.choice(
            [
                "Rotate your API keys every 90 days and never paste a password into a chat.",
                "What is the difference between a JWT and a session cookie?",
                "How do I store secrets in Kubernetes? Should I use a Secret or a ConfigMap?",
                "The password policy requires 12 characters, one digit and one symbol.",
                "Our token bucket rate limiter allows 100 requests per minute.",
                "Explain how AWS access keys differ from IAM roles.",
            ]
        ),
    }
    rows = []
    for kind, make in kinds.items():
        for _ in range(per_kind):
            rows.append({"text": make(), "label": 0, "source": "lookalike", "family": kind})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "secrets")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    heldout, dev, dropped = gitleaks_rows()
    sets = {
        "heldout.jsonl": heldout + detect_secrets_rows() + generated(101, 6) + lookalikes(201, 12),
        "dev.jsonl": dev + generated(102, 3) + lookalikes(202, 6),
    }
    for name, rows in sets.items():
        with (args.out / name).open("wb") as f:
            for row in rows:
                f.write(orjson.dumps(row) + b"\n")
        positives = sum(1 for r in rows if r["label"])
        print(f"{args.out / name}: {len(rows)} rows, {positives} positives")
    print(f"gitleaks rows excluded: {len(dropped)}")


if __name__ == "__main__":
    main()
