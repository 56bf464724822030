"""SandboxConfig: environment loading and the checks that keep a sandbox runnable."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from service.config import ConfigError, load
from service.sandbox import SandboxConfig


def test_loads_from_trace_sandbox_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACE_SANDBOX_SEED", "7")
    monkeypatch.setenv("TRACE_SANDBOX_RATE_WINDOW", "2.5")
    monkeypatch.setenv("TRACE_SANDBOX_FAULTS", '{"error_rate": 0.5, "reject_names": [{"contains": "X"}]}')

    config = load(SandboxConfig, lead_count=3)

    assert (config.seed, config.rate_window, config.lead_count) == (7, 2.5, 3)
    assert config.faults.error_rate == 0.5
    assert config.faults.reject_names[0].mode == "offer"


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"jwt_secret": "short"}, "TRACE_SANDBOX_JWT_SECRET"),
        ({"rate_limit": 0}, "TRACE_SANDBOX_RATE_LIMIT"),
        ({"token_lifetime": 0}, "TRACE_SANDBOX_TOKEN_LIFETIME"),
        ({"faults": {"error_statuses": [200]}}, "TRACE_SANDBOX_FAULTS"),
        ({"faults": {"error_rate": 1.5}}, "TRACE_SANDBOX_FAULTS"),
    ],
)
def test_invalid_settings_name_the_variable(overrides: dict[str, object], variable: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load(SandboxConfig, **overrides)

    assert raised.value.problems[0].startswith(variable)
    assert "short" not in str(raised.value)


def test_naive_base_time_is_utc_and_secrets_stay_masked() -> None:
    config = SandboxConfig(base_time=datetime(2026, 1, 15, 12, 0))

    assert config.base_time == datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    assert "sandbox-secret" not in repr(config)
    assert "demo-signing-key" not in repr(config)
