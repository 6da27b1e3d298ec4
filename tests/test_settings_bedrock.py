"""``type: bedrock`` providers in the settings: region, endpoint, and the ways to authenticate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from trueport.platform.credentials.schemas import CredentialCreate
from trueport.settings import ProviderConfig


def bedrock(**values: Any) -> ProviderConfig:
    return ProviderConfig.model_validate({"type": "bedrock", "region": "eu-west-1", **values})


def test_the_region_names_the_endpoint_unless_overridden() -> None:
    assert bedrock().base_url == "https://bedrock-runtime.eu-west-1.amazonaws.com"
    assert bedrock(base_url="https://vpce-1.bedrock-runtime.eu-west-1.vpce.amazonaws.com/").base_url == (
        "https://vpce-1.bedrock-runtime.eu-west-1.vpce.amazonaws.com"
    )
    assert bedrock(base_url="http://127.0.0.1:8080").base_url == "http://127.0.0.1:8080"


def test_explicit_keys_are_secrets_and_go_together() -> None:
    config = bedrock(access_key_id="AKIA1", secret_access_key="s3cr3t", session_token="t0k3n")
    assert "s3cr3t" not in repr(config) and "t0k3n" not in repr(config)
    assert bedrock(profile="prod").profile == "prod"


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"region": None}, "need region"),
        ({"region": "Europe"}, "need region"),
        ({"access_key_id": "AKIA1"}, "go together"),
        ({"session_token": "t"}, "session_token needs"),
        ({"profile": "p", "access_key_id": "A", "secret_access_key": "s"}, "either a profile"),
        ({"api_key": "k"}, "not api_key"),
        ({"base_url": "https://user:pw@bedrock.example.com"}, "user name"),
        ({"base_url": "https://bedrock.example.com/?x=1"}, "query"),
        ({"base_url": "ftp://bedrock.example.com"}, "http"),
    ],
)
def test_unusable_bedrock_settings_are_refused(values: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        bedrock(**values)


def test_aws_settings_belong_to_bedrock_only() -> None:
    with pytest.raises(ValidationError, match="bedrock providers only"):
        ProviderConfig(type="openai", base_url="https://api.openai.com/v1", access_key_id="AKIA1")


def test_a_tenant_cannot_bring_a_bedrock_credential() -> None:
    """Without keys of its own, a bedrock adapter signs with the installation's AWS identity."""
    with pytest.raises(ValidationError):
        CredentialCreate.model_validate(
            {
                "name": "aws",
                "type": "bedrock",
                "base_url": "https://bedrock-runtime.us-east-1.amazonaws.com",
                "api_key": "k",
            }
        )


def test_the_example_configs_bedrock_line_is_valid() -> None:
    example = Path(__file__).resolve().parents[1] / "trueport.example.yaml"
    [line] = [line for line in example.read_text().splitlines() if "type: bedrock" in line]
    entry = yaml.safe_load(line.strip().removeprefix("#"))
    assert (
        ProviderConfig.model_validate(entry["br"]).base_url
        == "https://bedrock-runtime.us-east-1.amazonaws.com"
    )
