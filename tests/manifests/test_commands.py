"""``trueport manifests keygen | sign | verify | show`` through the real command group."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from trueport import cli, commandline
from trueport.cli import main
from trueport.guard.models import DEFAULT_MODEL_DIR


@pytest.fixture(autouse=True)
def _keep_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands run in this process configure logging for the whole process (structlog caches its
    loggers from then on, and later tests' captures miss them): keep the test session's."""
    monkeypatch.setattr(commandline, "configure_logging", lambda *_: None)
    monkeypatch.setattr(cli, "configure_logging", lambda *_: None)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["manifests", *args])
    return result.exit_code, result.output


def test_keygen_sign_verify_show(tmp_path: Path) -> None:
    code, rsa_id = run("keygen", "--type", "rsa", "--bits", "2048", "--out", str(tmp_path / "rsa"))
    assert code == 0 and len(rsa_id.strip()) == 16
    assert (tmp_path / "rsa.key").stat().st_mode & 0o777 == 0o600
    code, ed_id = run("keygen", "--out", str(tmp_path / "ed"))
    assert code == 0 and ed_id != rsa_id
    assert run("keygen", "--out", str(tmp_path / "ed"))[0] == 1  # never overwrites a key

    manifest = tmp_path / "m.json"
    code, output = run("sign", "--key", str(tmp_path / "rsa.key"), "--hours", "2", "--out", str(manifest))
    assert code == 0 and rsa_id.strip() in output

    trusted = ["--public-key", str(tmp_path / "ed.pub"), "--public-key", str(tmp_path / "rsa.pub")]
    code, output = run("verify", str(manifest), *trusted, "--files", str(DEFAULT_MODEL_DIR))
    assert code == 0 and output.startswith(f"OK {rsa_id.strip()} tenant=- policy_version=")

    code, output = run("verify", str(manifest), "--public-key", str(tmp_path / "ed.pub"))
    assert code == 1 and output == f"FAILED: key {rsa_id.strip()} is not trusted\n"
    code, output = run("verify", str(manifest), *trusted, "--revoked", rsa_id.strip())
    assert code == 1 and "revoked" in output

    body = orjson.loads(manifest.read_bytes())
    body["manifest"]["policy"]["document"]["store_bodies"] = "always"
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(orjson.dumps(body))
    code, output = run("verify", str(tampered), *trusted)
    assert code == 1 and output.startswith("FAILED: bad signature")

    files = tmp_path / "models"
    files.mkdir()
    code, output = run("verify", str(manifest), *trusted, "--files", str(files))
    assert code == 1 and output.startswith("FAILED:") and "No such file" in output

    code, output = run("show", str(manifest))
    lines = dict(line.split("\t", 1) for line in output.splitlines() if not line.startswith("file\t"))
    assert code == 0 and lines["key_id"] == rsa_id.strip() and lines["algorithm"] == "RSASSA_PSS_SHA_256"
    assert any(line.startswith("file\tinjection/1/model.onnx\t") for line in output.splitlines())


def test_sign_without_a_key_says_how_to_give_one(tmp_path: Path) -> None:
    code, output = run("sign")
    assert code == 1 and "no signing key" in output


def test_sign_for_a_tenant_names_it_and_its_policy(tmp_path: Path) -> None:
    from support.migrated import upgrade_empty_to_head
    from trueport.settings import load_settings

    database = f"sqlite:///{tmp_path}/trueport.db"
    config = tmp_path / "trueport.yaml"
    config.write_text(f"database: {database}\n", encoding="utf-8")
    upgrade_empty_to_head(load_settings(database=database).database_url)
    assert CliRunner().invoke(main, ["tenants", "create", "acme", "--config", str(config)]).exit_code == 0
    assert run("keygen", "--out", str(tmp_path / "k"))[0] == 0
    code, output = run("sign", "--config", str(config), "--tenant", "acme", "--key", str(tmp_path / "k.key"))
    assert code == 0, output
    manifest = orjson.loads(output)["manifest"]
    assert manifest["tenant_id"] and manifest["policy"]["source"] == "installation"
    code, output = run(
        "sign", "--config", str(config), "--tenant", "nobody", "--key", str(tmp_path / "k.key")
    )
    assert code == 1 and "no tenant 'nobody'" in output
