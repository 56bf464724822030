"""M2M login and Bearer checks, shaped like TRACE's Auth0-style client-credentials flow.

Tokens are self-contained HS256 JWTs, so checking one needs no lookup. Revocation is a
generation counter carried in the `gen` claim: bumping it invalidates every token issued
so far in O(1) and without remembering any of them.
"""

from __future__ import annotations

import hmac
import math
import threading
import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jwt

from service.sandbox.config import ClientConfig, SandboxConfig

ALGORITHM = "HS256"


class TokenStatus(StrEnum):
    MISSING = "missing"
    INVALID = "invalid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    VALID = "valid"


@dataclass(frozen=True)
class Principal:
    """The caller behind a valid token."""

    client_id: str
    scopes: frozenset[str]
    policies: frozenset[str]


@dataclass(frozen=True)
class TokenCheck:
    status: TokenStatus
    principal: Principal | None = None


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int


class LoginError(Exception):
    """A refused m2m-login; `status` is 400 (malformed body) or 401 (bad credentials)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _required_string(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise LoginError(400, f"{key} is required and must be a non-empty string")
    return value


class TokenIssuer:
    """Issues and verifies tokens for the configured clients."""

    def __init__(self, config: SandboxConfig) -> None:
        self._config = config
        self._key = config.jwt_secret.get_secret_value()
        self._generation = 0
        self._lock = threading.Lock()

    def authenticate(self, body: object) -> ClientConfig:
        """The client named by an m2m-login body, or `LoginError`."""
        if not isinstance(body, dict):
            raise LoginError(400, "body must be a JSON object")
        client_id = _required_string(body, "clientId")
        secret = _required_string(body, "clientSecret")
        audience = _required_string(body, "audience")
        client = self._config.client(client_id)
        expected = client.client_secret.get_secret_value() if client else ""
        if client is None or not hmac.compare_digest(secret.encode(), expected.encode()):
            raise LoginError(401, "unknown client or wrong secret")
        if audience != client.audience:
            raise LoginError(401, "audience is not granted to this client")
        return client

    def issue(self, client: ClientConfig) -> IssuedToken:
        now = time.time()
        lifetime = self._config.token_lifetime
        with self._lock:
            generation = self._generation
        claims = {
            "sub": client.client_id,
            "aud": client.audience,
            "scope": " ".join(client.scopes),
            "policies": list(client.policies),
            "iat": now,
            "exp": now + lifetime,
            "jti": uuid.uuid4().hex,
            "gen": generation,
        }
        token = jwt.encode(claims, self._key, algorithm=ALGORITHM)
        return IssuedToken(access_token=token, expires_in=max(1, math.floor(lifetime)))

    def revoke_all(self) -> int:
        """Invalidate every token issued so far; returns the new generation."""
        with self._lock:
            self._generation += 1
            return self._generation

    def check(self, authorization: str | None) -> TokenCheck:
        """Classify the `Authorization` header of a request."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return TokenCheck(TokenStatus.MISSING)
        try:
            claims = jwt.decode(
                token.strip(),
                self._key,
                algorithms=[ALGORITHM],
                audience=[c.audience for c in self._config.clients],
                options={"verify_exp": False, "require": ["sub", "exp", "iat", "jti", "gen"]},
            )
        except jwt.InvalidTokenError:
            return TokenCheck(TokenStatus.INVALID)
        return self._classify(claims)

    def _classify(self, claims: dict[str, Any]) -> TokenCheck:
        # PyJWT truncates `exp` to an int; the sandbox enforces the exact float lifetime.
        if time.time() >= float(claims["exp"]):
            return TokenCheck(TokenStatus.EXPIRED)
        with self._lock:
            current = self._generation
        if claims["gen"] != current:
            return TokenCheck(TokenStatus.REVOKED)
        principal = Principal(
            client_id=str(claims["sub"]),
            scopes=frozenset(str(claims.get("scope", "")).split()),
            policies=frozenset(str(p) for p in claims.get("policies", [])),
        )
        return TokenCheck(TokenStatus.VALID, principal)
