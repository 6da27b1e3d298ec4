"""``type: vertex`` providers in the settings: project, location, endpoint and credentials."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from trueport.platform.credentials.schemas import CredentialCreate
from trueport.settings import ProviderConfig


def vertex(**values: Any) -> ProviderConfig:
    return ProviderConfig.model_validate(
        {"type": "vertex", "project": "acme-prod-1", "location": "europe-west4", **values}
    )


def test_the_location_names_the_endpoint_unless_overridden() -> None:
    assert vertex().base_url == "https://europe-west4-aiplatform.googleapis.com"
    assert vertex(location="us-central1").base_url == "https://us-central1-aiplatform.googleapis.com"
    assert vertex(location="global").base_url == "https://aiplatform.googleapis.com"
    assert vertex(base_url="http://127.0.0.1:8080/").base_url == "http://127.0.0.1:8080"


def test_credentials_file_and_publisher() -> None:
    config = vertex(credentials_file="/etc/trueport/sa.json", publisher="anthropic")
    assert str(config.credentials_file) == "/etc/trueport/sa.json" and config.publisher == "anthropic"
    assert vertex().credentials_file is None  # application default credentials


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"location": None}, "need location"),
        ({"location": "Europe West"}, "need location"),
        ({"location": "europe-west4", "base_url": "http://x.test", "project": None}, "need project"),
        ({"project": "Acme Prod"}, "need project"),
        ({"api_key": "k"}, "not api_key"),
        ({"publisher": "meta"}, "publisher"),
        ({"base_url": "https://user:pw@vertex.example.com"}, "user name"),
        ({"base_url": "https://vertex.example.com/?x=1"}, "query"),
        ({"base_url": "ftp://vertex.example.com"}, "http"),
    ],
)
def test_unusable_vertex_settings_are_refused(values: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        vertex(**values)


def test_vertex_settings_belong_to_vertex_only() -> None:
    with pytest.raises(ValidationError, match="vertex providers only"):
        ProviderConfig(
            type="gemini", base_url="https://generativelanguage.googleapis.com", location="us-central1"
        )


def test_a_tenant_cannot_bring_a_vertex_credential() -> None:
    """Without a key file of its own, a vertex adapter would use the installation's Google identity."""
    with pytest.raises(ValidationError):
        CredentialCreate.model_validate(
            {"name": "v", "type": "vertex", "base_url": "https://x.test", "api_key": "k"}
        )
