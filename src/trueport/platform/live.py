"""Live configuration: a change made through the API reaches every gateway replica within seconds.

Gateways answer requests from in-process snapshots (the key cache, tenant routing, ...), never from a
database query per request. This module tells them when to rebuild those snapshots:

- ``LiveConfig`` (control plane): ``bump`` raises the installation's *configuration generation* (a
  counter in ``installation_settings``) inside the transaction that makes the change; after the
  commit, ``announce`` publishes the new number on the shared state's pub/sub (Redis between
  replicas, the in-process bus in embedded mode).
- ``ConfigWatcher`` (gateway): runs its reloaders when a message names a generation newer than the
  one it applied, when its subscription says messages were lost (``resync``), or when a poll of the
  generation (one tiny query every ``platform.live_config_poll_s``, in the background) finds it moved.

Why both push and poll: pub/sub is fire and forget, so a message published while a replica was
reconnecting, or while Redis was away, is simply lost; the generation in the database makes the loss
visible at the next poll. Why a generation at all: it says whether anything changed, so an idle poll
costs one primary-key read and no reload.

``bump`` updates one row, so on PostgreSQL the row lock orders concurrent writers (and SQLite has one
writer at a time): generations follow commit order. A replica that read generation G and then
reloaded therefore holds every change committed with a generation up to G.

Worst case before a change is seen: push, milliseconds plus the reload; a lost message, ``poll_s``
plus the reload; push and poll both failing (database unreachable), the snapshots keep serving what
they had, and each component's own safety-net refresh (``key_refresh_interval_s`` for keys) applies
once the database is back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable

import structlog
from sqlalchemy import BigInteger, Text, cast, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.engine import SessionFactory
from trueport.db.models import InstallationSetting
from trueport.state.protocols import Message, State, Subscription

log = structlog.get_logger(__name__)

CHANNEL = "trueport:config"
GENERATION_SETTING = "config_generation"

Reloader = Callable[[], Awaitable[object]]
"""Rebuilds one in-process snapshot from the database (e.g. ``KeyCache.refresh``); raises on failure."""


class GenerationStore:
    """The two queries on the generation row (``installation_settings.config_generation``)."""

    @staticmethod
    async def bump(session: AsyncSession) -> int:
        """Add one, in the caller's transaction (the row stays locked until it ends); the new value.

        The increment is one UPDATE of the stored text (cast to an integer and back), so concurrent
        writers never read-modify-write the same value. The row is created by the first bump; two
        first bumps at once collide on the primary key, and the loser increments the winner's row.
        """
        increment = (
            update(InstallationSetting)
            .where(InstallationSetting.name == GENERATION_SETTING)
            .values(value=cast(cast(InstallationSetting.value, BigInteger) + 1, Text))
            .returning(InstallationSetting.value)
            .execution_options(synchronize_session=False)
        )
        for _ in range(2):
            value = (await session.execute(increment)).scalar_one_or_none()
            if value is not None:
                return int(value)
            try:
                async with session.begin_nested():
                    session.add(InstallationSetting(name=GENERATION_SETTING, value="1"))
            except IntegrityError:
                continue  # created meanwhile by another transaction (now committed): increment it
            return 1
        raise RuntimeError("the configuration generation row could neither be updated nor created")

    @staticmethod
    async def read(session: AsyncSession) -> int:
        """The current generation; 0 before the first change."""
        value = await session.scalar(
            select(InstallationSetting.value).where(InstallationSetting.name == GENERATION_SETTING)
        )
        return int(value) if value is not None else 0


class LiveConfig:
    """The control plane's half: called by the unit of work of every request that changed config."""

    def __init__(self, state: State, sessions: SessionFactory, *, poll_s: float):
        self._state = state
        self._sessions = sessions
        self.poll_s = poll_s

    async def bump(self, session: AsyncSession) -> int:
        """Raise the configuration generation inside the caller's transaction; the new number."""
        return await GenerationStore.bump(session)

    async def announce(self, generation: int) -> None:
        """Tell every gateway replica (after the commit) that the configuration changed.

        Never raises: the change is committed already, and a message that does not go out is caught
        by the replicas' poll within ``poll_s``.
        """
        try:
            await self._state.pubsub.publish(CHANNEL, str(generation).encode())
        except Exception as exc:  # the request succeeded; the poll makes up for the lost message
            log.warning("config_announce_failed", generation=generation, error=type(exc).__name__)


def _generation(message: Message) -> int | None:
    try:
        return int(message.data)
    except ValueError:
        return None


class ConfigWatcher:
    """The gateway's half: keeps its snapshots at the database's configuration generation.

    ``add(reloader)`` registers a snapshot to rebuild; ``start()`` subscribes, loads everything once
    and starts listening and polling; ``stop()`` undoes that. ``applied`` is the generation whose
    configuration every reloader loaded (None until the first load succeeded).

    A failing reloader (database down) leaves its snapshot as it was; the others still run, and all of
    them run again at the next poll, until one pass succeeds.
    """

    def __init__(
        self, state: State, sessions: SessionFactory, *, poll_s: float, reloaders: Iterable[Reloader] = ()
    ):
        self._state = state
        self._sessions = sessions
        self.poll_s = poll_s
        self._reloaders = list(reloaders)
        self._lock = asyncio.Lock()
        self._stale = True  # the last reload failed (or none ran): reload at the next poll
        self._closing = contextlib.AsyncExitStack()
        self._tasks: list[asyncio.Task[None]] = []
        self.applied: int | None = None
        self.reloads = 0

    def add(self, reloader: Reloader) -> None:
        """Run ``reloader`` whenever the configuration changes (and once at ``start``)."""
        self._reloaders.append(reloader)

    async def start(self) -> None:
        # Subscribe before the first read: a change committed after that read is then either in the
        # read or in a message that is already being queued for us.
        messages = await self._closing.enter_async_context(self._state.pubsub.subscribe(CHANNEL))
        await self.sync()
        self._tasks = [
            asyncio.create_task(self._listen(messages), name="config-watcher-listen"),
            asyncio.create_task(self._poll(), name="config-watcher-poll"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self._closing.aclose()

    async def sync(self, *, force: bool = False) -> bool:
        """Reload if the database's generation differs from the applied one (always with ``force``).

        True if every reloader ran successfully. Never raises: failures are logged and retried by the
        next poll.
        """
        async with self._lock:
            try:
                async with self._sessions() as session:
                    generation = await GenerationStore.read(session)
            except (SQLAlchemyError, OSError) as exc:
                log.warning("config_generation_read_failed", error=type(exc).__name__)
                return False
            if generation == self.applied and not force and not self._stale:
                return False
            self._stale = not await self._reload()
            if self._stale:
                return False
            previous, self.applied = self.applied, generation
            self.reloads += 1
            log.info("config_applied", generation=generation, previous=previous)
            return True

    async def _reload(self) -> bool:
        ok = True
        for reloader in self._reloaders:
            try:
                await reloader()
            except (SQLAlchemyError, OSError) as exc:
                log.warning("config_reload_failed", reloader=_name(reloader), error=type(exc).__name__)
                ok = False
            except Exception:  # a background boundary: one broken reloader must not stop the others
                log.exception("config_reload_failed", reloader=_name(reloader))
                ok = False
        return ok

    async def _listen(self, messages: Subscription) -> None:
        async for message in messages:
            if message.resync:
                await self.sync(force=True)
                continue
            generation = _generation(message)
            if generation is None or self.applied is None or generation > self.applied:
                await self.sync(force=generation is not None)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_s)
            await self.sync()


def _name(reloader: Reloader) -> str:
    return getattr(reloader, "__qualname__", None) or repr(reloader)
