"""A database error's message never carries the statement's parameters (they hold sealed secrets)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from trueport.db.engine import create_engine, session_factory
from trueport.db.migrate import upgrade_to_head
from trueport.db.models import Tenant
from trueport.settings import async_database_url


async def test_errors_hide_the_parameters(database_url: str) -> None:
    url = async_database_url(database_url)
    await asyncio.to_thread(upgrade_to_head, url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    row = {"id": "t1", "slug": "sealed-secret-value-123", "name": "n"}
    try:
        async with sessions() as session:
            await session.execute(insert(Tenant), [row])
            await session.commit()
        with pytest.raises(IntegrityError) as raised:
            async with sessions() as session:
                await session.execute(insert(Tenant), [row])
                await session.commit()
    finally:
        await engine.dispose()
    assert "sealed-secret-value-123" not in str(raised.value)
    assert "hidden" in str(raised.value)
