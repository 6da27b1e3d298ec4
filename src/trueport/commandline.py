"""What every ``trueport`` command shares: the ``--config`` option and the settings it names."""

from __future__ import annotations

import click

from trueport.errors import ConfigError
from trueport.logging import configure_logging
from trueport.settings import CONFIG_PATH_ENV, Settings, load_settings

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar=CONFIG_PATH_ENV,
    help="YAML config file (or $TRUEPORT_CONFIG). Without one, defaults and TRUEPORT_* variables apply.",
)


def command_settings(config_path: str | None, *, log_to_stderr: bool = False) -> Settings:
    """The settings, or a clean command-line error; optionally logging configured (to stderr, so that
    stdout carries only the command's output)."""
    try:
        settings = load_settings(config_path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if log_to_stderr:
        configure_logging(settings.log_level)
    return settings
