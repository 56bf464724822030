"""Outbound proxy: the standard variables choose it, and TRACE calls really go through it.

The suite starts with every proxy variable removed (tests/conftest.py); each test sets its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest

from service.config import ConfigError, load
from service.trace.client import TraceClient
from service.trace.errors import TokenUnavailableError, UnavailableError
from service.trace.profile import TraceProfile
from service.trace.proxy import ProxyConfigError, describe, proxy_for
from service.trace.settings import TraceSettings
from tests.sandbox.helpers import dm_offer
from tests.support.sandbox import SandboxServer
from tests.support.tcpproxy import HttpForwardProxy
from tests.trace.fakes import settings

UNRESOLVABLE = "trace-sandbox.invalid"


@pytest.mark.parametrize(
    ("variables", "url", "expected"),
    [
        ({}, "https://api.example.com", None),
        ({"HTTPS_PROXY": "http://proxy:3128"}, "https://api.example.com", "http://proxy:3128"),
        ({"HTTPS_PROXY": "http://proxy:3128"}, "http://api.example.com", None),
        ({"HTTP_PROXY": "http://plain:8080"}, "http://api.example.com", "http://plain:8080"),
        ({"ALL_PROXY": "http://every:8080"}, "https://api.example.com", "http://every:8080"),
        ({"https_proxy": "http://lower:1", "HTTPS_PROXY": "http://upper:2"}, "https://a.b", "http://lower:1"),
        ({"HTTPS_PROXY": "proxy.corp:3128"}, "https://api.example.com", "http://proxy.corp:3128"),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "example.com"}, "https://api.example.com", None),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": ".example.com"}, "https://api.example.com", None),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "*"}, "https://api.example.com", None),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "other.com"}, "https://api.example.com", "http://p:1"),
    ],
)
def test_the_standard_variables_choose_the_proxy(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], url: str, expected: str | None
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    proxy = proxy_for(url)
    assert (None if proxy is None else str(proxy.url)) == expected


def test_proxy_credentials_go_to_the_auth_header_never_to_the_log(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://user:s3cret-pw@proxy.corp:3128")
    proxy = proxy_for("https://api.example.com")
    assert proxy is not None
    assert describe(proxy) == "http://proxy.corp:3128"
    assert proxy.auth == ("user", "s3cret-pw")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("http://user:pw-XYZ@", "HTTPS_PROXY: only http"),
        ("socks5://user:pw-XYZ@p:1080", "HTTPS_PROXY: only http"),
        ("http://user:pw-XYZ@proxy:port", "HTTPS_PROXY is not a proxy URL"),
    ],
)
def test_an_unusable_proxy_stops_start_up_naming_the_variable_not_the_value(
    monkeypatch: pytest.MonkeyPatch, value: str, problem: str
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", value)
    with pytest.raises(ProxyConfigError, match=problem):
        proxy_for("https://api.example.com")
    monkeypatch.setenv("TRACE_API_URL", "https://api.example.com")
    monkeypatch.setenv("TRACE_CLIENT_ID", "id")
    monkeypatch.setenv("TRACE_CLIENT_SECRET", "secret")
    monkeypatch.setenv("TRACE_AUDIENCE", "aud")
    with pytest.raises(ConfigError) as raised:
        load(TraceSettings, _env_file=None)
    [line] = raised.value.problems
    assert line.startswith(problem)
    assert "pw-XYZ" not in str(raised.value)


@pytest.fixture
async def forward_proxy(sandbox: SandboxServer) -> AsyncIterator[HttpForwardProxy]:
    proxy = HttpForwardProxy(target_port=urlsplit(sandbox.url).port or 80)
    await proxy.start()
    yield proxy
    await proxy.stop()


def through_unresolvable_host(sandbox: SandboxServer) -> TraceClient:
    """A client for a TRACE host no resolver knows: only a proxy can reach the sandbox."""
    credentials = sandbox.credentials()
    values = {
        "TRACE_API_URL": f"http://{UNRESOLVABLE}:{urlsplit(sandbox.url).port}",
        "TRACE_CLIENT_ID": credentials["client_id"],
        "TRACE_CLIENT_SECRET": credentials["client_secret"],
        "TRACE_AUDIENCE": credentials["audience"],
        "retry_attempts": 1,
        "token_wait_timeout": 1.0,
    }
    return TraceClient(settings(**values), TraceProfile(_env_file=None))


@pytest.mark.integration
async def test_logins_uploads_and_lead_pages_go_through_the_proxy(
    monkeypatch: pytest.MonkeyPatch, sandbox: SandboxServer, forward_proxy: HttpForwardProxy
) -> None:
    monkeypatch.setenv("HTTP_PROXY", forward_proxy.url())
    async with through_unresolvable_host(sandbox) as client:
        result = await client.upload_direct_marketing([dm_offer("Via proxy")])
        pages = [page async for page in client.iter_leads()]
    assert result.offers[0].success
    assert pages[0].items
    origin = f"http://{UNRESOLVABLE}:{urlsplit(sandbox.url).port}"
    targets = {line.split(" ")[1].removeprefix(origin).split("?")[0] for line in forward_proxy.requests}
    assert targets >= {"/api/auth/m2m-login", "/api/crm/leads/energy-tariff"}
    assert any(target.endswith("/direct-marketing/upload") for target in targets), targets


@pytest.mark.integration
async def test_no_proxy_sends_the_host_direct(
    monkeypatch: pytest.MonkeyPatch, sandbox: SandboxServer, forward_proxy: HttpForwardProxy
) -> None:
    monkeypatch.setenv("HTTP_PROXY", forward_proxy.url())
    monkeypatch.setenv("NO_PROXY", UNRESOLVABLE)
    async with through_unresolvable_host(sandbox) as client:
        with pytest.raises((TokenUnavailableError, UnavailableError)):
            await client.upload_direct_marketing([dm_offer("Direct")])
    assert forward_proxy.requests == []
