"""What the bench installs for itself, before any measurement: wrk (Debian) and LiteLLM (its own venv).

LiteLLM is pinned, and installed into ``bench/.venv-litellm`` once; a marker file records the pin so
later runs reuse the venv. 1.82.6 is the last release before the March 2026 PyPI compromise
(1.82.7 and 1.82.8 carried a credential stealer; see BerriAI/litellm#24518): do not move the pin
without checking the release's provenance. The install is also checked for the stealer's ``.pth``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from processes import child_env

BENCH_DIR = Path(__file__).resolve().parent
LITELLM_VENV = BENCH_DIR / ".venv-litellm"
LITELLM_PIN = "1.82.6"
LITELLM_REQUIREMENT = f"litellm[proxy]=={LITELLM_PIN}"
_MARKER = LITELLM_VENV / "bench-installed.txt"


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def ensure_wrk(log_dir: Path) -> str | None:
    """Install wrk from Debian if it is missing. Returns None when wrk is there, else why not."""
    if shutil.which("wrk"):
        return None
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "wrk is not installed (install it: apt-get install wrk)"
    _log("installing wrk (apt-get) ...")
    env = child_env({"DEBIAN_FRONTEND": "noninteractive"})
    log_path = log_dir / "wrk-install.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        for argv in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", "wrk"]):
            try:
                code = subprocess.run(
                    argv, stdout=log, stderr=subprocess.STDOUT, env=env, timeout=900, check=False
                ).returncode
            except subprocess.TimeoutExpired:
                return f"`{' '.join(argv)}` timed out (log: {log_path})"
            if code != 0:
                return f"`{' '.join(argv)}` failed with exit {code} (log: {log_path})"
    return None if shutil.which("wrk") else f"wrk still missing after apt-get (log: {log_path})"


def _litellm_python() -> Path:
    return LITELLM_VENV / "bin" / "python"


def _suspicious_pth_files() -> list[Path]:
    return [path for path in LITELLM_VENV.glob("lib/python*/site-packages/*.pth") if "litellm" in path.name]


def ensure_litellm(log_dir: Path) -> tuple[Path | None, str]:
    """The venv's python once LiteLLM is installed (reused when the pin matches), or None and why not."""
    python = _litellm_python()
    cached = python.exists() and _MARKER.exists() and _MARKER.read_text().strip() == LITELLM_REQUIREMENT
    if not cached:
        _log(f"installing {LITELLM_REQUIREMENT} into {LITELLM_VENV} (once; takes a few minutes) ...")
        shutil.rmtree(LITELLM_VENV, ignore_errors=True)
        log_path = log_dir / "litellm-install.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        base_python = shutil.which("python3") or sys.executable
        steps = [
            [base_python, "-m", "venv", str(LITELLM_VENV)],
            [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", LITELLM_REQUIREMENT],
        ]
        with log_path.open("wb") as log:
            for argv in steps:
                try:
                    code = subprocess.run(
                        argv, stdout=log, stderr=subprocess.STDOUT, env=child_env(), timeout=1800, check=False
                    ).returncode
                except subprocess.TimeoutExpired:
                    return None, f"`{' '.join(argv[:4])} ...` timed out (log: {log_path})"
                if code != 0:
                    return None, f"`{' '.join(argv[:4])} ...` failed with exit {code} (log: {log_path})"
    suspicious = _suspicious_pth_files()
    if suspicious:
        return None, f"refusing to run: unexpected start-up hooks in the LiteLLM venv: {suspicious}"
    _MARKER.write_text(LITELLM_REQUIREMENT + "\n")
    return python, ""
