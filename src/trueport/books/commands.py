"""``trueport recorder``, and how ``trueport serve`` starts one beside its workers."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import click

from trueport.books.process import run_recorder
from trueport.commandline import command_settings, config_option
from trueport.db.migrate import upgrade_if_behind
from trueport.db.session import is_embedded
from trueport.errors import ConfigError
from trueport.settings import Settings

RUN_ENV = "TRUEPORT_RECORDER__RUN"
_STOP_WAIT_S = 60.0


@click.command()
@config_option
@click.option(
    "--parent-pid",
    type=int,
    default=None,
    hidden=True,
    help="Stop when this process (the trueport serve that started us) is gone.",
)
def recorder(config_path: str | None, parent_pid: int | None) -> None:
    """Keep the books: write what serving processes hand over (records, audit events, roll-ups),
    publish inference events, deliver webhooks. See ARCHITECTURE.md, "Two roles"."""
    settings = command_settings(config_path)
    if is_embedded(settings) and parent_pid is None:  # a serve that starts us has migrated already
        upgrade_if_behind(settings.database_url)
    try:
        asyncio.run(run_recorder(settings, parent_pid=parent_pid))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def starts_recorder(settings: Settings) -> bool:
    """Does ``trueport serve`` start a recorder process (``recorder.run`` auto or process)?"""
    return settings.recorder.run in ("auto", "process")


def start_recorder(config_path: str | None) -> subprocess.Popen[bytes]:
    """A ``trueport recorder`` child for this ``trueport serve``, which stops when we are gone."""
    argv = [sys.executable, "-m", "trueport", "recorder", "--parent-pid", str(os.getpid())]
    if config_path is not None:
        argv += ["--config", os.path.abspath(config_path)]
    # Started with SIGINT ignored: a Ctrl+C reaches the whole process group, and would end a recorder
    # still importing with a traceback; serve stops it once serving ended (stop_recorder).
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return subprocess.Popen(argv)  # noqa: S603 - our own interpreter and module
    finally:
        signal.signal(signal.SIGINT, previous)


def without_recorder(settings: Settings) -> Settings:
    """The settings for serving processes once a recorder process runs: none in their loops."""
    os.environ[RUN_ENV] = "external"  # noqa: TID251 - handed to uvicorn's worker processes
    recorder_config = settings.recorder.model_copy(update={"run": "external"})
    return settings.model_copy(update={"recorder": recorder_config})


def stop_recorder(child: subprocess.Popen[bytes]) -> None:
    """Ask the recorder to stop once serving ended (it puts what waits in the books), then make sure."""
    if child.poll() is not None:
        return
    child.send_signal(signal.SIGUSR1)  # "serving has ended": stop now, not after us
    try:
        child.wait(timeout=_STOP_WAIT_S)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
