"""Child processes for the benchmark: started pinned to a core in their own process group, always reaped.

Every process the bench starts goes through :func:`start` and is ended by :func:`stop`, which signals
the whole process group (uvicorn, LiteLLM and TruePort may fork helpers), waits a bounded time, then
kills. :class:`ServiceSet` keeps the ones still running so a ``finally`` can stop all of them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
# Loopback only, never through a proxy, whatever the caller's environment says.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class BenchError(Exception):
    """A step of the benchmark failed; the message says which and why (shown in the report)."""


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child: ours without proxy settings, plus ``extra``."""
    # bench/ runs third-party programs and has no settings object, so it copies the environment.
    env = dict(os.environ)
    for name in _PROXY_VARIABLES:
        env.pop(name, None)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.update(extra or {})
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pinned(argv: Sequence[str], cpu: int | str | None) -> list[str]:
    """``argv`` run under ``taskset -c cpu`` (a core or a list such as ``"0,1"``; None: not pinned)."""
    return [*(["taskset", "-c", str(cpu)] if cpu is not None else []), *argv]


@dataclass
class Service:
    """A long-running child (a server) and where its output goes."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pgid(self) -> int:
        return self.process.pid  # start_new_session: the child leads its own group

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.rstrip().splitlines()[-lines:])


def start(
    name: str,
    argv: Sequence[str],
    *,
    cpu: int | str | None,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Service:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            pinned(argv, cpu),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=dict(env) if env is not None else child_env(),
            cwd=cwd,
        )
    return Service(name=name, process=process, log_path=log_path)


def _signal_group(pgid: int, sig: signal.Signals) -> bool:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    return True


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def stop(service: Service, grace_s: float = 8.0) -> None:
    """SIGTERM the service's process group, then SIGKILL what is left after ``grace_s``."""
    _signal_group(service.pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        service.process.poll()
        if not _group_alive(service.pgid):
            break
        time.sleep(0.05)
    else:
        _signal_group(service.pgid, signal.SIGKILL)
    try:
        service.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        _signal_group(service.pgid, signal.SIGKILL)
        service.process.wait(timeout=5)


@dataclass
class ServiceSet:
    """The services currently running; ``stop_all`` in a ``finally`` leaves nothing behind."""

    running: list[Service] = field(default_factory=list)

    def add(self, service: Service) -> Service:
        self.running.append(service)
        return service

    def stop(self, service: Service) -> None:
        if service in self.running:
            self.running.remove(service)
        stop(service)

    def stop_all(self) -> None:
        while self.running:
            stop(self.running.pop())


def http_get_status(url: str, timeout_s: float = 1.0) -> int | None:
    try:
        with _DIRECT.open(url, timeout=timeout_s) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return None


def http_post_json(
    url: str, body: bytes, headers: Mapping[str, str], timeout_s: float = 10.0
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    try:
        with _DIRECT.open(request, timeout=timeout_s) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        raise BenchError(f"POST {url} failed: {exc}") from exc


def wait_healthy(service: Service, url: str, timeout_s: float) -> float:
    """Poll ``url`` until it answers 200; returns the seconds it took. Fails fast if the process dies."""
    started = time.monotonic()
    deadline = started + timeout_s
    while time.monotonic() < deadline:
        code = service.process.poll()
        if code is not None:
            raise BenchError(
                f"{service.name} exited with code {code} before serving; log {service.log_path}:\n"
                f"{service.log_tail()}"
            )
        if http_get_status(url) == 200:
            return time.monotonic() - started
        time.sleep(0.2)
    raise BenchError(
        f"{service.name} not healthy at {url} after {timeout_s:.0f} s; log {service.log_path}:\n"
        f"{service.log_tail()}"
    )


# An argument that marks a process as the installation's background work (TruePort's record writer,
# started by ``trueport serve`` as ``... recorder ...``), not serving. Matched as a whole argument, so
# ``--workers 2`` is not one.
BACKGROUND_ARGS = frozenset({"recorder", "worker"})


@dataclass(frozen=True)
class ProcessUsage:
    """One live process of a group, as /proc shows it now."""

    pid: int
    started_ticks: int  # start time since boot: with the pid, tells a reused pid from the same process
    cpu_s: float  # user + system time (its reaped children's time is not included)
    rss_bytes: int
    background: bool


@dataclass(frozen=True)
class GroupUsage:
    processes: tuple[ProcessUsage, ...]

    @property
    def cpu_s(self) -> float:
        return sum(process.cpu_s for process in self.processes)

    @property
    def rss_bytes(self) -> int:
        return sum(process.rss_bytes for process in self.processes)


@dataclass(frozen=True)
class CpuUse:
    """CPU seconds a group spent between two readings, split into serving and background processes."""

    serving_s: float
    background_s: float
    processes: int  # distinct processes counted
    ended: int  # alive at the first reading, gone at the second: their CPU in between is not counted

    @property
    def installation_s(self) -> float:
        return self.serving_s + self.background_s


def _is_background(pid: str) -> bool:
    try:
        argv = Path("/proc", pid, "cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(arg.decode(errors="replace") in BACKGROUND_ARGS for arg in argv[1:])


def group_usage(pgid: int) -> GroupUsage:
    """CPU time, resident memory and role of every live process in group ``pgid`` (scanned afresh)."""
    ticks = os.sysconf("SC_CLK_TCK")
    page = os.sysconf("SC_PAGE_SIZE")
    processes = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may contain spaces: split after its closing one.
        fields = raw[raw.rindex(")") + 2 :].split()
        if int(fields[2]) != pgid:  # field 5 (pgrp), counting from field 3 (state)
            continue
        processes.append(
            ProcessUsage(
                pid=int(entry.name),
                started_ticks=int(fields[19]),  # field 22 (starttime)
                cpu_s=(int(fields[11]) + int(fields[12])) / ticks,  # utime, stime
                rss_bytes=int(fields[21]) * page,  # rss
                background=_is_background(entry.name),
            )
        )
    return GroupUsage(tuple(processes))


def cpu_between(before: GroupUsage, after: GroupUsage) -> CpuUse:
    """CPU spent from ``before`` to ``after``, per process: one that started in between counts in full;
    one that ended in between is left out (its last CPU time cannot be read after it is reaped)."""
    start = {(process.pid, process.started_ticks): process.cpu_s for process in before.processes}
    serving = background = 0.0
    for process in after.processes:
        spent = process.cpu_s - start.pop((process.pid, process.started_ticks), 0.0)
        if process.background:
            background += spent
        else:
            serving += spent
    return CpuUse(serving, background, processes=len(after.processes), ended=len(start))


def run_command(
    argv: Sequence[str],
    *,
    timeout_s: float,
    cpu: int | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a short command to completion (bounded), capturing its output; never raises on exit code."""
    try:
        return subprocess.run(
            pinned(argv, cpu),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            env=dict(env) if env is not None else child_env(),
            cwd=cwd,
            check=False,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{argv[0]} did not finish within {timeout_s:.0f} s") from exc
