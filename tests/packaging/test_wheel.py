"""The wheel works where it is installed: built from this checkout, installed in a fresh virtualenv
outside it, and run from an empty directory, as a user who typed ``pip install trueport`` would.

The virtualenv gets the locked runtime dependencies (``uv sync --no-dev --no-install-project`` into
it: from uv's cache when it has them, from the package index otherwise), then the wheel alone with
``--no-deps``; ``uv pip check`` proves the wheel's declared dependencies are all there. That is the
plain install, without the optional extras: it must run the embedded default, and refuse a
configuration that needs an extra in one sentence naming it. A second virtualenv gets the ``server``
extra as the container image does (``--extra server``), and the extras' backends must load there.
Nothing of the checkout is importable from the virtualenv: ``import trueport`` must find the
installed copy, and the models and the console's assets must come from inside it.

Deselect with ``-m "not packaging"``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from tests.support import free_port

from trueport import jsonutil

pytestmark = [pytest.mark.packaging, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CONSOLE_DIST = ROOT / "src" / "trueport" / "console" / "dist"
MODELS = ("bias", "injection", "pii_ner")
STARTUP_S = 90


@dataclass(frozen=True)
class Installation:
    wheel: Path
    venv: Path
    home: Path  # an empty working directory outside the checkout
    env: dict[str, str]

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def trueport(self) -> Path:
        return self.venv / "bin" / "trueport"


def _uv(env: dict[str, str]) -> list[str]:
    """uv, as the Makefile finds it: on PATH, or as `python3 -m uv` when pip put it elsewhere."""
    uv = shutil.which("uv", path=env["PATH"])
    if uv is not None:
        return [uv]
    python3 = shutil.which("python3", path=env["PATH"])
    if python3 is not None:
        probe = subprocess.run([python3, "-m", "uv", "--version"], env=env, capture_output=True, check=False)
        if probe.returncode == 0:
            return [python3, "-m", "uv"]
    pytest.fail("uv is not installed (make setup installs it)")


def _run(argv: list[str | Path], *, env: dict[str, str], cwd: Path, timeout: float = 300) -> str:
    result = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{argv}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _cache_first(argv: list[str | Path], *, env: dict[str, str], cwd: Path) -> None:
    """Run a uv command offline (uv's cache) and, when the cache lacks something, online."""
    offline = subprocess.run(
        [str(a) for a in [*argv, "--offline"]],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    if offline.returncode != 0:
        _run(argv, env=env, cwd=cwd)


def _clean_environment() -> dict[str, str]:
    """This process's environment less what would point a child at the checkout or its virtualenv."""
    drop = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "UV_PROJECT_ENVIRONMENT", "CONDA_PREFIX"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("TRUEPORT_")}
    venv_bin = str(Path(sys.prefix) / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", os.defpath).split(os.pathsep) if p != venv_bin)
    return env


def _install(work: Path, wheel: Path, *extras: str) -> Installation:
    """A fresh virtualenv in ``work`` with the locked runtime dependencies (and ``extras``), then the
    wheel; ``uv pip check`` proves the wheel's declared dependencies (those extras' too) are there."""
    env = _clean_environment()
    uv = _uv(env)
    venv, home = work / "venv", work / "home"
    home.mkdir()
    sync = [*uv, "sync", "--frozen", "--no-dev", "--no-install-project", "--quiet"]
    for extra in extras:
        sync += ["--extra", extra]
    _cache_first(
        [*sync, "--project", ROOT, "--python", sys.executable],
        env={**env, "UV_PROJECT_ENVIRONMENT": str(venv)},
        cwd=work,
    )
    python = venv / "bin" / "python"
    requirement = f"trueport[{','.join(extras)}] @ {wheel.as_uri()}" if extras else str(wheel)
    _cache_first(
        [*uv, "pip", "install", "--quiet", "--no-deps", "--python", python, requirement], env=env, cwd=work
    )
    _run([*uv, "pip", "check", "--python", python], env=env, cwd=work)
    return Installation(wheel=wheel, venv=venv, home=home, env=env)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    env = _clean_environment()
    _cache_first([*_uv(env), "build", "--wheel", "--quiet", "--out-dir", dist, ROOT], env=env, cwd=dist)
    (built,) = dist.glob("trueport-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Installation:
    """``pip install trueport``: no extras."""
    work = tmp_path_factory.mktemp("wheel")
    assert not work.resolve().is_relative_to(ROOT), "the virtualenv must live outside the checkout"
    return _install(work, wheel)


@pytest.fixture(scope="module")
def installed_server(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Installation:
    """``pip install 'trueport[server]'``, as the container image installs it."""
    work = tmp_path_factory.mktemp("wheel-server")
    return _install(work, wheel, "server")


def test_wheel_carries_models_licence_and_console_assets(installed: Installation) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    for model in MODELS:
        assert f"trueport/models/{model}/config.pbtxt" in names
        assert f"trueport/models/{model}/1/model.onnx" in names
    assert "trueport/models/pii_ner/1/vocab.txt" in names
    assert any(re.fullmatch(r"trueport-[^/]+\.dist-info/licenses/LICENSE", n) for n in names)
    assert not any(n.startswith(("tests/", "training/", "bench/", "models/")) for n in names)
    if CONSOLE_DIST.is_dir():  # built by `make setup`; gitignored, so taken in as a hatch artifact
        built = {
            f"trueport/console/dist/{path.relative_to(CONSOLE_DIST).as_posix()}"
            for path in CONSOLE_DIST.rglob("*")
            if path.is_file()
        }
        assert built <= names, sorted(built - names)[:10]


def test_sdist_has_the_sources_and_no_caches(installed: Installation, tmp_path: Path) -> None:
    uv = _uv(installed.env)
    _cache_first(
        [*uv, "build", "--sdist", "--quiet", "--out-dir", tmp_path, ROOT], env=installed.env, cwd=tmp_path
    )
    (sdist,) = tmp_path.glob("trueport-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "pyproject.toml", "uv.lock", "trueport.example.yaml"} <= names
    assert "src/trueport/models/injection/1/model.onnx" in names
    assert not [n for n in names if re.search(r"(^|/)(node_modules|\.angular|\.hypothesis|\.venv)/", n)]
    assert sdist.stat().st_size < 50_000_000


def test_installed_package_is_the_wheel_with_its_metadata(installed: Installation) -> None:
    probe = """
import importlib.metadata, json, trueport
from trueport.guard.models import DEFAULT_MODEL_DIR, ModelRepository
meta = importlib.metadata.metadata("trueport")
print(json.dumps({
    "file": trueport.__file__,
    "models_dir": str(DEFAULT_MODEL_DIR),
    "models": sorted(ModelRepository().models),
    "version": meta["Version"],
    "license": meta["License-Expression"],
    "license_files": meta.get_all("License-File"),
    "classifiers": meta.get_all("Classifier"),
    "requires_python": meta["Requires-Python"],
    "scripts": [e.name for e in importlib.metadata.entry_points(group="console_scripts", name="trueport")],
}))
"""
    out = jsonutil.loads(_run([installed.python, "-c", probe], env=installed.env, cwd=installed.home))
    site = installed.venv / "lib"
    assert Path(out["file"]).is_relative_to(site), out["file"]
    assert Path(out["models_dir"]).is_relative_to(site), out["models_dir"]
    assert out["models"] == list(MODELS)
    assert (
        out["version"]
        == _run([installed.trueport, "--version"], env=installed.env, cwd=installed.home).split()[-1]
    )
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", out["version"])
    assert out["license"] == "Apache-2.0"
    assert out["license_files"] == ["LICENSE"]
    assert "Programming Language :: Python :: 3.11" in out["classifiers"]
    assert "Typing :: Typed" in out["classifiers"]
    assert out["requires_python"] == ">=3.11"
    assert out["scripts"] == ["trueport"]


def test_scan_finds_an_email(installed: Installation) -> None:
    line = '{"id": 1, "text": "Write to jane.doe@example.com about the invoice."}\n'
    result = subprocess.run(
        [installed.trueport, "scan"],
        input=line,
        cwd=installed.home,
        env=installed.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (row,) = [jsonutil.loads(text) for text in result.stdout.splitlines()]
    assert row["id"] == 1
    assert {"detector": "pii", "type": "email", "start": 9, "end": 29} in [
        {k: f[k] for k in ("detector", "type", "start", "end")} for f in row["findings"]
    ]


@pytest.fixture
def started(installed: Installation) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes a test starts (in their own session, so that a child they start goes with them)."""
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        with contextlib.suppress(
            ProcessLookupError
        ):  # a child left behind (serve's recorder) is in its group
            os.killpg(process.pid, signal.SIGKILL)


def _start(installed: Installation, started: list[subprocess.Popen[bytes]], *args: str, cwd: Path) -> Path:
    """Start ``trueport *args`` in ``cwd`` (its own directory: each has its own database and spool)."""
    cwd.mkdir()
    log = cwd / "output.log"
    with log.open("w") as output:
        started.append(
            subprocess.Popen(
                [installed.trueport, *args],
                cwd=cwd,
                env=installed.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    return log


def _wait_for(started: list[subprocess.Popen[bytes]], log: Path, ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + STARTUP_S
    while not ready():
        assert started[-1].poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)


def test_serve_answers_readyz(installed: Installation, started: list[subprocess.Popen[bytes]]) -> None:
    config = installed.home / "serve.yaml"  # the smallest useful one: a database, a route
    config.write_text(
        "database: sqlite:///./serve.db\n"
        "providers: {up: {type: openai, base_url: 'http://127.0.0.1:9/v1'}}\n"
        "models: {m: [{provider: up, model: m}]}\n"
    )
    port = free_port()
    cwd = installed.home / "serve"
    log = _start(installed, started, "serve", "--config", str(config), "--port", str(port), cwd=cwd)
    url = f"http://127.0.0.1:{port}/readyz"

    def ready() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    _wait_for(started, log, ready)
    assert httpx.get(url, timeout=5).json()["status"] == "ready"
    assert (cwd / "serve.db").exists()
    # The console comes from the installed package: the wheel's own index.html, or 503 when the
    # wheel was built without one (no npm where it was built).
    console = httpx.get(f"http://127.0.0.1:{port}/console/", timeout=5)
    with zipfile.ZipFile(installed.wheel) as wheel:
        packaged = "trueport/console/dist/index.html" in wheel.namelist()
        if packaged:
            assert console.status_code == 200, console.text
            assert console.content == wheel.read("trueport/console/dist/index.html")
        else:
            assert console.status_code == 503


def test_demo_answers_a_call(installed: Installation, started: list[subprocess.Popen[bytes]]) -> None:
    """`trueport demo` serves until stopped; it is ready once it prints its instructions."""
    port = free_port()
    cwd = installed.home / "demo"
    log = _start(installed, started, "demo", "--port", str(port), cwd=cwd)
    _wait_for(started, log, lambda: "Press Ctrl+C" in log.read_text())
    key = re.search(r"API key\s*:\s*(\S+)", log.read_text())
    assert key is not None, log.read_text()
    reply = httpx.post(
        f"http://127.0.0.1:{port}/v1/chat/completions",
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}]},
        headers={"Authorization": f"Bearer {key.group(1)}"},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["choices"][0]["message"]["content"] == "Echo: Hello"
    assert (cwd / "trueport-demo.db").exists()


# The extras' distributions, and the top-level modules they bring.
EXTRA_DISTRIBUTIONS = {
    "asyncpg": "asyncpg",
    "redis": "redis",
    "boto3": "boto3",
    "botocore": "botocore",
    "google-auth": "google.auth",
    "opentelemetry-sdk": "opentelemetry.sdk",
}
EVERY_EXTRA_CONFIG = """
database: postgresql://trueport@127.0.0.1:9/trueport
redis: redis://127.0.0.1:9/0
providers:
  oa: {type: openai, base_url: 'http://127.0.0.1:9/v1'}
  br: {type: bedrock, region: eu-west-1}
  vx: {type: vertex, project: acme-prod-1, location: europe-west4}
models: {m: [{provider: oa, model: m}]}
audit: {archive_s3: {bucket: trueport-audit}}
tracing: {enabled: true}
"""
INSTALLED_DISTRIBUTIONS = """
import importlib.metadata, json, sys
names = []
for name in sys.argv[1:]:
    try:
        importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        continue
    names.append(name)
print(json.dumps(names))
"""


def _site_bytes(installation: Installation) -> int:
    return sum(p.stat().st_size for p in (installation.venv / "lib").rglob("*") if p.is_file())


def test_the_plain_install_has_no_extra_and_names_the_one_a_config_needs(installed: Installation) -> None:
    found = _run(
        [installed.python, "-c", INSTALLED_DISTRIBUTIONS, *EXTRA_DISTRIBUTIONS],
        env=installed.env,
        cwd=installed.home,
    )
    assert jsonutil.loads(found) == []
    config = installed.home / "every-extra.yaml"
    config.write_text(EVERY_EXTRA_CONFIG)
    result = subprocess.run(
        [installed.trueport, "serve", "--config", str(config)],
        cwd=installed.home,
        env=installed.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("Error:")] == [
        "Error: this configuration needs the TruePort extras 'postgres', 'redis', 'aws', 'vertex', 'otel', "
        "which are not installed (database: PostgreSQL needs 'postgres', redis needs 'redis', provider 'br' "
        "(bedrock, AWS credential chain) needs 'aws', provider 'vx' (vertex) needs 'vertex', audit.archive_s3 needs 'aws', "
        "tracing.enabled needs 'otel'): pip install 'trueport[postgres,redis,aws,vertex,otel]' "
        "(or 'trueport[server]' for all of them)"
    ], result.stderr


def test_the_server_extra_brings_every_backend(
    installed: Installation, installed_server: Installation
) -> None:
    found = _run(
        [installed_server.python, "-c", INSTALLED_DISTRIBUTIONS, *EXTRA_DISTRIBUTIONS],
        env=installed_server.env,
        cwd=installed_server.home,
    )
    assert jsonutil.loads(found) == list(EXTRA_DISTRIBUTIONS)
    config = installed_server.home / "every-extra.yaml"
    config.write_text(EVERY_EXTRA_CONFIG)
    probe = f"""
import importlib, sys
from trueport import extras
from trueport.settings import load_settings
for module in {list(EXTRA_DISTRIBUTIONS.values())!r}:
    importlib.import_module(module)
settings = load_settings(sys.argv[1])
print(sorted({{extra.name for _, extra in extras.needed(settings)}}), extras.missing(settings))
"""
    out = _run(
        [installed_server.python, "-c", probe, config], env=installed_server.env, cwd=installed_server.home
    )
    assert out.strip() == "['aws', 'otel', 'postgres', 'redis', 'vertex'] []"
    # What a client-side install saves: botocore alone is tens of megabytes.
    assert _site_bytes(installed_server) - _site_bytes(installed) > 30_000_000
