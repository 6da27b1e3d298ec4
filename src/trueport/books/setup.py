"""Building the books' parts from the settings, for a serving process and for a recorder."""

from __future__ import annotations

from trueport.audit.config import AuditConfig
from trueport.audit.log import AuditLog
from trueport.audit.spool import Spool
from trueport.books.handoff import Handoff, SpoolHandoff, StreamHandoff
from trueport.books.intake import BooksIntake
from trueport.books.recorder import Recorder
from trueport.books.sources import Source, SpoolSource, StreamSource
from trueport.books.status import FileBoard, RedisBoard, StatusBoard
from trueport.db.engine import SessionFactory
from trueport.events.bus import EventBus
from trueport.settings import Settings
from trueport.state.resp import parse_url
from trueport.usage.pricing import TenantPrices
from trueport.usage.writer import RecordWriter


def recorder_in_process(settings: Settings) -> bool:
    """Does a serving process run the recorder in its own event loop? (``trueport serve`` sets
    ``recorder.run: external`` for its workers when it starts the recorder process itself.)"""
    return settings.recorder.run in ("auto", "in_process")


def background_jobs_here(settings: Settings) -> bool:
    """Do serving processes run the webhook deliverer and the budget resetter?

    Not when a recorder process runs them for the installation: that needs the shared event bus and
    state (``redis``). Without Redis each process's bus is its own, so each delivers its own events.
    """
    return recorder_in_process(settings) or settings.redis is None


def _redis_timeout_s(settings: Settings) -> float:
    return max(settings.redis_timeout_ms / 1000, 1.0)


def _audit(settings: Settings) -> AuditConfig:
    return settings.audit


def handoff_of(settings: Settings) -> Handoff:
    config = settings.recorder
    options: dict[str, float | int] = {
        "flush_interval_s": config.flush_interval_ms / 1000,
        "batch_size": config.batch_size * 2,
    }
    spool_dir = _audit(settings).spool_dir
    if config.handoff == "redis":
        assert settings.redis is not None  # checked by the settings
        return StreamHandoff(
            parse_url(settings.redis), spool_dir, timeout_s=_redis_timeout_s(settings), **options
        )
    return SpoolHandoff(spool_dir, **options)


def board_of(settings: Settings) -> StatusBoard:
    if settings.recorder.handoff == "redis":
        assert settings.redis is not None
        return RedisBoard(parse_url(settings.redis), timeout_s=_redis_timeout_s(settings))
    return FileBoard(_audit(settings).spool_dir)


def source_of(settings: Settings) -> Source:
    config = settings.recorder
    if config.handoff == "redis":
        assert settings.redis is not None
        return StreamSource(
            parse_url(settings.redis),
            timeout_s=_redis_timeout_s(settings),
            member=config.member,
            claim_idle_s=config.claim_idle_s,
        )
    return SpoolSource(_audit(settings).spool_dir)


def recorder_of(
    settings: Settings, sessions: SessionFactory, prices: TenantPrices, events: EventBus | None
) -> Recorder:
    audit = _audit(settings)
    records = RecordWriter(
        sessions,
        prices,
        batch_size=settings.recorder.batch_size,
        flush_interval_s=settings.recorder.flush_interval_ms / 1000,  # unused: write_now only
        max_pending=settings.recorder.batch_size,
    )
    log = AuditLog(sessions, Spool(audit.spool_dir), db_timeout_s=audit.db_timeout_s)  # its commits only
    return Recorder(
        source_of(settings),
        sessions,
        records,
        log,
        events=events,
        board=board_of(settings),
        batch_size=settings.recorder.batch_size,
        interval_s=settings.recorder.interval_ms / 1000,
    )


def intake_of(
    settings: Settings, handoff: Handoff, prices: TenantPrices, recorder: Recorder | None
) -> BooksIntake:
    return BooksIntake(
        handoff,
        prices,
        recorder=recorder,
        board=None if recorder is not None else board_of(settings),
    )
