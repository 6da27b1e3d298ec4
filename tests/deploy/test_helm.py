"""The Helm chart (deploy/helm/trueport), rendered with default and with production values.

Rendering is Helm's own engine (``helm-python-sdk``: Helm v4 as a library, no binary, no cluster);
``helm lint`` runs through it too. The manifests are validated against Kubernetes' OpenAPI schemas
bundled in ``kubernetes-validate`` (strict: unknown fields are errors), and scanned by checkov, run with
``uv tool run`` (it is too large a dependency tree for the dev group; uv fetches it from the package
index once, then from its cache). Checkov without a platform key reports no severities, so instead of
"no HIGH finding" the test allows only the findings named in ``ACCEPTED_CHECKS``, each with its reason.
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
from pathlib import Path
from typing import Any

import helm_python
import kubernetes_validate
import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tests.packaging.test_wheel import _clean_environment, _uv

from trueport import jsonutil
from trueport.settings import Settings, load_settings

CHART = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "trueport"
PRODUCTION = CHART / "values-production.yaml"
KUBERNETES_VERSIONS = ("1.27.0", kubernetes_validate.latest_version())
CHECKOV = "checkov==3.3.30"
RELEASE, NAMESPACE = "gw", "trueport"

# Checkov findings the chart accepts, and why.
ACCEPTED_CHECKS = {
    "CKV_K8S_11": "no CPU limit on purpose: a throttled gateway adds latency to every call; requests size it",
    "CKV_K8S_15": "imagePullPolicy IfNotPresent: pin the image by image.digest instead of pulling each start",
    "CKV_K8S_43": "the digest is the operator's to give (image.digest); the chart cannot know it",
    "CKV_K8S_35": "TruePort reads its secrets from TRUEPORT_* variables (settings.py has no secrets-as-files source)",
    "CKV_K8S_8": "the recorder serves no HTTP; its health is in the serving pods' /readyz",
    "CKV_K8S_9": "the recorder serves no HTTP; its health is in the serving pods' /readyz",
}


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses a mapping with the same key twice (Kubernetes would keep one)."""


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    keys = [loader.construct_object(key) for key, _ in node.value]
    duplicates = {key for key in keys if keys.count(key) > 1}
    assert not duplicates, f"duplicate keys {duplicates} at {node.start_mark}"
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def _values(name: str) -> dict[str, Any] | None:
    if name == "default":
        return None
    values: dict[str, Any] = yaml.safe_load(PRODUCTION.read_text())
    return values


def _render(name: str) -> list[dict[str, Any]]:
    rendered = helm_python.Chart.load(CHART).render(
        values=_values(name), name=RELEASE, namespace=NAMESPACE, is_install=True
    )
    documents = []
    for path, text in sorted(rendered.items()):
        if path.endswith("NOTES.txt"):
            continue
        documents += [doc for doc in yaml.load_all(text, Loader=_UniqueKeyLoader) if doc]
    return documents


@pytest.fixture(scope="module", params=["default", "production"])
def manifests(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return _render(request.param)


def _kind(manifests: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [doc for doc in manifests if doc["kind"] == kind]


def _one(manifests: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (doc,) = [doc for doc in _kind(manifests, kind) if doc["metadata"]["name"] == name]
    return doc


def _pod_specs(manifests: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    specs = {}
    for doc in manifests:
        spec = doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc.get("spec", {})
        if "template" in spec:
            specs[f"{doc['kind']}/{doc['metadata']['name']}"] = spec["template"]["spec"]
    return specs


FULLNAME = f"{RELEASE}-trueport"


@pytest.mark.parametrize("values", ["default", "production"])
def test_helm_lint_passes(values: str) -> None:
    result = helm_python.lint(CHART, _values(values), strict=True, namespace=NAMESPACE)
    assert result["errors"] == []
    # Severity 1 is INFO ("icon is recommended"); 2 and above are warnings and errors.
    assert [m for m in result["messages"] if m["severity"] >= 2] == []


def test_the_release_has_every_part(manifests: list[dict[str, Any]]) -> None:
    kinds = sorted({doc["kind"] for doc in manifests})
    assert {
        "ConfigMap",
        "CronJob",
        "Deployment",
        "HorizontalPodAutoscaler",
        "Job",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Service",
        "ServiceAccount",
    } <= set(kinds)
    assert {doc["metadata"]["name"] for doc in _kind(manifests, "Deployment")} == {
        FULLNAME,
        f"{FULLNAME}-recorder",
    }
    assert all(doc["metadata"]["namespace"] == NAMESPACE for doc in manifests)


def test_manifests_pass_the_kubernetes_schemas(manifests: list[dict[str, Any]]) -> None:
    for version in KUBERNETES_VERSIONS:
        for doc in manifests:
            if doc["apiVersion"].startswith("monitoring.coreos.com/"):
                continue  # a CRD: no bundled schema; checked below
            kubernetes_validate.validate(doc, version, strict=True)


def test_the_schema_check_can_fail(manifests: list[dict[str, Any]]) -> None:
    deployment = jsonutil.loads(jsonutil.dumps(_one(manifests, "Deployment", FULLNAME)))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["paht"] = "/x"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)


def test_pods_run_locked_down(manifests: list[dict[str, Any]]) -> None:
    for name, spec in _pod_specs(manifests).items():
        assert spec["automountServiceAccountToken"] is False, name
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert context["runAsUser"] == 10001, name
            assert container["resources"]["requests"]["memory"], name
            assert container["resources"]["requests"]["cpu"], name
            assert container["resources"]["limits"]["memory"], name
            assert {m["mountPath"] for m in container["volumeMounts"]} >= {"/tmp"}, name


def test_serving_probes_drain_and_config(manifests: list[dict[str, Any]]) -> None:
    spec = _one(manifests, "Deployment", FULLNAME)["spec"]
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert container["args"][0] == "serve"
    config = yaml.safe_load(_one(manifests, "ConfigMap", FULLNAME)["data"]["trueport.yaml"])
    grace = config["server"]["shutdown_grace_s"]
    pre_stop = int(container["lifecycle"]["preStop"]["exec"]["command"][1])
    assert pod["terminationGracePeriodSeconds"] > grace + pre_stop
    assert {"name": "TRUEPORT_CONFIG", "value": "/etc/trueport/trueport.yaml"} in container["env"]
    assert "checksum/config" in spec["template"]["metadata"]["annotations"]


def test_the_audit_archive_runs_from_one_place(manifests: list[dict[str, Any]]) -> None:
    cron = _one(manifests, "CronJob", f"{FULLNAME}-audit-archive")["spec"]
    assert cron["concurrencyPolicy"] == "Forbid"
    (container,) = cron["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["audit", "archive"]


def test_the_recorder_keeps_the_books_under_its_pod_name(manifests: list[dict[str, Any]]) -> None:
    pod = _one(manifests, "Deployment", f"{FULLNAME}-recorder")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"] == ["recorder"]
    env = {e["name"]: e for e in container["env"]}
    assert env["TRUEPORT_RECORDER__MEMBER"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    # Probed on its own port (recorder.probe_port), which the settings accept from the environment.
    assert env["TRUEPORT_RECORDER__PROBE_PORT"]["value"] == "9465"
    assert container["ports"] == [{"name": "probe", "containerPort": 9465, "protocol": "TCP"}]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "probe"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "probe"}


def test_migrations_run_as_a_hook_before_everything_else(manifests: list[dict[str, Any]]) -> None:
    job = _one(manifests, "Job", f"{FULLNAME}-migrate")
    hook = job["metadata"]["annotations"]
    assert hook["helm.sh/hook"] == "pre-install,pre-upgrade"
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"] == ["migrate"]
    assert pod["restartPolicy"] == "Never"
    # On a first install only hooks exist when it runs: it must need nothing else of the release.
    assert "serviceAccountName" not in pod
    assert all("configMap" not in volume for volume in pod["volumes"])
    (source,) = container["envFrom"]
    secret_name = source["secretRef"]["name"]
    for secret in _kind(manifests, "Secret"):
        assert secret["metadata"]["name"] == secret_name
        annotations = secret["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == hook["helm.sh/hook"]
        assert int(annotations["helm.sh/hook-weight"]) < int(hook["helm.sh/hook-weight"])
    policy = _one(manifests, "NetworkPolicy", f"{FULLNAME}-migrations")
    assert int(policy["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(hook["helm.sh/hook-weight"])


def test_autoscaling_and_disruption_budget(manifests: list[dict[str, Any]]) -> None:
    hpa = _one(manifests, "HorizontalPodAutoscaler", FULLNAME)["spec"]
    assert hpa["scaleTargetRef"]["name"] == FULLNAME
    cpu = [m for m in hpa["metrics"] if m["type"] == "Resource"]
    assert cpu[0]["resource"]["name"] == "cpu"
    pods = [m for m in hpa["metrics"] if m["type"] == "Pods"]
    assert [m["pods"]["metric"]["name"] for m in pods] in ([], ["trueport_requests_in_flight"])
    pdb = _one(manifests, "PodDisruptionBudget", FULLNAME)["spec"]
    service = _one(manifests, "Service", FULLNAME)["spec"]
    assert pdb["selector"]["matchLabels"] == service["selector"]
    assert hpa["minReplicas"] > pdb["maxUnavailable"]


def test_network_policies_allow_only_named_peers(manifests: list[dict[str, Any]]) -> None:
    policies = {doc["metadata"]["name"]: doc["spec"] for doc in _kind(manifests, "NetworkPolicy")}
    assert set(policies) == {
        f"{FULLNAME}-{c}" for c in ("serving", "recorder", "audit-archive", "migrations")
    }
    # Every pod of the release is selected by its component's policy.
    components = {
        doc["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
        for doc in _kind(manifests, "NetworkPolicy")
    }
    pod_components = {
        (doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"])["template"][
            "metadata"
        ]["labels"]["app.kubernetes.io/component"]
        for doc in manifests
        if doc["kind"] in ("Deployment", "Job", "CronJob")
    }
    assert pod_components == components
    for name, spec in policies.items():
        assert spec["policyTypes"] == ["Ingress", "Egress"], name
        for rule in spec["egress"]:
            assert rule["to"], f"{name}: an egress rule without peers allows everything"
            assert rule["ports"], f"{name}: an egress rule without ports allows every port"
        dns = spec["egress"][0]
        assert {p["port"] for p in dns["ports"]} == {53}
    recorder_ingress = policies[f"{FULLNAME}-recorder"]["ingress"]
    if _kind(manifests, "ServiceMonitor"):  # Prometheus scrapes the recorder's probe port, nothing else
        (rule,) = recorder_ingress
        assert rule["ports"] == [{"port": "probe", "protocol": "TCP"}]
    else:
        assert recorder_ingress == []
    assert len(policies[f"{FULLNAME}-migrations"]["egress"]) == 2  # DNS and the database
    (ingress,) = policies[f"{FULLNAME}-serving"]["ingress"]
    assert ingress["ports"] == [{"port": "http", "protocol": "TCP"}]


def test_production_values_restrict_ingress_and_scrape_with_the_token() -> None:
    manifests = _render("production")
    (ingress,) = _one(manifests, "NetworkPolicy", f"{FULLNAME}-serving")["spec"]["ingress"]
    assert len(ingress["from"]) == 2  # the ingress controller and Prometheus
    (monitor,) = _kind(manifests, "ServiceMonitor")
    serving, recorder = monitor["spec"]["endpoints"]
    for endpoint in (serving, recorder):
        assert endpoint["path"] == "/metrics"
        assert endpoint["authorization"]["credentials"] == {
            "name": "trueport-secrets",
            "key": "TRUEPORT_ADMIN_TOKEN",
        }
    # Each endpoint's port is a named port of a Service the selector picks, and that Service's
    # port leads to the container port of the same process.
    selector = monitor["spec"]["selector"]
    (expression,) = selector["matchExpressions"]
    assert expression["key"] == "app.kubernetes.io/component" and expression["operator"] == "In"

    def selected(service: dict[str, Any]) -> bool:
        labels = service["metadata"]["labels"]
        return selector["matchLabels"].items() <= labels.items() and labels[expression["key"]] in set(
            expression["values"]
        )

    services = [service for service in _kind(manifests, "Service") if selected(service)]
    ports = {port["name"]: (service, port) for service in services for port in service["spec"]["ports"]}
    assert set(ports) == {serving["port"], recorder["port"]} == {"http", "probe"}
    deployments = {
        doc["metadata"]["labels"]["app.kubernetes.io/component"]: doc
        for doc in _kind(manifests, "Deployment")
    }
    for name, component in (("http", "serving"), ("probe", "recorder")):
        service, port = ports[name]
        assert service["metadata"]["labels"]["app.kubernetes.io/component"] == component
        pod = deployments[component]["spec"]["template"]
        assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
        container_ports = {
            p["name"]: p["containerPort"] for c in pod["spec"]["containers"] for p in c["ports"]
        }
        assert port["targetPort"] in container_ports
    recorder_env = {
        e["name"]: e.get("value")
        for e in deployments["recorder"]["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert ports["probe"][1]["port"] == int(recorder_env["TRUEPORT_RECORDER__PROBE_PORT"]) == 9465
    assert _kind(manifests, "Secret") == []
    default = _render("default")
    assert _kind(default, "ServiceMonitor") == []
    assert [s["metadata"]["name"] for s in _kind(default, "Service")] == [FULLNAME]


def _production_secrets() -> dict[str, str]:
    pem = (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    return {
        "TRUEPORT_DATABASE": "postgresql://trueport:pw@db:5432/trueport",
        "TRUEPORT_SECRET_KEY": secrets.token_urlsafe(48),
        "TRUEPORT_PLATFORM__JWT_SECRET": secrets.token_urlsafe(48),
        "TRUEPORT_PLATFORM__MASTER_KEYS": jsonutil.dumps(
            {"k1": base64.b64encode(os.urandom(32)).decode()}
        ).decode(),
        "TRUEPORT_PLATFORM__ACTIVE_MASTER_KEY": "k1",
        "TRUEPORT_AUDIT__SIGNING_KEY_PEM": pem,
        "TRUEPORT_ADMIN_TOKEN": secrets.token_urlsafe(24),
        "TRUEPORT_MAIL__PASSWORD": "mail-password",
        "OPENAI_API_KEY": "sk-test",
        "ANTHROPIC_API_KEY": "sk-ant-test",
    }


@pytest.mark.parametrize("values", ["default", "production"])
def test_the_configmap_is_a_config_trueport_loads(
    values: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifests = _render(values)
    config = tmp_path / "trueport.yaml"
    config.write_text(_one(manifests, "ConfigMap", FULLNAME)["data"]["trueport.yaml"])
    for name in [n for n in os.environ if n.startswith("TRUEPORT_")]:
        monkeypatch.delenv(name)
    secret = (
        _production_secrets()
        if values == "production"
        else {k: v for k, v in _kind(manifests, "Secret")[0]["stringData"].items()}
    )
    for name, value in secret.items():
        monkeypatch.setenv(name, value)
    settings: Settings = load_settings(config)
    assert settings.recorder.run == "external"
    assert settings.recorder.handoff == "redis"
    assert str(settings.audit.spool_dir).startswith("/var/lib/trueport/")
    assert settings.database.startswith("postgresql://")
    if values == "production":
        assert settings.environment == "production"
        assert settings.audit.archive_s3 is not None
        assert settings.audit.archive_s3.object_lock_mode == "COMPLIANCE"
        assert settings.mail.password is not None
        assert settings.limits.local_share <= 1 / _render_min_replicas(manifests)


def _render_min_replicas(manifests: list[dict[str, Any]]) -> int:
    minimum: int = _one(manifests, "HorizontalPodAutoscaler", FULLNAME)["spec"]["minReplicas"]
    return minimum


_CANARY = """\
apiVersion: v1
kind: Pod
metadata: {name: canary, namespace: trueport}
spec:
  containers:
    - name: c
      image: busybox:latest
      securityContext: {privileged: true}
"""


@pytest.mark.slow
def test_checkov_finds_nothing_but_the_accepted_checks(tmp_path: Path) -> None:
    env = _clean_environment()
    uv = _uv(env)
    for values in ("default", "production"):
        with (tmp_path / f"{values}.yaml").open("w") as out:
            yaml.safe_dump_all(_render(values), out)
    canary = tmp_path / "canary"  # proves the scan reports what it should
    canary.mkdir()
    (canary / "pod.yaml").write_text(_CANARY)
    result = subprocess.run(
        [
            *uv,
            *("tool", "run", "--from", CHECKOV, "checkov", "--directory", str(tmp_path)),
            *("--framework", "kubernetes", "--output", "json", "--quiet", "--skip-download"),
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.stdout.strip(), result.stderr[-3000:]
    report = jsonutil.loads(result.stdout)
    (report,) = report if isinstance(report, list) else [report]
    assert report["summary"]["parsing_errors"] == 0
    failed = [(f["check_id"], f["file_path"], f["resource"]) for f in report["results"]["failed_checks"]]
    canary_findings = {check for check, path, _ in failed if path.startswith("/canary/")}
    assert "CKV_K8S_16" in canary_findings  # a privileged container
    chart_findings = {
        (check, resource) for check, path, resource in failed if not path.startswith("/canary/")
    }
    unexpected = sorted(finding for finding in chart_findings if finding[0] not in ACCEPTED_CHECKS)
    assert unexpected == []
    assert report["summary"]["passed"] > 400
