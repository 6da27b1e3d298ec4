"""How a ``ProviderCredential`` row holds its sealed API key, and what the seal is bound to.

The context binds the secret to its tenant, its row and the URL it is sent to: a ciphertext moved
to another row or tenant does not open, and neither does one whose ``base_url`` was edited in the
database behind the API's back (the key would otherwise be sent to wherever the URL now points).
Changing ``base_url`` (or ``type``) through the API needs the key again, which is sealed anew.
"""

from __future__ import annotations

from pydantic import SecretStr

from trueport.db.models import ProviderCredential
from trueport.platform.credentials.envelope import Envelope, Sealed

_HINT_MIN_LENGTH = 12


def credential_context(tenant_id: str, credential_id: str, base_url: str) -> bytes:
    return f"trueport:provider-credential:v1\x00{tenant_id}\x00{credential_id}\x00{base_url}".encode()


def context_of(row: ProviderCredential) -> bytes:
    return credential_context(row.tenant_id, row.id, row.base_url)


def sealed_of(row: ProviderCredential) -> Sealed:
    return Sealed(row.ciphertext, row.wrapped_key, row.master_key_id)


def store_sealed(row: ProviderCredential, sealed: Sealed) -> None:
    row.ciphertext, row.wrapped_key, row.master_key_id = (
        sealed.ciphertext,
        sealed.wrapped_key,
        sealed.master_key_id,
    )


def seal_api_key(envelope: Envelope, row: ProviderCredential, api_key: SecretStr) -> None:
    """Seal ``api_key`` into ``row`` (its tenant, id and base_url must be set) under a new data key.

    Keys travel as ``SecretStr`` so that no repr, log line or traceback's locals can show them.
    """
    store_sealed(row, envelope.seal(api_key.get_secret_value().encode(), context=context_of(row)))
    row.secret_hint = secret_hint(api_key.get_secret_value())


def open_api_key(envelope: Envelope, row: ProviderCredential) -> SecretStr:
    return SecretStr(envelope.open(sealed_of(row), context=context_of(row)).decode())


def secret_hint(api_key: str) -> str:
    """The last four characters, to tell keys apart; nothing for a key too short to spare them."""
    return "…" + api_key[-4:] if len(api_key) >= _HINT_MIN_LENGTH else ""
