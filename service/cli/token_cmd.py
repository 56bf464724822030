"""`trace-bridge token …`: prove that the configured TRACE credentials work."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import typer

import service.cli as cli
from service.config import ServiceSettings, load
from service.logs import configure
from service.trace.client import TraceClient
from service.trace.errors import CredentialsError, TraceError
from service.trace.login import Token
from service.trace.profile import TraceProfile
from service.trace.settings import TraceSettings

SAFE_CLAIMS = ("iss", "sub", "aud", "azp", "gty", "scope", "scp", "permissions", "policies")
"""JWT claims that say who we are and what we may do; never the signature or the token."""

app: typer.Typer = typer.Typer(help="Check the TRACE M2M credentials.", no_args_is_help=True)


@app.command("check")
def check() -> None:
    """Log in once and print the token lifetime and its scopes (never the token)."""
    service = load(ServiceSettings)
    configure(service.log_level, service.log_format)
    code = asyncio.run(run_check(load(TraceSettings), load(TraceProfile)))
    raise typer.Exit(code)


async def run_check(
    settings: TraceSettings, profile: TraceProfile, transport: httpx.AsyncBaseTransport | None = None
) -> int:
    """Exit code of `token check`: 0 ok, 2 credentials rejected, 3 TRACE unreachable."""
    try:
        async with TraceClient(settings, profile, transport) as client:
            token = await client.tokens.get()
    except CredentialsError as error:
        typer.echo(f"credentials rejected: {error}", err=True)
        return cli.EXIT_CONFIG
    except TraceError as error:
        typer.echo(f"TRACE unreachable: {error}", err=True)
        return cli.EXIT_UNAVAILABLE
    for line in describe(token):
        typer.echo(line)
    return cli.EXIT_OK


def describe(token: Token) -> list[str]:
    """Lifetime and safe claims of `token`, one line each; opaque tokens show lifetime only."""
    expires = datetime.now(UTC) + timedelta(seconds=token.lifetime)
    lines = [f"login ok: token lifetime {token.lifetime:g} s (expires ~{expires:%Y-%m-%dT%H:%M:%SZ})"]
    try:
        claims = jwt.decode(token.value, options={"verify_signature": False})
    except jwt.DecodeError:
        return [*lines, "token is not a JWT; no claims to show"]
    for name in SAFE_CLAIMS:
        if name in claims:
            value = claims[name]
            shown = " ".join(map(str, value)) if isinstance(value, list) else str(value)
            lines.append(f"{name}: {shown}")
    return lines
