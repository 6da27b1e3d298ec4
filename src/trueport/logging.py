"""Logs: structlog, always on stderr, one format per process.

``json`` writes one JSON object per line (for collectors); ``console`` writes readable
``timestamp [level] event key=value`` lines (coloured on a terminal); ``auto`` picks ``console`` when
stderr is a terminal and ``json`` otherwise. The standard library's loggers (uvicorn, aiohttp,
alembic, ...) are rendered by the same renderer, so that a process never mixes two formats. stdout
is left alone: commands whose stdout is a result (``trueport keys create``) write only that there.
Context such as ``request_id`` is bound once per call (structlog contextvars).
"""

from __future__ import annotations

import logging
import sys
from typing import Literal, TextIO, cast

import structlog
from structlog.typing import Processor

LogFormat = Literal["auto", "json", "console"]
LogLevel = Literal["debug", "info", "warning", "error"]

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


class _Stderr:
    """``sys.stderr`` as it is when a line is written, not when logging was configured (test runners
    and ``click.testing`` swap it, then close what they swapped in)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


_STDERR = _Stderr()

CACHE_LOGGERS = True
"""structlog's ``cache_logger_on_first_use``: on in every process; the test suite turns it off, so that a
command run in-process cannot pin a logger to its configuration and hide it from a later capture."""
_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """Ours on the root logger: replaced when logging is configured again; others' (pytest's) stay."""


def resolved_format(log_format: LogFormat) -> Literal["json", "console"]:
    """``auto`` made concrete: ``console`` when stderr is a terminal, else ``json``."""
    if log_format != "auto":
        return log_format
    return "console" if sys.stderr.isatty() else "json"


def configure_logging(level: LogLevel = "info", log_format: LogFormat = "auto") -> None:
    """Send structlog's and the standard library's records to stderr, in one format."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Processor
    if resolved_format(log_format) == "json":
        shared.append(structlog.processors.format_exc_info)
        renderer = structlog.processors.JSONRenderer()
    else:  # the console renderer lays tracebacks out itself
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        logger_factory=structlog.PrintLoggerFactory(file=cast(TextIO, _STDERR)),
        cache_logger_on_first_use=CACHE_LOGGERS,
    )
    handler = _Handler(cast(TextIO, _STDERR))
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    for previous in [each for each in root.handlers if isinstance(each, _Handler)]:
        root.removeHandler(previous)
    root.addHandler(handler)
    # uvicorn's own logging config (applied by any uvicorn.Config made with its default log_config, in
    # this process before) gives its loggers handlers of their own and stops them propagating: undo it,
    # so their records reach ours and are rendered the same way.
    for name in _UVICORN_LOGGERS:
        library = logging.getLogger(name)
        library.handlers.clear()
        library.propagate = True
    root.setLevel(max(_LEVELS[level], logging.WARNING))  # libraries' info is noise; ours is structlog's
