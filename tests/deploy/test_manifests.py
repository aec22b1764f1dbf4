"""k8s/: every document validates against the Kubernetes schemas, and the overlays render to a
deployment that follows the platform's rules (probes, limits, non-root, no secret values, one
beat and one stream processor)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from tests.deploy.kustomize import load_documents, pod_spec, render

K8S = Path(__file__).resolve().parents[2] / "k8s"
KUBERNETES_VERSION = "1.33.0"
OVERLAYS = ["dev", "prod"]


def _base_documents() -> list[tuple[Path, dict[str, Any]]]:
    return [
        (path, document)
        for path in sorted((K8S / "base").glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for document in load_documents(path)
    ]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return render(K8S / "overlays" / request.param)


def by_kind(documents: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == kind}


def test_every_base_document_validates_strictly() -> None:
    documents = _base_documents()
    assert len(documents) >= 14  # 13 applied + the Secret example
    for path, document in documents:
        try:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{path.name}: {error}")


def test_the_validator_rejects_a_broken_manifest() -> None:
    """Guards the test above: the schemas are really checked, unknown fields included."""
    _path, deployment = next(
        (path, doc) for path, doc in _base_documents() if doc["kind"] == "Deployment"
    )
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_rendered_overlays_validate_strictly(rendered: list[dict[str, Any]]) -> None:
    for document in rendered:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    kinds = {doc["kind"] for doc in rendered}
    assert {"Deployment", "Service", "Ingress", "ConfigMap", "Job"} <= kinds
    assert {"PodDisruptionBudget", "HorizontalPodAutoscaler"} <= kinds
    assert "Secret" not in kinds  # created out of band, never shipped with values
    namespaces = {doc["metadata"].get("namespace") for doc in rendered}
    assert len(namespaces) == 1
    assert None not in namespaces


def test_the_four_processes_are_deployed(rendered: list[dict[str, Any]]) -> None:
    deployments = by_kind(rendered, "Deployment")
    commands = {
        name: doc["spec"]["template"]["spec"]["containers"][0]["args"]
        for name, doc in deployments.items()
    }
    assert commands == {
        "studymate-web": ["web"],
        "studymate-worker": ["worker"],
        "studymate-beat": ["beat"],
        "studymate-stream": ["stream"],
    }
    job = by_kind(rendered, "Job")["studymate-migrate"]
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]


def test_beat_and_stream_run_exactly_once(rendered: list[dict[str, Any]]) -> None:
    deployments = by_kind(rendered, "Deployment")
    for name in ("studymate-beat", "studymate-stream"):
        assert deployments[name]["spec"]["replicas"] == 1, name
        assert deployments[name]["spec"]["strategy"] == {"type": "Recreate"}, name
    scaled = {
        doc["spec"]["scaleTargetRef"]["name"]
        for doc in by_kind(rendered, "HorizontalPodAutoscaler").values()
    }
    assert scaled == {"studymate-web", "studymate-worker"}


def test_every_pod_is_probed_limited_and_unprivileged(rendered: list[dict[str, Any]]) -> None:
    for document in rendered:
        spec = pod_spec(document)
        if spec is None:
            continue
        name = document["metadata"]["name"]
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["automountServiceAccountToken"] is False, name
        mounts = {volume["name"]: volume for volume in spec["volumes"]}
        assert "emptyDir" in mounts["tmp"], name
        for container in spec["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            assert {m["mountPath"] for m in container["volumeMounts"]} == {"/tmp"}, name  # noqa: S108 (the pod's emptyDir)
            for kind in ("requests", "limits"):
                assert set(container["resources"][kind]) == {"cpu", "memory"}, name
            if document["kind"] == "Deployment":
                assert "livenessProbe" in container, name
                assert "readinessProbe" in container, name


def test_web_probes_health_endpoints_and_drains(rendered: list[dict[str, Any]]) -> None:
    web = by_kind(rendered, "Deployment")["studymate-web"]
    pod = web["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/alive/"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready/"
    sleep = int(container["lifecycle"]["preStop"]["exec"]["command"][1])
    config = by_kind(rendered, "ConfigMap")["studymate-config"]["data"]
    drain = int(config["WEB_APPLICATION_CLOSE_TIMEOUT"])
    assert pod["terminationGracePeriodSeconds"] > sleep + drain
    assert config["PROMETHEUS_MULTIPROC_DIR"].startswith("/tmp/")  # noqa: S108 (the pod's emptyDir)


def test_http_probes_send_an_allowed_host(rendered: list[dict[str, Any]]) -> None:
    """Django answers 400 to a Host outside ALLOWED_HOSTS, and the kubelet sends the pod IP."""
    config = by_kind(rendered, "ConfigMap")["studymate-config"]["data"]
    allowed = config["ALLOWED_HOSTS"].split(",")
    probes = [
        probe["httpGet"]
        for document in rendered
        if (spec := pod_spec(document))
        for container in spec["containers"]
        for kind in ("startupProbe", "livenessProbe", "readinessProbe")
        if "httpGet" in (probe := container.get(kind, {})) and probe["httpGet"]["port"] == "http"
    ]
    assert len(probes) == 3
    for probe in probes:
        assert {"name": "Host", "value": "studymate-web"} in probe["httpHeaders"]
    assert "studymate-web" in allowed


def test_ingress_keeps_websockets_open(rendered: list[dict[str, Any]]) -> None:
    ingress = by_kind(rendered, "Ingress")["studymate"]
    annotations = ingress["metadata"]["annotations"]
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
    host = ingress["spec"]["rules"][0]["host"]
    config = by_kind(rendered, "ConfigMap")["studymate-config"]["data"]
    assert host in config["ALLOWED_HOSTS"].split(",")
    assert ingress["spec"]["tls"][0]["hosts"] == [host]


def test_disruption_budgets_leave_room_to_drain(rendered: list[dict[str, Any]]) -> None:
    budgets = by_kind(rendered, "PodDisruptionBudget")
    autoscalers = by_kind(rendered, "HorizontalPodAutoscaler")
    assert set(budgets) == {"studymate-web", "studymate-worker"}
    for name, budget in budgets.items():
        assert budget["spec"]["minAvailable"] < autoscalers[name]["spec"]["minReplicas"], name


def test_overlays_differ_in_image_and_scale() -> None:
    dev, prod = (render(K8S / "overlays" / name) for name in OVERLAYS)
    images = [
        {c["image"] for d in docs if (s := pod_spec(d)) for c in s["containers"]}
        for docs in (dev, prod)
    ]
    assert all(len(found) == 1 for found in images)
    assert images[0] != images[1]
    assert all(":" in next(iter(found)) for found in images)
    web = [by_kind(docs, "Deployment")["studymate-web"]["spec"]["replicas"] for docs in (dev, prod)]
    assert web[0] < web[1]


SECRET_NAMES = re.compile(r"(SECRET|PASSWORD|TOKEN|_KEY$|DATABASE_URL|REDIS_URL|DSN)")


def test_secrets_only_come_from_the_secret_reference(rendered: list[dict[str, Any]]) -> None:
    for document in rendered:
        if document["kind"] == "ConfigMap":
            leaked = [key for key in document["data"] if SECRET_NAMES.search(key)]
            assert not leaked, leaked
        spec = pod_spec(document)
        for container in spec["containers"] if spec else []:
            for variable in container.get("env", []):
                if SECRET_NAMES.search(variable["name"]):
                    assert "value" not in variable, variable
                    reference = variable["valueFrom"]["secretKeyRef"]
                    assert reference["name"] == "studymate-secrets"
                    assert reference["key"] == variable["name"]


def test_the_secret_example_carries_no_values() -> None:
    (example,) = load_documents(K8S / "base" / "secret.example.yaml")
    assert example["kind"] == "Secret"
    assert example["metadata"]["name"] == "studymate-secrets"
    assert not example.get("data")
    assert not example.get("stringData")
    kustomization = yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text())
    assert "secret.example.yaml" not in kustomization["resources"]
