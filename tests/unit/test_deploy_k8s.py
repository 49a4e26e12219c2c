"""deploy/k8s: the base and the production overlay, rendered (tests/kustomize.py) and checked
offline against the Kubernetes OpenAPI schema in strict mode (unknown fields refused), then
for what the product needs of them: probes, grace, resources, the migration Job, the HPA and
PDBs aimed at the right pods, and secrets mounted as files."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from tests.deploy_support import misnamed_settings
from tests.kustomize import Resource, load_documents, render

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
# The oldest minor release still supported by the large managed offerings, and the newest
# schema the validator ships.
VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
SECRET_MOUNT = Path("/run/secrets/mocheong")


@pytest.fixture(scope="module")
def overlay(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of deploy/k8s with stand-in secret files where an operator writes the real ones."""
    copy = tmp_path_factory.mktemp("k8s")
    shutil.copytree(K8S, copy, dirs_exist_ok=True)
    production = copy / "overlays" / "production"
    kustomization = load_documents(production / "kustomization.yaml")[0]
    for generator in kustomization["secretGenerator"]:
        for file in generator["files"]:
            (production / file).parent.mkdir(exist_ok=True)
            (production / file).write_text(f"stand-in {Path(file).name}")
    return production


@pytest.fixture(scope="module")
def resources(overlay: Path) -> dict[tuple[str, str], Resource]:
    return {(r["kind"], r["metadata"]["name"]): r for r in render(overlay)}


def _pod(resource: Resource) -> dict[str, Any]:
    spec: dict[str, Any] = resource["spec"]["template"]["spec"]
    return spec


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("folder", ["base", "overlays/production"])
def test_every_manifest_is_valid_in_strict_mode(version: str, folder: str, overlay: Path) -> None:
    rendered = render(K8S / folder if folder == "base" else overlay)
    assert len(rendered) >= 8
    for resource in rendered:
        kubernetes_validate.validate(resource, version, strict=True)


def test_strict_validation_refuses_a_misspelt_field(
    resources: dict[tuple[str, str], Resource],
) -> None:
    api = resources["Deployment", "mocheong-api"]
    broken = {**api, "spec": {**api["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)


def test_the_api_is_probed_for_start_life_and_readiness(
    resources: dict[tuple[str, str], Resource],
) -> None:
    pod = _pod(resources["Deployment", "mocheong-api"])
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["startupProbe"]["httpGet"]["path"] == "/health"
    assert container["args"] == ["serve"]
    # The balancer stops sending before SIGTERM, and the drain fits in the grace period.
    pause = container["lifecycle"]["preStop"]["exec"]["command"]
    assert pause[0] == "sleep"
    assert pod["terminationGracePeriodSeconds"] >= 30 + int(pause[1])


def test_the_worker_is_probed_by_its_health_check_command(
    resources: dict[tuple[str, str], Resource],
) -> None:
    pod = _pod(resources["Deployment", "mocheong-worker"])
    (container,) = pod["containers"]
    check = ["mocheong", "worker", "check"]
    assert container["args"] == ["worker"]
    assert container["startupProbe"]["exec"]["command"] == check
    assert container["readinessProbe"]["exec"]["command"] == check
    # Liveness asks only whether the worker still beats: an outage restarts no worker.
    assert container["livenessProbe"]["exec"]["command"] == [*check, "--live"]
    # The beat lives under /tmp, which is writable in a read-only container.
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert "/tmp" in {mount["mountPath"] for mount in container["volumeMounts"]}  # noqa: S108


def test_every_pod_has_requests_limits_and_no_root(
    resources: dict[tuple[str, str], Resource],
) -> None:
    workloads = [r for r in resources.values() if r["kind"] in {"Deployment", "Job"}]
    assert {r["metadata"]["name"] for r in workloads} == {
        "mocheong-api",
        "mocheong-worker",
        "mocheong-migrate",
    }
    images = set()
    for workload in workloads:
        pod = _pod(workload)
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == 10001  # the Dockerfile's user
        if workload["kind"] == "Deployment":
            assert pod["terminationGracePeriodSeconds"] >= 30
        for container in pod["containers"]:
            images.add(container["image"])
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][kind])
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert images == {"registry.example.com/mocheong:0.1.0"}  # one image, set by the overlay


def test_the_migration_job_upgrades_the_database_once(
    resources: dict[tuple[str, str], Resource],
) -> None:
    job = resources["Job", "mocheong-migrate"]
    (container,) = _pod(job)["containers"]
    assert container["args"] == ["db", "upgrade"]
    assert _pod(job)["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] <= 5


def test_the_hpa_the_pdbs_and_the_service_select_the_right_pods(
    resources: dict[tuple[str, str], Resource],
) -> None:
    def labels(name: str) -> dict[str, str]:
        template_labels: dict[str, str] = resources["Deployment", name]["spec"]["template"][
            "metadata"
        ]["labels"]
        return template_labels

    hpa = resources["HorizontalPodAutoscaler", "mocheong-api"]
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "mocheong-api",
    }
    assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    # The HPA owns the API's replica count: the Deployment states none to fight it.
    assert "replicas" not in resources["Deployment", "mocheong-api"]["spec"]
    for name in ("mocheong-api", "mocheong-worker"):
        selector = resources["PodDisruptionBudget", name]["spec"]["selector"]["matchLabels"]
        assert selector.items() <= labels(name).items()
    service = resources["Service", "mocheong-api"]
    assert service["spec"]["selector"].items() <= labels("mocheong-api").items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    backend = resources["Ingress", "mocheong"]["spec"]["rules"][0]["http"]["paths"][0]
    assert backend["backend"]["service"]["name"] == "mocheong-api"


def test_settings_come_from_the_configmap_and_secrets_as_mounted_files(
    resources: dict[tuple[str, str], Resource],
) -> None:
    config = resources["ConfigMap", "mocheong-config"]["data"]
    assert misnamed_settings(config) == []
    assert config["MOCHEONG_ENV"] == "production"
    secret_keys = set(resources["Secret", "mocheong-secrets"]["data"])
    files = {name: Path(value) for name, value in config.items() if name.endswith("_FILE")}
    assert "MOCHEONG_JWT_SECRET_FILE" in files
    assert {path.name for path in files.values()} == secret_keys
    assert {path.parent for path in files.values()} == {SECRET_MOUNT}
    for name in ("mocheong-api", "mocheong-worker", "mocheong-migrate"):
        kind = "Job" if name == "mocheong-migrate" else "Deployment"
        pod = _pod(resources[kind, name])
        (container,) = pod["containers"]
        assert container["envFrom"] == [{"configMapRef": {"name": "mocheong-config"}}]
        mounts = {m["name"]: m for m in container["volumeMounts"]}
        assert mounts["secrets"]["mountPath"] == str(SECRET_MOUNT)
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["secrets"]["secret"]["secretName"] == "mocheong-secrets"
        # Readable by the pod's group alone (fsGroup), not by everyone.
        assert volumes["secrets"]["secret"]["defaultMode"] == 0o440
        assert pod["securityContext"]["fsGroup"] == 10001


def test_the_secret_files_stay_out_of_the_repository() -> None:
    ignore = (K8S / "overlays" / "production" / ".gitignore").read_text().split()
    assert "secrets/" in ignore
