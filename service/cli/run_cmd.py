"""`trace-bridge run`: the service itself."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

import service.cli as cli
from service.app import Part, Settings, configure_logging, serve
from service.logs import get_logger
from service.state.errors import StateError


def run(
    only: Annotated[
        Part | None, typer.Option("--only", help="Run one part: `tariffs` (consumer) or `leads` (poller).")
    ] = None,
) -> None:
    """Start the tariff consumer, the lead poller and the health/metrics endpoints.

    Runs until SIGTERM or SIGINT, then stops consuming, finishes in-flight events within
    TRACE_BRIDGE_TARIFFS_SHUTDOWN_GRACE seconds and exits 0. Exit 2: configuration error;
    exit 3: the state store or the ops port is unavailable at start-up.
    """
    settings = Settings.load()
    configure_logging(settings.service)
    parts = frozenset({only}) if only else frozenset(Part)
    try:
        asyncio.run(serve(settings, parts))
    except (StateError, OSError) as error:
        get_logger("service.run").error("bridge.start_failed", error=str(error))
        raise typer.Exit(cli.EXIT_UNAVAILABLE) from None
