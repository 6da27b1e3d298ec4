"""A subscription's signing secret, envelope-encrypted and bound to its tenant and subscription.

A sealed secret copied onto another subscription's row (or another tenant's) does not open.
"""

from __future__ import annotations

from trueport.db.models import WebhookSubscription
from trueport.platform.credentials.envelope import Envelope, Sealed


def secret_context(row: WebhookSubscription) -> bytes:
    return f"trueport:webhook-secret:v1\x00{row.tenant_id}\x00{row.id}".encode()


def seal_secret(envelope: Envelope, row: WebhookSubscription, secret: str) -> None:
    """Seal ``secret`` into ``row`` (its tenant and id must be set)."""
    sealed = envelope.seal(secret.encode(), context=secret_context(row))
    row.ciphertext, row.wrapped_key, row.master_key_id = (
        sealed.ciphertext,
        sealed.wrapped_key,
        sealed.master_key_id,
    )


def open_secret(envelope: Envelope, row: WebhookSubscription) -> str:
    sealed = Sealed(row.ciphertext, row.wrapped_key, row.master_key_id)
    return envelope.open(sealed, context=secret_context(row)).decode()
