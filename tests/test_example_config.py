"""``trueport.example.yaml`` at the repository root is accepted as is, and says true things.

The settings loader reads it with the variables it names; its production notes are enough to start in
production; and ``trueport serve --config trueport.example.yaml`` starts on it and answers through it
(the providers' base URLs point at the emulator through the variables the example reads).
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tests.support import free_port

from trueport.errors import ConfigError
from trueport.mockprovider import MockProviderThread
from trueport.settings import load_settings, missing_env_vars

EXAMPLE = Path(__file__).resolve().parents[1] / "trueport.example.yaml"
NAMED = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")  # what the example needs in the environment
OPTIONAL = ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "GEMINI_API_KEY", "AZURE_OPENAI_API_KEY")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing from the machine's environment reaches the loader but what a test sets."""
    for name in list(os.environ):
        if name.startswith("TRUEPORT_") or name in NAMED or name in OPTIONAL:
            monkeypatch.delenv(name)


def test_example_loads_with_the_variables_it_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-anthropic")
    settings = load_settings(EXAMPLE)
    assert missing_env_vars(settings) == ()
    assert settings.environment == "development"
    assert settings.database == "sqlite:///./trueport.db"
    assert settings.redis is None
    assert settings.providers["oa"].base_url == "https://api.openai.com/v1"
    assert settings.providers["oa"].api_key.get_secret_value() == "sk-openai"
    assert settings.providers["an"].api_key.get_secret_value() == "sk-anthropic"
    assert set(settings.models) == {"gpt-4o-mini", "claude-sonnet-4-5", "smart", "text-embedding-3-small"}
    assert [t.provider for t in settings.models["smart"].targets] == ["an", "oa"]
    assert settings.guard.enabled and settings.guard.models_dir is None  # the packaged models


def test_example_names_only_its_two_keys_as_required() -> None:
    # Variables inside comments are read too (the file is interpolated before YAML): a commented
    # block must not make an installation that does not use it warn at every start.
    settings = load_settings(EXAMPLE)
    assert sorted(missing_env_vars(settings)) == sorted(NAMED)


def test_example_values_the_loader_would_default_are_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """The example writes some defaults out for the reader: they must be the real ones."""
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    example = load_settings(EXAMPLE)
    bare = load_settings(providers=example.providers, models=example.models)
    for section in ("limits", "resilience", "guard", "server", "recorder", "audit", "platform", "metrics"):
        assert getattr(example, section) == getattr(bare, section), section
    assert (example.database, example.log_level) == (bare.database, bare.log_level)


def _production_environment() -> dict[str, str]:
    pem = (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    master = base64.b64encode(secrets.token_bytes(32)).decode()
    return {
        "TRUEPORT_ENVIRONMENT": "production",
        "TRUEPORT_SECRET_KEY": secrets.token_urlsafe(48),
        "TRUEPORT_PLATFORM__JWT_SECRET": secrets.token_urlsafe(48),
        "TRUEPORT_PLATFORM__MASTER_KEYS": f'{{"k1": "{master}"}}',
        "TRUEPORT_PLATFORM__ACTIVE_MASTER_KEY": "k1",
        "TRUEPORT_AUDIT__SIGNING_KEY_PEM": pem,
        "TRUEPORT_ADMIN_TOKEN": secrets.token_urlsafe(32),
    }


def test_example_production_notes_are_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    production = _production_environment()
    for name, value in production.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(EXAMPLE)
    assert settings.environment == "production"
    assert settings.platform.active_master_key == "k1"
    assert settings.audit.signing_key_pem is not None
    for required in (
        "TRUEPORT_SECRET_KEY",
        "TRUEPORT_PLATFORM__JWT_SECRET",
        "TRUEPORT_PLATFORM__MASTER_KEYS",
    ):
        monkeypatch.delenv(required)
        with pytest.raises(ConfigError):
            load_settings(EXAMPLE)
        monkeypatch.setenv(required, production[required])


@pytest.fixture
def upstream() -> Iterator[str]:
    with MockProviderThread(api_key="sk-up") as mock:
        yield mock.url


def _trueport(*args: str, cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "trueport", *args, "--config", str(EXAMPLE)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.slow
def test_serve_accepts_the_example_as_is(tmp_path: Path, upstream: str) -> None:
    """Run from an empty directory, as the example's header says: SQLite file and spools land there."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("TRUEPORT_")}
    env |= {
        "OPENAI_API_KEY": "sk-up",
        "ANTHROPIC_API_KEY": "sk-up",
        "OPENAI_BASE_URL": f"{upstream}/v1",
        "ANTHROPIC_BASE_URL": upstream,
    }
    _trueport("tenants", "create", "acme", cwd=tmp_path, env=env)
    key = _trueport("keys", "create", "--tenant", "acme", cwd=tmp_path, env=env).strip().splitlines()[-1]
    assert key.startswith("tp_")
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "trueport", "serve", "--config", str(EXAMPLE), "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            try:
                ready = httpx.get(f"{url}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        assert ready.json()["status"] == "ready"
        headers = {"Authorization": f"Bearer {key}"}
        for model in ("gpt-4o-mini", "smart"):
            body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
            reply = httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers, timeout=30)
            assert reply.status_code == 200, reply.text
            assert reply.json()["choices"][0]["message"]["content"] == "Echo: hi"
    finally:
        process.terminate()
        process.wait(timeout=60)
    assert (tmp_path / "trueport.db").exists()
    assert (tmp_path / "trueport-audit-spool").is_dir()


def _uncommented_manifests_block(text: str) -> tuple[str, list[str]]:
    """The example with its commented ``manifests:`` block uncommented one level, and that block."""
    lines = text.splitlines()
    start = lines.index("# manifests:")
    end = start + 1
    while end < len(lines) and lines[end].startswith("#   "):
        end += 1
    block = [line.removeprefix("# ") for line in lines[start:end]]
    return "\n".join([*lines[:start], *block, *lines[end:]]) + "\n", block


async def test_the_commented_manifests_section_loads_when_uncommented(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ``manifests:`` block is a working configuration: uncommented with a real key at its path,
    the loader takes it, its defaults are the real ones, and the server's signer opens on it."""
    from trueport.manifests.config import ManifestsConfig
    from trueport.manifests.keys import generate_private_key, private_key_pem
    from trueport.manifests.service import configured_signer

    monkeypatch.setenv("OPENAI_API_KEY", "k")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    assert load_settings(EXAMPLE).manifests == ManifestsConfig()  # commented: the defaults apply
    text, block = _uncommented_manifests_block(EXAMPLE.read_text())
    assert block[0] == "manifests:" and any("signing_key_file:" in line for line in block)
    key_file = tmp_path / "manifest-signing.key"
    key_file.write_bytes(private_key_pem(generate_private_key("ed25519")))
    config = tmp_path / "trueport.yaml"
    config.write_text(text.replace("/run/secrets/manifest-signing.key", str(key_file)))
    manifests = load_settings(config).manifests
    assert manifests.signing_key_file == key_file
    assert manifests.kms is None and manifests.signing_key_pem is None
    defaults = ManifestsConfig()
    assert (manifests.issuer, manifests.validity_hours, manifests.max_file_bytes) == (
        defaults.issuer,
        defaults.validity_hours,
        defaults.max_file_bytes,
    )
    signer = await configured_signer(manifests)
    assert signer is not None and signer.key_id

    # The KMS alternative in the block, uncommented in place of the key file, loads too.
    kms_block = [
        line.replace("  # ", "  ", 1) if line.lstrip().startswith("# ") and ":" in line else line
        for line in block
        if "signing_key_file" not in line and "token:" not in line and "keygen" not in line
    ]
    assert "\n".join(block) in text
    config.write_text(text.replace("\n".join(block), "\n".join(kms_block)))
    kms = load_settings(config).manifests.kms
    assert kms is not None
    assert kms.endpoint == "https://kms-proxy.internal/"
    assert kms.key_id.startswith("arn:aws:kms:")
