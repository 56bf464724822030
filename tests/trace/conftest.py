"""Fixtures of the TRACE client tests: a scripted fake TRACE, a client wired to it, and
log capture through the service's redacting pipeline. The real sandbox fixtures come
from `tests.support.sandbox`, registered by the root conftest."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Iterator

import pytest
import structlog

from service.config import LogFormat, LogLevel
from service.logs import configure
from service.trace.client import TraceClient
from service.trace.profile import TraceProfile
from tests.trace.fakes import FakeTrace, settings


@pytest.fixture
def fake() -> FakeTrace:
    return FakeTrace()


@pytest.fixture
def profile() -> TraceProfile:
    return TraceProfile(_env_file=None)


@pytest.fixture
async def client(fake: FakeTrace, profile: TraceProfile) -> AsyncIterator[TraceClient]:
    async with TraceClient(settings(), profile, fake.transport()) as trace:
        yield trace


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Every log line of the test as the service would write it (JSON, DEBUG, redacted)."""
    root = logging.getLogger()
    handlers, level, config = root.handlers[:], root.level, structlog.get_config()
    stream = io.StringIO()
    configure(LogLevel.DEBUG, LogFormat.JSON, stream)
    yield stream
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.configure(**config)
