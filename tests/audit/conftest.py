"""Fixtures of the audit tests: a migrated database (SQLite and PostgreSQL) and a signing key."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from support.migrated import upgrade_empty_to_head
from trueport.audit.signing import KeyRing
from trueport.db.engine import SessionFactory, create_engine, session_factory
from trueport.settings import async_database_url


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    url = async_database_url(database_url)
    await asyncio.to_thread(upgrade_empty_to_head, url)
    engine = create_engine(url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
def keyring() -> KeyRing:
    return KeyRing(Ed25519PrivateKey.generate())
