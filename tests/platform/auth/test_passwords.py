"""The password hasher's stand-in hash for accounts that do not exist."""

from __future__ import annotations

from argon2 import PasswordHasher
from tests.platform.auth.signin import FAST_HASHER

from trueport.platform.auth.passwords import Passwords


def test_the_stand_in_hash_has_the_parameters_of_real_ones() -> None:
    # Verifying against it costs what a real check costs: an unknown e-mail is refused as slowly.
    assert not PasswordHasher().check_needs_rehash(Passwords(1).dummy_hash)
    assert not FAST_HASHER.check_needs_rehash(Passwords(1, hasher=FAST_HASHER).dummy_hash)
    assert PasswordHasher().check_needs_rehash(Passwords(1, hasher=FAST_HASHER).dummy_hash)


async def test_no_password_opens_an_account_without_a_hash() -> None:
    passwords = Passwords(1, hasher=FAST_HASHER)
    assert await passwords.verify(None, "correct horse battery staple") is False
    real = await passwords.hash("correct horse battery staple")
    assert await passwords.verify(real, "correct horse battery staple") is True
