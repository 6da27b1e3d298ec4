"""Breaker states for people: a JSON document for the admin API, and ``trueport providers status``.

Where the command reads the state:

- ``--url URL``: from a running gateway's status endpoint (the document ``providers_status`` builds),
  sending ``--token`` (or ``$TRUEPORT_ADMIN_TOKEN``) as a bearer token if given. Works in every mode.
- otherwise, with ``redis:`` in the config: straight from Redis, where every replica keeps it.
- otherwise (embedded mode) breaker state lives only inside the serving process, so the command says
  so and exits 1: pass ``--url``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import aiohttp
import click
import orjson

from trueport.errors import ConfigError
from trueport.jsonutil import JSONObject, loads_object
from trueport.limits.breaker import BreakerPolicy, BreakerRegistry, BreakerStoreUnavailable
from trueport.settings import CONFIG_PATH_ENV, Settings, load_settings

_CLI_TIMEOUT_S = 5.0
_COLUMNS = ("TARGET", "STATE", "CALLS", "FAIL%", "SLOW%", "CONSEC", "OPENINGS", "OPEN UNTIL (UTC)", "PROBES")


async def providers_status(registry: BreakerRegistry) -> JSONObject:
    """``{"backend": ..., "breakers": [...]}``, one entry per target (``BreakerState.as_json``)."""
    states = await registry.snapshot()
    return {"backend": registry.backend, "breakers": [state.as_json() for state in states]}


def target_labels(settings: Settings) -> list[str]:
    """Every ``provider/model`` the config routes to (fallback targets included), in order, once."""
    labels: dict[str, None] = {}
    for route in settings.models.values():
        for target in route.targets:
            labels[f"{target.provider}/{target.model}"] = None
        fallback = route.fallback
        if fallback is not None and fallback.provider is not None:
            labels[f"{fallback.provider}/{fallback.model}"] = None
    return list(labels)


@click.group("providers")
def providers() -> None:
    """Provider targets and their circuit breakers."""


@providers.command("status")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar=CONFIG_PATH_ENV,
    help="YAML config file (or $TRUEPORT_CONFIG).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON document instead of a table.")
@click.option("--url", help="A running gateway's breaker status endpoint (any mode).")
@click.option("--token", envvar="TRUEPORT_ADMIN_TOKEN", help="Bearer token for --url.")
def status_command(config_path: str | None, as_json: bool, url: str | None, token: str | None) -> None:
    """Circuit breaker state per provider target: from --url, or from Redis when configured."""
    if url is not None:
        document = asyncio.run(_fetch(url, token))
    else:
        try:
            settings = load_settings(config_path)
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from exc
        if settings.redis is None:
            raise click.ClickException(
                "no `redis:` in the config: in embedded mode breaker state lives only inside the "
                "serving process; ask it with --url http://HOST:PORT/<status endpoint>"
            )
        document = asyncio.run(_from_redis(settings, settings.redis))
    if as_json:
        click.echo(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(render_table(document))


async def _from_redis(settings: Settings, redis_url: str) -> JSONObject:
    """Read the shared state directly (a bare store: a Redis failure is an error here, not a fallback)."""
    from redis.asyncio import Redis  # imported here: every command line loads this module

    from trueport.limits.breaker_redis import RedisBreakerStore

    client = Redis.from_url(redis_url, socket_connect_timeout=_CLI_TIMEOUT_S, socket_timeout=_CLI_TIMEOUT_S)
    try:
        store = RedisBreakerStore(client, timeout_s=_CLI_TIMEOUT_S)
        policy = BreakerPolicy.from_config(settings.resilience)
        try:
            states = await store.read(target_labels(settings), policy)
        except BreakerStoreUnavailable as exc:
            raise click.ClickException(f"cannot read breaker state from Redis: {exc}") from exc
    finally:
        await client.aclose()
    return {"backend": store.backend, "breakers": [state.as_json() for state in states]}


async def _fetch(url: str, token: str | None) -> JSONObject:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=_CLI_TIMEOUT_S)) as http,
            http.get(url, headers=headers) as response,
        ):
            body = await response.read()
            if response.status != 200:
                raise click.ClickException(f"{url} answered {response.status}: {body[:200]!r}")
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise click.ClickException(f"cannot reach {url}: {type(exc).__name__}") from exc
    try:
        return loads_object(body)
    except ValueError as exc:
        raise click.ClickException(f"{url} did not answer a JSON object") from exc


def render_table(document: JSONObject) -> str:
    """The status document as aligned plain text, one target per line."""
    rows = [list(_COLUMNS)]
    for breaker in document.get("breakers", []):
        rows.append(_row(breaker))
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    return "\n".join([f"backend: {document.get('backend', '?')}", *lines])


def _row(breaker: dict[str, Any]) -> list[str]:
    until = breaker.get("opened_until")
    shown_until = (
        "-" if until is None else datetime.fromtimestamp(float(until), UTC).strftime("%Y-%m-%d %H:%M:%S")
    )
    return [
        str(breaker.get("target", "?")),
        str(breaker.get("state", "?")),
        str(breaker.get("calls", 0)),
        f"{100 * float(breaker.get('failure_rate', 0)):.1f}",
        f"{100 * float(breaker.get('slow_call_rate', 0)):.1f}",
        str(breaker.get("consecutive_failures", 0)),
        str(breaker.get("openings", 0)),
        shown_until,
        str(breaker.get("probes_in_flight", 0)),
    ]
