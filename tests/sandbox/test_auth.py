"""M2M login and the Bearer gate in front of every TRACE route."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest

from service.sandbox.config import AUDIENCE, DEMO_JWT_SECRET, ClientConfig
from tests.sandbox.helpers import LEADS_PATH, LOGIN_PATH, bearer, credentials
from tests.support.sandbox import SandboxServer, StartSandbox
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


def forged(secret: str = DEMO_JWT_SECRET, **claims: Any) -> str:
    now = time.time()
    payload = {
        "sub": "sandbox-client",
        "aud": AUDIENCE,
        "scope": "read:leads upload:tariffs",
        "policies": ["LeadsAccess"],
        "iat": now,
        "exp": now + 3600,
        "jti": "x",
        "gen": 0,
        **claims,
    }
    return jwt.encode(payload, secret, algorithm="HS256")


async def test_login_issues_a_bearer_jwt(sandbox: SandboxServer, http: httpx.AsyncClient) -> None:
    response = await http.post(LOGIN_PATH, json=credentials())

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 86400
    claims = jwt.decode(body["access_token"], DEMO_JWT_SECRET, algorithms=["HS256"], audience=AUDIENCE)
    assert claims["sub"] == "sandbox-client"
    assert claims["scope"] == "read:leads upload:tariffs"
    assert claims["exp"] - claims["iat"] == pytest.approx(86400)
    assert {"jti", "gen"} <= claims.keys()
    assert sandbox.stats()["logins"] == 1
    assert (await http.get(LEADS_PATH, headers=bearer(body["access_token"]))).status_code == 200


async def test_expires_in_is_a_whole_second_count_of_the_lifetime(start_sandbox: StartSandbox) -> None:
    server = start_sandbox(lead_count=0, token_lifetime=2.5)
    async with httpx.AsyncClient(base_url=server.url) as http:
        body = (await http.post(LOGIN_PATH, json=credentials())).json()

    assert body["expires_in"] == 2
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == pytest.approx(2.5)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (credentials(secret="wrong"), 401),
        (credentials(client_id="nobody"), 401),
        ({**credentials(), "audience": "https://elsewhere"}, 401),
        ({"clientId": "sandbox-client", "clientSecret": "sandbox-secret"}, 400),
        ({**credentials(), "clientSecret": 42}, 400),
        ([credentials()], 400),
        ("not json", 400),
    ],
    ids=[
        "bad-secret",
        "unknown-client",
        "bad-audience",
        "no-audience",
        "secret-not-string",
        "array",
        "not-json",
    ],
)
async def test_refused_login(sandbox: SandboxServer, http: httpx.AsyncClient, body: Any, status: int) -> None:
    if isinstance(body, str):
        response = await http.post(LOGIN_PATH, content=body, headers={"Content-Type": "application/json"})
    else:
        response = await http.post(LOGIN_PATH, json=body)

    assert response.status_code == status
    assert response.json()["error"] == ("unauthorized" if status == 401 else "invalid_request")
    assert "sandbox-secret" not in response.text
    assert sandbox.stats()["login_failures"] == 1
    assert sandbox.stats()["logins"] == 0


@pytest.mark.parametrize(
    ("header", "counter"),
    [
        (None, None),
        ("Basic c2FuZGJveDpzZWNyZXQ=", None),
        ("Bearer", None),
        ("Bearer not-a-jwt", "invalid_token_requests"),
        (f"Bearer {forged(secret='another-key-that-is-long-enough-for-hs256')}", "invalid_token_requests"),
        (f"Bearer {forged(aud='https://other-audience')}", "invalid_token_requests"),
        (f"Bearer {forged(exp=time.time() - 1)}", "expired_token_requests"),
        (f"Bearer {forged(gen=-1)}", "revoked_token_requests"),
    ],
    ids=[
        "missing",
        "basic",
        "empty",
        "garbage",
        "foreign-key",
        "foreign-audience",
        "expired",
        "old-generation",
    ],
)
async def test_unusable_token_is_a_401(
    sandbox: SandboxServer, http: httpx.AsyncClient, header: str | None, counter: str | None
) -> None:
    response = await http.get(LEADS_PATH, headers={"Authorization": header} if header else {})

    assert (response.status_code, response.json()) == (401, {"error": "unauthorized"})
    stats = sandbox.stats()
    counters = ("invalid_token_requests", "expired_token_requests", "revoked_token_requests")
    assert {name: stats[name] for name in counters} == {name: int(name == counter) for name in counters}


async def test_token_expires_after_its_exact_lifetime(start_sandbox: StartSandbox) -> None:
    server = start_sandbox(lead_count=1, token_lifetime=0.6)
    async with httpx.AsyncClient(base_url=server.url) as http:
        before_login = time.time()
        token = (await http.post(LOGIN_PATH, json=credentials())).json()["access_token"]
        assert (await http.get(LEADS_PATH, headers=bearer(token))).status_code == 200

        async def refused() -> bool:
            return (await http.get(LEADS_PATH, headers=bearer(token))).status_code == 401

        expired: bool = await eventually(refused, timeout=5, message="token never expired")

    assert expired
    assert time.time() - before_login >= 0.6
    assert server.stats()["expired_token_requests"] >= 1


async def test_revoking_invalidates_every_token_issued_so_far(
    sandbox: SandboxServer, http: httpx.AsyncClient
) -> None:
    old = [sandbox.token(), sandbox.token("sandbox-leads-only")]

    revoked = await http.post("/_sandbox/revoke-tokens")
    new = (await http.post(LOGIN_PATH, json=credentials())).json()["access_token"]

    assert revoked.json() == {"generation": 1}
    for token in old:
        assert (await http.get(LEADS_PATH, headers=bearer(token))).status_code == 401
    assert (await http.get(LEADS_PATH, headers=bearer(new))).status_code == 200
    assert sandbox.stats()["revoked_token_requests"] == 2


@pytest.mark.parametrize(("client_id", "status"), [("sandbox-upload-only", 403), ("sandbox-leads-only", 200)])
async def test_leads_need_the_read_scope(
    sandbox: SandboxServer, http: httpx.AsyncClient, client_id: str, status: int
) -> None:
    response = await http.get(LEADS_PATH, headers=bearer(sandbox.token(client_id)))

    assert response.status_code == status


async def test_leads_also_need_the_leads_access_policy(start_sandbox: StartSandbox) -> None:
    no_policy = ClientConfig(client_id="partner", client_secret="partner-secret", scopes=("read:leads",))
    server = start_sandbox(lead_count=1, clients=[no_policy])
    async with httpx.AsyncClient(base_url=server.url) as http:
        token = (await http.post(LOGIN_PATH, json=credentials("partner", "partner-secret"))).json()[
            "access_token"
        ]
        response = await http.get(LEADS_PATH, headers=bearer(token))

    assert (response.status_code, response.json()) == (403, {"error": "forbidden"})
