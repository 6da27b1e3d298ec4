"""A configuration whose feature needs an optional extra that is not installed is refused when it
loads, in one sentence naming the extra (``trueport.extras``).

The development environment has every extra, so their absence is simulated: in process, by putting
``None`` in ``sys.modules`` for the extra's packages (an import of them then raises ImportError, as
in an install without them); end to end, by a child ``trueport serve`` whose import system refuses
the extras' top-level packages.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from trueport import extras
from trueport.errors import ConfigError
from trueport.settings import load_settings

# Every top-level package of every extra (what a plain `pip install trueport` lacks).
EXTRA_PACKAGES = ("asyncpg", "redis", "boto3", "botocore", "google", "opentelemetry")
ALL_EXTRAS = (extras.POSTGRES, extras.REDIS, extras.AWS, extras.VERTEX, extras.OTEL)


def _uninstall(monkeypatch: pytest.MonkeyPatch, *missing: extras.Extra) -> None:
    """Make the extras' packages unimportable for this test (sys.modules is restored after it)."""
    for extra in missing:
        for module in extra.modules:
            parts = module.split(".")
            for depth in range(1, len(parts) + 1):
                monkeypatch.setitem(sys.modules, ".".join(parts[:depth]), None)


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "trueport.yaml"
    path.write_text(textwrap.dedent(text))
    return path


EVERYTHING = """
database: postgresql://trueport@db.example/trueport
redis: redis://cache.example:6379/0
providers:
  oa: {type: openai, base_url: 'http://127.0.0.1:9/v1', api_key: sk-test}
  br: {type: bedrock, region: eu-west-1}
  vx: {type: vertex, project: acme-prod-1, location: europe-west4}
models:
  m: [{provider: oa, model: gpt-4o-mini}]
audit:
  archive_s3: {bucket: trueport-audit, region: eu-west-1}
tracing: {enabled: true}
"""


def test_with_every_extra_installed_everything_loads(tmp_path: Path) -> None:
    settings = load_settings(_config(tmp_path, EVERYTHING))
    assert {extra.name for _, extra in extras.needed(settings)} == {extra.name for extra in ALL_EXTRAS}
    assert extras.missing(settings) == []


@pytest.mark.parametrize(
    ("extra", "feature"),
    [
        (extras.POSTGRES, "database: PostgreSQL"),
        (extras.REDIS, "redis"),
        (extras.AWS, "provider 'br' (bedrock, AWS credential chain)"),
        (extras.VERTEX, "provider 'vx' (vertex)"),
        (extras.OTEL, "tracing.enabled"),
    ],
)
def test_one_missing_extra_is_named_in_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: extras.Extra, feature: str
) -> None:
    _uninstall(monkeypatch, extra)
    with pytest.raises(extras.MissingExtra) as caught:
        load_settings(_config(tmp_path, EVERYTHING))
    message = str(caught.value)
    assert isinstance(caught.value, ConfigError)  # so every command prints it as one line, exit 1
    assert "\n" not in message
    assert f"needs the TruePort extra {extra.name!r}, which is not installed" in message
    assert f"{feature} needs {extra.name!r}" in message
    assert f"pip install 'trueport[{extra.name}]'" in message
    others = {e.name for e in ALL_EXTRAS} - {extra.name}
    assert not [name for name in others if f"needs {name!r}" in message], message


def test_the_s3_archive_needs_aws_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _uninstall(monkeypatch, extras.AWS)
    config = _config(
        tmp_path,
        """
        audit:
          archive_s3: {bucket: trueport-audit, region: eu-west-1}
        """,
    )
    with pytest.raises(extras.MissingExtra, match=r"audit\.archive_s3 needs 'aws'.*trueport\[aws\]"):
        load_settings(config)


def test_several_missing_extras_are_one_sentence_with_one_install_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _uninstall(monkeypatch, *ALL_EXTRAS)
    with pytest.raises(extras.MissingExtra) as caught:
        load_settings(_config(tmp_path, EVERYTHING))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        "this configuration needs the TruePort extras 'postgres', 'redis', 'aws', 'vertex', 'otel', "
        "which are not installed ("
    )
    assert "audit.archive_s3 needs 'aws'" in message  # every feature is named, each extra once below
    assert message.endswith(
        "pip install 'trueport[postgres,redis,aws,vertex,otel]' (or 'trueport[server]' for all of them)"
    )


def test_the_embedded_default_and_bedrock_with_keys_need_no_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _uninstall(monkeypatch, *ALL_EXTRAS)
    config = _config(
        tmp_path,
        """
        database: sqlite:///./t.db
        providers:
          oa: {type: openai, base_url: 'http://127.0.0.1:9/v1', api_key: sk-test}
          an: {type: anthropic, base_url: 'http://127.0.0.1:9', api_key: sk-test}
          ge: {type: gemini, base_url: 'http://127.0.0.1:9', api_key: sk-test}
          br: {type: bedrock, region: eu-west-1, access_key_id: AKIDEXAMPLE, secret_access_key: s}
        models:
          m: [{provider: oa, model: gpt-4o-mini}]
        """,
    )
    settings = load_settings(config)
    assert extras.needed(settings) == []


CHILD = textwrap.dedent(
    """
    import sys

    class Uninstalled:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {blocked!r}:
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
            return None

    sys.meta_path.insert(0, Uninstalled())
    for name in list(sys.modules):
        if name.split(".")[0] in {blocked!r}:
            del sys.modules[name]

    from trueport.cli import main

    sys.argv = ["trueport", *sys.argv[1:]]
    main()
    """
)


def test_serve_without_the_postgres_extra_exits_with_the_sentence(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        """
        database: postgresql://trueport@127.0.0.1:9/trueport
        providers: {oa: {type: openai, base_url: 'http://127.0.0.1:9/v1', api_key: sk-test}}
        models: {m: [{provider: oa, model: gpt-4o-mini}]}
        """,
    )
    result = subprocess.run(
        [sys.executable, "-c", CHILD.format(blocked=EXTRA_PACKAGES), "serve", "--config", str(config)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [
        "Error: this configuration needs the TruePort extra 'postgres', which is not installed "
        "(database: PostgreSQL needs 'postgres'): pip install 'trueport[postgres]' "
        "(or 'trueport[server]' for all of them)"
    ], result.stderr
    assert "Traceback" not in result.stderr


async def test_bedrock_with_keys_calls_without_botocore(monkeypatch: pytest.MonkeyPatch) -> None:
    """With explicit keys the adapter signs by itself: a call through the emulator (which checks the
    signature) succeeds while botocore cannot be imported."""
    import aiohttp

    from trueport.mockprovider import MockProvider
    from trueport.mockprovider.sigv4 import MOCK_ACCESS_KEY_ID, MOCK_SECRET_ACCESS_KEY
    from trueport.settings import ProviderConfig

    _uninstall(monkeypatch, extras.AWS)
    for module in ("trueport.providers.bedrock", "trueport.providers.aws_signing"):
        monkeypatch.delitem(sys.modules, module, raising=False)  # imported afresh, without botocore
    with pytest.raises(ImportError):
        import botocore  # noqa: F401
    from trueport.providers.bedrock import BedrockAdapter

    async with MockProvider() as mock, aiohttp.ClientSession() as http:
        config = ProviderConfig(
            type="bedrock",
            region="us-east-1",
            base_url=mock.url,
            access_key_id=MOCK_ACCESS_KEY_ID,
            secret_access_key=MOCK_SECRET_ACCESS_KEY,
        )
        answer = await BedrockAdapter("br", config, http).chat(
            {"messages": [{"role": "user", "content": "Hello"}]}, "anthropic.claude-3-5-haiku-20241022-v1:0"
        )
    assert answer.body["choices"][0]["message"]["content"] == "Echo: Hello"
