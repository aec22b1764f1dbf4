"""k8s/: every document validates against the Kubernetes schemas, and the overlays render to a
deployment that follows the platform's rules (probes, limits, non-root, no secret values, one
beat; stream processors that hand their partitions over on a rolling update)."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml
from django.conf import settings

from tests.deploy.kustomize import UnsupportedKustomization, load_documents, pod_spec, render

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


def test_the_five_processes_are_deployed(rendered: list[dict[str, Any]]) -> None:
    deployments = by_kind(rendered, "Deployment")
    commands = {
        name: doc["spec"]["template"]["spec"]["containers"][0]["args"]
        for name, doc in deployments.items()
    }
    assert commands == {
        "studymate-web": ["web"],
        "studymate-ws": ["ws"],
        "studymate-worker": ["worker"],
        "studymate-beat": ["beat"],
        "studymate-stream": ["stream"],
    }
    job = by_kind(rendered, "Job")["studymate-migrate"]
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]


def test_beat_runs_exactly_once(rendered: list[dict[str, Any]]) -> None:
    beat = by_kind(rendered, "Deployment")["studymate-beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}


def test_stream_processors_share_partitions_and_never_all_stop_on_a_rollout(
    rendered: list[dict[str, Any]],
) -> None:
    """Any number of stream replicas share the activity stream's partitions; a rollout starts
    the new one before stopping an old one, which gives its leases back on SIGTERM."""
    stream = by_kind(rendered, "Deployment")["studymate-stream"]
    assert stream["spec"]["replicas"] >= 1
    assert stream["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
    }
    scaled = {
        doc["spec"]["scaleTargetRef"]["name"]
        for doc in by_kind(rendered, "HorizontalPodAutoscaler").values()
    }
    assert scaled == {"studymate-web", "studymate-ws", "studymate-worker"}


MEDIA_USERS = {"studymate-web", "studymate-worker"}


def test_the_media_volume_is_shared_read_write(rendered: list[dict[str, Any]]) -> None:
    claim = by_kind(rendered, "PersistentVolumeClaim")["studymate-media"]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]


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
            # The pod's emptyDir; web and worker share the media volume (data exports are built
            # by a worker and downloaded through web), nothing else is writable.
            writable = {"/tmp"}  # noqa: S108 (the pod's emptyDir)
            if name in MEDIA_USERS:
                writable.add("/app/media")
                assert mounts["media"]["persistentVolumeClaim"]["claimName"] == "studymate-media"
            assert {m["mountPath"] for m in container["volumeMounts"]} == writable, name
            for kind in ("requests", "limits"):
                assert set(container["resources"][kind]) == {"cpu", "memory"}, name
            if document["kind"] == "Deployment":
                assert "livenessProbe" in container, name
                assert "readinessProbe" in container, name


@pytest.mark.parametrize(
    ("deployment", "drain_setting"),
    [("studymate-web", "WEB_KILL_TIMEOUT"), ("studymate-ws", "WEB_APPLICATION_CLOSE_TIMEOUT")],
)
def test_servers_probe_health_endpoints_and_drain_in_time(
    rendered: list[dict[str, Any]], deployment: str, drain_setting: str
) -> None:
    server = by_kind(rendered, "Deployment")[deployment]
    pod = server["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/alive/"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready/"
    sleep = int(container["lifecycle"]["preStop"]["exec"]["command"][1])
    config = by_kind(rendered, "ConfigMap")["studymate-config"]["data"]
    drain = int(config[drain_setting])
    assert pod["terminationGracePeriodSeconds"] > sleep + drain
    assert config["PROMETHEUS_MULTIPROC_DIR"].startswith("/tmp/")  # noqa: S108 (the pod's emptyDir)


def test_ingress_sends_sockets_to_daphne_and_the_rest_to_granian(
    rendered: list[dict[str, Any]],
) -> None:
    (rule,) = by_kind(rendered, "Ingress")["studymate"]["spec"]["rules"]
    routes = {path["path"]: path["backend"]["service"]["name"] for path in rule["http"]["paths"]}
    assert routes == {"/ws/": "studymate-ws", "/": "studymate-web"}
    services = by_kind(rendered, "Service")
    for name in routes.values():
        assert services[name]["spec"]["selector"]["app.kubernetes.io/component"] == name[10:]
    entrypoint = (K8S.parent / "docker" / "entrypoint.sh").read_text()
    assert "exec granian --interface wsgi" in entrypoint
    assert "exec daphne" in entrypoint


def test_only_the_http_tier_gets_provider_and_billing_keys(rendered: list[dict[str, Any]]) -> None:
    deployments = by_kind(rendered, "Deployment")

    def variables(name: str) -> set[str]:
        return {
            v["name"] for v in deployments[name]["spec"]["template"]["spec"]["containers"][0]["env"]
        }

    assert {"OPENAI_API_KEY", "STRIPE_SECRET_KEY"} <= variables("studymate-web")
    notifications = {
        "EMAIL_URL",
        "DEFAULT_FROM_EMAIL",
        "FCM_SERVICE_ACCOUNT_JSON",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_FROM_NUMBER",
    }
    # Web decides at `notify` whether push can go out; the worker sends; beat and stream notify.
    for name in ("studymate-web", "studymate-worker", "studymate-beat", "studymate-stream"):
        assert notifications <= variables(name), name
        for variable in deployments[name]["spec"]["template"]["spec"]["containers"][0]["env"]:
            if variable["name"] in notifications:
                assert variable["valueFrom"]["secretKeyRef"] == {
                    "name": "studymate-secrets",
                    "key": variable["name"],
                    "optional": True,
                }
    config = by_kind(rendered, "ConfigMap")["studymate-config"]["data"]
    assert config["PUBLIC_URL"].startswith("https://")
    assert variables("studymate-ws") == {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "METRICS_TOKEN"}


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
    assert len(probes) == 6  # startup, liveness and readiness of web and ws
    for probe in probes:
        assert {"name": "Host", "value": "studymate-web"} in probe["httpHeaders"]
    assert "studymate-web" in allowed


HEARTBEAT_PROCESSES = ("studymate-worker", "studymate-beat", "studymate-stream")
PROBES = ("startupProbe", "livenessProbe", "readinessProbe")
# A probe that starts Python (manage.py, celery inspect) cost seconds of CPU each time it ran.
STARTS_PYTHON = re.compile(r"\b(python[\d.]*|manage\.py|celery|django-admin)\b")


def _heartbeat_probe(container: dict[str, Any]) -> tuple[str, list[str]]:
    """The heartbeat file the container names and the one probe command reading it."""
    variables = {v["name"]: v.get("value") for v in container["env"]}
    path = variables["HEARTBEAT_FILE"]
    commands = {tuple(container[kind]["exec"]["command"]) for kind in PROBES}
    assert len(commands) == 1, commands
    (command,) = commands
    return path, list(command)


def test_processes_are_probed_by_their_heartbeat_in_sh(rendered: list[dict[str, Any]]) -> None:
    deployments = by_kind(rendered, "Deployment")
    for name in HEARTBEAT_PROCESSES:
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        path, command = _heartbeat_probe(container)
        assert path.startswith("/tmp/"), name  # noqa: S108 (the pod's emptyDir, writable)
        assert command[:2] == ["sh", "-c"], name
        assert f"stat -c %Y {path}" in command[2], name
    for document in rendered:
        for container in spec["containers"] if (spec := pod_spec(document)) else []:
            for kind in PROBES:
                command = container.get(kind, {}).get("exec", {}).get("command", [])
                assert not STARTS_PYTHON.search(" ".join(command)), (container["name"], kind)


def test_the_probe_guards_itself() -> None:
    for command in (
        "python manage.py x",
        "sh -c 'celery -A a inspect ping'",
        "/usr/bin/python3 -c",
    ):
        assert STARTS_PYTHON.search(command), command
    assert not STARTS_PYTHON.search("test $(( $(date +%s) - $(stat -c %Y /tmp/heartbeat) )) -lt 60")


def _probe_passes(probe: list[str], heartbeat: Path, age: float | None) -> bool:
    """Runs `probe` with `heartbeat` last touched `age` seconds ago (None: no file)."""
    heartbeat.unlink(missing_ok=True)
    if age is not None:
        heartbeat.touch()
        os.utime(heartbeat, (time.time() - age, time.time() - age))
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0


@pytest.mark.e2e
def test_the_heartbeat_probe_passes_only_on_a_fresh_file(tmp_path: Path) -> None:
    """The manifests' probe command itself, in a real sh: missing or 60 s old fails."""
    deployments = by_kind(render(K8S / "overlays" / "prod"), "Deployment")
    heartbeat = tmp_path / "heartbeat"
    for name in HEARTBEAT_PROCESSES:
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        path, command = _heartbeat_probe(container)
        probe = [*command[:2], command[2].replace(path, str(heartbeat))]
        assert _probe_passes(probe, heartbeat, 0), name
        assert _probe_passes(probe, heartbeat, 45), name
        assert not _probe_passes(probe, heartbeat, 61), name
        assert not _probe_passes(probe, heartbeat, None), name


def _mebibytes(quantity: str) -> float:
    units = {"Mi": 1.0, "Gi": 1024.0}
    return float(quantity[:-2]) * units[quantity[-2:]]


def test_memory_limits_leave_headroom_and_room_to_recycle(rendered: list[dict[str, Any]]) -> None:
    """Requests are the measured steady RSS, limits about twice that (README, Processes); the
    worker's pool processes are replaced at CELERY_WORKER_MAX_MEMORY_PER_CHILD before the limit
    (a pool process's RSS counts the ~80 MiB it shares with the main process, which is charged
    once: the bound holds the main process too)."""
    deployments = by_kind(rendered, "Deployment")
    for name, deployment in deployments.items():
        resources = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]
        request = _mebibytes(resources["requests"]["memory"])
        limit = _mebibytes(resources["limits"]["memory"])
        assert 1.5 * request <= limit <= 2.5 * request, name
    worker = deployments["studymate-worker"]["spec"]["template"]["spec"]["containers"][0]
    concurrency = int(
        by_kind(rendered, "ConfigMap")["studymate-config"]["data"]["CELERY_WORKER_CONCURRENCY"]
    )
    per_child_kib = settings.CELERY_WORKER_MAX_MEMORY_PER_CHILD
    assert per_child_kib, "pool processes must be replaced before the limit"
    per_child_mib = per_child_kib / 1024
    assert concurrency * per_child_mib <= _mebibytes(worker["resources"]["limits"]["memory"])


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
    assert set(budgets) == {"studymate-web", "studymate-ws", "studymate-worker"}
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


def test_load_based_autoscaling_replaces_the_worker_hpa_with_keda() -> None:
    documents = render(K8S / "overlays" / "prod-autoscaling")
    keda = [doc for doc in documents if doc["apiVersion"].startswith("keda.sh/")]
    for document in documents:
        if document not in keda:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    assert {doc["metadata"]["namespace"] for doc in documents} == {"studymate"}

    autoscalers = by_kind(documents, "HorizontalPodAutoscaler")
    assert set(autoscalers) == {"studymate-web", "studymate-ws"}  # KEDA owns the worker's
    web_metrics = {
        metric["type"]: metric for metric in autoscalers["studymate-web"]["spec"]["metrics"]
    }
    assert web_metrics["Resource"]["resource"]["name"] == "cpu"
    assert web_metrics["Pods"]["pods"]["metric"]["name"] == "http_requests_per_second"

    scaled = by_kind(documents, "ScaledObject")["studymate-worker"]["spec"]
    assert scaled["scaleTargetRef"]["name"] in by_kind(documents, "Deployment")
    assert scaled["minReplicaCount"] == 3
    assert scaled["minReplicaCount"] < scaled["maxReplicaCount"]
    triggers = {trigger["type"]: trigger for trigger in scaled["triggers"]}
    assert triggers["redis"]["metadata"]["listName"] == "celery"  # Celery's default queue
    assert int(triggers["redis"]["metadata"]["listLength"]) > 0
    authentication = by_kind(documents, "TriggerAuthentication")
    credentials = authentication[triggers["redis"]["authenticationRef"]["name"]]["spec"]
    assert {ref["name"] for ref in credentials["secretTargetRef"]} == {"studymate-secrets"}
    assert triggers["cpu"]["metricType"] == "Utilization"


def test_the_renderer_refuses_a_component_it_does_not_understand(tmp_path: Path) -> None:
    component = tmp_path / "component"
    component.mkdir()
    (component / "kustomization.yaml").write_text("kind: Component\nreplacements: []\n")
    (tmp_path / "kustomization.yaml").write_text("resources: []\ncomponents: [component]\n")
    with pytest.raises(UnsupportedKustomization):
        render(tmp_path)
