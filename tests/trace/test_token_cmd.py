"""`trace-bridge token check`: exit codes and what it prints (never the token)."""

from __future__ import annotations

import httpx
import jwt
import pytest
from pydantic import SecretStr

from service.cli.token_cmd import run_check
from service.trace.profile import TraceProfile
from tests.support.sandbox import SandboxServer
from tests.trace.fakes import FakeTrace, json_response, settings

CLAIMS = {"sub": "unit-client", "aud": "https://audience.test", "scope": "read:leads upload:tariffs"}


async def test_prints_lifetime_and_safe_claims_but_not_the_token(
    profile: TraceProfile, capsys: pytest.CaptureFixture[str]
) -> None:
    token = jwt.encode({**CLAIMS, "secretish": "x"}, "k" * 32, algorithm="HS256")

    def login(request: httpx.Request) -> httpx.Response:
        return json_response(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    assert await run_check(settings(), profile, httpx.MockTransport(login)) == 0
    out = capsys.readouterr().out
    assert "token lifetime 3600 s" in out
    assert "scope: read:leads upload:tariffs" in out
    assert "sub: unit-client" in out
    assert "secretish" not in out
    assert token not in out


async def test_opaque_tokens_show_only_the_lifetime(
    profile: TraceProfile, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeTrace(lifetime=60)
    assert await run_check(settings(), profile, fake.transport()) == 0
    out = capsys.readouterr().out
    assert "token lifetime 60 s" in out
    assert "not a JWT" in out
    assert fake.issued[0] not in out


@pytest.mark.parametrize(("status", "code"), [(401, 2), (403, 2), (503, 3)])
async def test_exit_codes(profile: TraceProfile, status: int, code: int) -> None:
    fake = FakeTrace()
    fake.login_outage = status
    assert await run_check(settings(token_wait_timeout=0.2), profile, fake.transport()) == code


@pytest.mark.integration
async def test_check_against_the_sandbox(sandbox: SandboxServer, capsys: pytest.CaptureFixture[str]) -> None:
    credentials = sandbox.credentials()
    good = settings(
        TRACE_API_URL=credentials["api_url"],
        TRACE_CLIENT_ID=credentials["client_id"],
        TRACE_CLIENT_SECRET=credentials["client_secret"],
        TRACE_AUDIENCE=credentials["audience"],
        token_wait_timeout=0.5,
    )
    profile = TraceProfile(_env_file=None)
    assert await run_check(good, profile) == 0
    out = capsys.readouterr().out
    assert "scope: read:leads upload:tariffs" in out
    assert "eyJ" not in out
    wrong = good.model_copy(update={"client_secret": SecretStr("wrong-secret")})
    assert await run_check(wrong, profile) == 2
    sandbox.stop()
    assert await run_check(good, profile) == 3
