"""`trace-bridge run`: the service itself."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from service.app import Part, Settings, configure_logging, serve
from service.config import AmqpSettings, ServiceSettings, load_all
from service.leads.settings import LeadSettings
from service.logs import get_logger
from service.state.errors import StateError
from service.tariffs.settings import TariffSettings
from service.trace.profile import TraceProfile
from service.trace.settings import TraceSettings

EXIT_UNAVAILABLE = 3
SECTIONS = (ServiceSettings, AmqpSettings, TraceSettings, TraceProfile, TariffSettings, LeadSettings)


def load_settings() -> Settings:
    loaded = load_all(SECTIONS)
    return Settings(*(loaded[section] for section in SECTIONS))  # type: ignore[arg-type]


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
    settings = load_settings()
    configure_logging(settings.service)
    parts = frozenset({only}) if only else frozenset(Part)
    try:
        asyncio.run(serve(settings, parts))
    except (StateError, OSError) as error:
        get_logger("service.run").error("bridge.start_failed", error=str(error))
        raise typer.Exit(EXIT_UNAVAILABLE) from None
