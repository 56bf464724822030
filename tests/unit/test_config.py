"""Configuration: validation, error lines naming the variable, secrets never printed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from service.config import AmqpSettings, ConfigError, ServiceSettings, load, load_all
from service.sections import ALL_SECTIONS, markdown_table
from service.trace.settings import TraceSettings

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cr3t-Value-That-Must-Not-Leak"
REQUIRED = {
    "TRACE_API_URL": "https://api.example.com",
    "TRACE_CLIENT_ID": "client",
    "TRACE_CLIENT_SECRET": SECRET,
    "TRACE_AUDIENCE": "https://audience.example.com",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in [*REQUIRED, "AMQP_URL"]:
        monkeypatch.delenv(name, raising=False)


def test_required_trace_variables_are_named_when_missing() -> None:
    with pytest.raises(ConfigError) as caught:
        load(TraceSettings)
    assert caught.value.problems == [
        "TRACE_API_URL: is required but not set",
        "TRACE_CLIENT_ID: is required but not set",
        "TRACE_CLIENT_SECRET: is required but not set",
        "TRACE_AUDIENCE: is required but not set",
    ]


def test_valid_environment_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    settings = load(TraceSettings)
    assert settings.client_secret.get_secret_value() == SECRET
    assert SECRET not in repr(settings)


@pytest.mark.parametrize(
    ("variable", "value", "section"),
    [
        ("TRACE_BRIDGE_HTTP_PORT", "eighty", ServiceSettings),
        ("TRACE_BRIDGE_HTTP_PORT", "70000", ServiceSettings),
        ("TRACE_BRIDGE_LOG_LEVEL", "LOUD", ServiceSettings),
        ("TRACE_BRIDGE_LOG_FORMAT", "xml", ServiceSettings),
        ("TRACE_BRIDGE_STATE_URL", "mysql://db", ServiceSettings),
        ("TRACE_BRIDGE_AMQP_HEARTBEAT", "0", AmqpSettings),
    ],
)
def test_invalid_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, section: type[ServiceSettings]
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load(section)
    [problem] = caught.value.problems
    assert problem.startswith(f"{variable}: ")
    assert value not in problem


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TRACE_BRIDGE_HTTP_PORT=9123\n")
    assert load(ServiceSettings).http_port == 9123


def test_all_sections_load_with_defaults_and_required_values(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    loaded = load_all(ALL_SECTIONS)
    assert set(loaded) == set(ALL_SECTIONS)


def test_cli_exits_2_with_one_line_per_problem_and_no_secret(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "TRACE_CLIENT_SECRET": SECRET,
        "TRACE_BRIDGE_HTTP_PORT": "x",
        "AMQP_URL": f"amqp://user:{SECRET}@host/",
    }
    result = subprocess.run(
        [sys.executable, "-m", "service", "config", "show"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert SECRET not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert "configuration error: TRACE_BRIDGE_HTTP_PORT: Input should be a valid integer" in lines[0]
    assert any(line.startswith("configuration error: TRACE_API_URL:") for line in lines)


def test_config_show_masks_secrets(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", **REQUIRED, "AMQP_URL": f"amqp://user:{SECRET}@host/"}
    result = subprocess.run(
        [sys.executable, "-m", "service", "config", "show"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=True,
    )
    assert SECRET not in result.stdout
    assert "TRACE_CLIENT_SECRET=***" in result.stdout
    assert "AMQP_URL=amqp://user:***@host/" in result.stdout


def test_readme_lists_every_variable_with_its_default() -> None:
    readme = (ROOT / "README.md").read_text()
    assert markdown_table() in readme, "README variable table is stale: run `trace-bridge config table`"
