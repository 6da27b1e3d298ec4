"""Settings: the YAML format of the contract, ${ENV} interpolation, env overrides, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from trueport.errors import ConfigError
from trueport.settings import async_database_url, load_settings, missing_env_vars

CONTRACT_YAML = """
database: sqlite:///./trueport.db            # or postgresql://user:pass@host:5432/db
redis: redis://127.0.0.1:6379/0              # optional; used by later issues
providers:
  oa: {type: openai, base_url: "https://api.openai.com/v1", api_key: "${OPENAI_API_KEY}"}
  an: {type: anthropic, base_url: "https://api.anthropic.com", api_key: "${ANTHROPIC_API_KEY}"}
  ge: {type: gemini, base_url: "https://generativelanguage.googleapis.com", api_key: "${GEMINI_API_KEY}"}
  az: {type: azure_openai, base_url: "https://NAME.openai.azure.com", api_key: "${AZURE_OPENAI_API_KEY}", api_version: "2024-10-21"}
models:
  gpt-4o-mini: [{provider: oa, model: gpt-4o-mini}]
  smart: [{provider: an, model: claude-sonnet-4-5}, {provider: oa, model: gpt-4o}]   # tried in this order
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "trueport.yaml"
    path.write_text(text)
    return path


def test_contract_config_loads_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant")
    monkeypatch.setenv("GEMINI_API_KEY", "g-key")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "az-key")
    settings = load_settings(write(tmp_path, CONTRACT_YAML))
    assert settings.providers["oa"].api_key.get_secret_value() == "sk-openai"
    assert settings.providers["az"].api_version == "2024-10-21"
    assert [t.provider for t in settings.models["smart"].targets] == ["an", "oa"]
    assert settings.redis == "redis://127.0.0.1:6379/0"
    assert missing_env_vars(settings) == ()
    assert "sk-openai" not in repr(settings)  # secrets never printed


def test_unset_variables_are_reported_not_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "AZURE_OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(write(tmp_path, CONTRACT_YAML))
    assert set(missing_env_vars(settings)) == {
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "GEMINI_API_KEY",
        "AZURE_OPENAI_API_KEY",
    }


def test_defaults_in_interpolation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TP_TEST_DB", raising=False)
    settings = load_settings(write(tmp_path, "database: ${TP_TEST_DB:-sqlite:///x.db}\n"))
    assert settings.database == "sqlite:///x.db"


def test_interpolation_reads_values_not_comments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TP_TEST_COMMENTED", raising=False)
    monkeypatch.setenv("TP_TEST_MAX_BODY", "4096")
    monkeypatch.setenv("TP_TEST_LEVEL", "debug\nenvironment: production")  # cannot add a key
    text = (
        "# api_key: ${TP_TEST_COMMENTED}\n"
        "log_level: '${TP_TEST_LEVEL}'   # ${TP_TEST_COMMENTED}\n"
        "limits:\n  max_body_bytes: ${TP_TEST_MAX_BODY}\n"
    )
    with pytest.raises(ConfigError, match="log_level"):  # one odd string, not a second key
        load_settings(write(tmp_path, text))
    settings = load_settings(write(tmp_path, text.replace("${TP_TEST_LEVEL}", "info")))
    assert settings.limits.max_body_bytes == 4096  # a plain scalar is typed after replacement
    assert settings.environment == "development"
    assert missing_env_vars(settings) == ()  # the commented reference is not reported


def test_an_unquoted_reference_in_a_flow_mapping_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"must be quoted"):
        load_settings(write(tmp_path, "limits: {max_body_bytes: ${TP_TEST_MAX_BODY}}\n"))


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUEPORT_DATABASE", "postgresql://u:p@db:5432/tp")
    monkeypatch.setenv("TRUEPORT_LIMITS__MAX_BODY_BYTES", "1234")
    settings = load_settings(write(tmp_path, "database: sqlite:///x.db\n"))
    assert settings.database == "postgresql://u:p@db:5432/tp"
    assert settings.limits.max_body_bytes == 1234
    assert settings.database_url == "postgresql+asyncpg://u:p@db:5432/tp"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("models:\n  a: [{provider: nope, model: x}]\n", "unknown provider"),
        ("providers:\n  p: {type: azure_openai, base_url: 'https://x'}\n", "api_version"),
        ("providers:\n  p: {type: openai, base_url: 'ftp://x'}\n", "http"),
        ("providers:\n  p: {type: bedrockish, base_url: 'https://x'}\n", "type"),
        ("unknown_setting: 1\n", "unknown_setting"),
        ("secret_key: short\n", "32 bytes"),
        ("environment: production\n", "secret_key is required"),
        ("- a list\n", "mapping"),
        ("database: [unclosed\n", "YAML"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        load_settings(write(tmp_path, text))


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "absent.yaml")


def test_database_urls() -> None:
    assert async_database_url("sqlite:///./a.db") == "sqlite+aiosqlite:///./a.db"
    assert async_database_url("postgres://u@h/d") == "postgresql+asyncpg://u@h/d"
    with pytest.raises(ConfigError):
        async_database_url("mysql://x")
