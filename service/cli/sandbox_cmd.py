"""`trace-bridge sandbox`: run the local TRACE stand-in for demos and manual testing.

Wired in by the CLI with `app.command("sandbox")(sandbox)`. Flags override the
`TRACE_SANDBOX_*` variables; everything else (clients, faults, base time) comes from them.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from service.config import LogFormat, LogLevel, load
from service.logs import configure
from service.sandbox import Faults, SandboxConfig, serve


def _announce(config: SandboxConfig, url: str) -> None:
    typer.echo(f"TRACE sandbox listening on {url}  (control: {url}/_sandbox/stats)")
    typer.echo("Demo clients (sandbox-only credentials, not secrets):")
    for client in config.clients:
        scopes = " ".join(client.scopes) or "-"
        typer.echo(
            f"  {client.client_id} / {client.client_secret.get_secret_value()}"
            f"  audience={client.audience}  scopes={scopes}"
        )
    typer.echo(f"Point the bridge at it: TRACE_API_URL={url} TRACE_AUDIENCE={config.clients[0].audience}")


def sandbox(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to bind; 0 picks a free one.")] = 8900,
    seed: Annotated[int | None, typer.Option(help="Seed of lead data and fault draws (default 42).")] = None,
    leads: Annotated[int | None, typer.Option(min=0, help="Leads generated at start (default 250).")] = None,
    token_lifetime: Annotated[
        float | None, typer.Option(min=0.001, help="Token lifetime in seconds (default 86400).")
    ] = None,
    rate_limit: Annotated[
        int | None, typer.Option(min=1, help="CRM requests per window and client (default 100).")
    ] = None,
    rate_window: Annotated[
        float | None, typer.Option(min=0.001, help="CRM rate window in seconds (default 60).")
    ] = None,
    error_rate: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="Share of upload/lead requests answered 5xx.")
    ] = None,
    latency_ms: Annotated[
        float | None, typer.Option(min=0.0, help="Latency added to every TRACE route, ms.")
    ] = None,
    log_level: Annotated[LogLevel, typer.Option(help="DEBUG logs every request.")] = LogLevel.INFO,
) -> None:
    """Run a local TRACE sandbox: M2M login, uploads, contract options and CRM leads.

    Follows the TRACE docs, and docs/sandbox.md where they are silent.
    Change faults at run time with PUT /_sandbox/faults.
    """
    flags = {
        "seed": seed,
        "lead_count": leads,
        "token_lifetime": token_lifetime,
        "rate_limit": rate_limit,
        "rate_window": rate_window,
    }
    config = load(SandboxConfig, **{key: value for key, value in flags.items() if value is not None})
    fault_flags = {
        key: value
        for key, value in (("error_rate", error_rate), ("latency_ms", latency_ms))
        if value is not None
    }
    if fault_flags:
        faults = Faults.model_validate({**config.faults.model_dump(), **fault_flags})
        config = config.model_copy(update={"faults": faults})
    configure(level=log_level, fmt=LogFormat.CONSOLE)
    try:
        asyncio.run(serve(config, host, port, ready=lambda url: _announce(config, url)))
    except KeyboardInterrupt:  # uvicorn shut down gracefully, then re-raised the SIGINT
        typer.echo("TRACE sandbox stopped")
    except OSError as exc:
        typer.echo(f"cannot serve on {host}:{port}: {exc.strerror or exc}", err=True)
        raise typer.Exit(code=1) from None
