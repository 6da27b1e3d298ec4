"""What every ``trueport`` command shares: the ``--config`` option and the settings it names."""

from __future__ import annotations

import importlib
import signal
from typing import Any

import click

from trueport.errors import ConfigError
from trueport.logging import configure_logging
from trueport.settings import CONFIG_PATH_ENV, Settings, load_settings

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar=CONFIG_PATH_ENV,
    help="YAML config file (or $TRUEPORT_CONFIG). Without one, defaults and TRUEPORT_* variables apply.",
)


def command_settings(config_path: str | None) -> Settings:
    """The settings, or a clean command-line error; logging configured as they say (on stderr, so that
    stdout carries only the command's output)."""
    try:
        settings = load_settings(config_path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    configure_logging(settings.log_level, settings.log_format)
    return settings


def exit_cleanly_on_signals() -> None:
    """Make SIGINT (Ctrl+C) and SIGTERM end a long-running command with exit status 0, through its
    ``finally`` blocks (``serve`` stops its recorder in one), without "Aborted!" or a traceback.

    uvicorn handles both while it serves and raises the signal again once it has shut down (drained):
    with the default handlers that would end the process there, by the signal, or become a
    ``KeyboardInterrupt``. This handler raises ``SystemExit(0)`` instead.
    """

    def leave(_signum: int, _frame: object) -> None:
        raise SystemExit(0)

    for signum in STOP_SIGNALS:
        signal.signal(signum, leave)


class TruePortGroup(click.Group):
    """The main group: a ``ConfigError`` from any command (a bad config, a database that lacks
    migrations) is one line on stderr and exit status 1, not a traceback.

    Command groups named in ``lazy`` (``{"audit": "trueport.audit.commands:audit"}``) are imported when
    they are run or listed: ``trueport serve`` and ``trueport recorder`` start without importing every
    other command's dependencies (a second of a process's start-up)."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        where = self.lazy.get(cmd_name)
        if where is not None and cmd_name not in self.commands:
            module, _, attribute = where.partition(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from exc
