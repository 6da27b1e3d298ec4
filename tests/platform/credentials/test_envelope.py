"""Envelope encryption: a secret opens only with its context, its key, and untouched bytes."""

from __future__ import annotations

import secrets

import pytest

from trueport.platform.credentials.envelope import Envelope, EnvelopeError, MasterKeyMissing, Sealed
from trueport.platform.credentials.sealing import credential_context, secret_hint

K1, K2 = secrets.token_bytes(32), secrets.token_bytes(32)
CONTEXT = credential_context("tenant-a", "cred-1", "https://api.example.com/v1")


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 1]) + data[index + 1 :]


def test_round_trip_and_a_fresh_data_key_each_time() -> None:
    envelope = Envelope({"k1": K1}, "k1")
    first = envelope.seal(b"sk-secret", context=CONTEXT)
    second = envelope.seal(b"sk-secret", context=CONTEXT)
    assert envelope.open(first, context=CONTEXT) == b"sk-secret"
    assert first.master_key_id == "k1"
    assert b"sk-secret" not in first.ciphertext + first.wrapped_key
    assert first.ciphertext != second.ciphertext and first.wrapped_key != second.wrapped_key


@pytest.mark.parametrize(
    "other",
    [
        credential_context("tenant-b", "cred-1", "https://api.example.com/v1"),
        credential_context("tenant-a", "cred-2", "https://api.example.com/v1"),
        credential_context("tenant-a", "cred-1", "https://evil.example.net/v1"),
    ],
    ids=["other-tenant", "other-row", "other-url"],
)
def test_another_context_does_not_open(other: bytes) -> None:
    envelope = Envelope({"k1": K1}, "k1")
    sealed = envelope.seal(b"sk-secret", context=CONTEXT)
    with pytest.raises(EnvelopeError):
        envelope.open(sealed, context=other)


def test_tampered_ciphertext_or_wrapped_key_does_not_open() -> None:
    envelope = Envelope({"k1": K1}, "k1")
    sealed = envelope.seal(b"sk-secret", context=CONTEXT)
    for index in (0, 12, len(sealed.ciphertext) - 1):
        broken = Sealed(_flip(sealed.ciphertext, index), sealed.wrapped_key, "k1")
        with pytest.raises(EnvelopeError, match="altered or moved"):
            envelope.open(broken, context=CONTEXT)
    broken = Sealed(sealed.ciphertext, _flip(sealed.wrapped_key, 20), "k1")
    with pytest.raises(EnvelopeError, match="altered or moved"):
        envelope.open(broken, context=CONTEXT)


def test_a_wrapped_key_swapped_between_records_does_not_open() -> None:
    envelope = Envelope({"k1": K1}, "k1")
    other_context = credential_context("tenant-a", "cred-2", "https://api.example.com/v1")
    mine = envelope.seal(b"sk-mine", context=CONTEXT)
    theirs = envelope.seal(b"sk-theirs", context=other_context)
    with pytest.raises(EnvelopeError):
        envelope.open(Sealed(theirs.ciphertext, mine.wrapped_key, "k1"), context=CONTEXT)


def test_rewrap_under_a_new_master_key_keeps_the_plaintext_and_the_ciphertext() -> None:
    old = Envelope({"k1": K1}, "k1")
    sealed = old.seal(b"sk-secret", context=CONTEXT)
    rotated = Envelope({"k1": K1, "k2": K2}, "k2")
    rewrapped = rotated.rewrap(sealed, context=CONTEXT)
    assert rewrapped.master_key_id == "k2"
    assert rewrapped.ciphertext == sealed.ciphertext
    assert rewrapped.wrapped_key != sealed.wrapped_key
    assert Envelope({"k2": K2}, "k2").open(rewrapped, context=CONTEXT) == b"sk-secret"
    assert rotated.rewrap(rewrapped, context=CONTEXT) is rewrapped  # already under the active key


def test_an_edited_master_key_id_does_not_open_under_another_key() -> None:
    envelope = Envelope({"k1": K1, "k2": K1}, "k1")  # even the same bytes under another name
    sealed = envelope.seal(b"sk-secret", context=CONTEXT)
    with pytest.raises(EnvelopeError):
        envelope.open(Sealed(sealed.ciphertext, sealed.wrapped_key, "k2"), context=CONTEXT)


def test_a_removed_master_key_gives_a_clear_error() -> None:
    sealed = Envelope({"k1": K1}, "k1").seal(b"sk-secret", context=CONTEXT)
    with pytest.raises(MasterKeyMissing) as caught:
        Envelope({"k2": K2}, "k2").open(sealed, context=CONTEXT)
    assert "'k1'" in caught.value.message and "platform.master_keys" in caught.value.message
    assert caught.value.status == 503 and caught.value.code == "master_key_missing"


def test_keys_are_checked_and_never_printed() -> None:
    with pytest.raises(ValueError, match="active master key"):
        Envelope({"k1": K1}, "k2")
    with pytest.raises(ValueError, match="32 bytes"):
        Envelope({"k1": b"short"}, "k1")
    envelope = Envelope({"k1": K1}, "k1")
    assert K1.hex() not in repr(envelope) and repr(K1) not in repr(envelope)
    assert "sk-secret" not in repr(envelope.seal(b"sk-secret", context=CONTEXT))


def test_secret_hint_shows_the_last_four_characters_of_long_keys_only() -> None:
    assert secret_hint("sk-0123456789abcdWXYZ") == "…WXYZ"
    assert secret_hint("sk-12345678") == ""  # 11 characters
    assert secret_hint("sk-123456789") == "…6789"  # 12
