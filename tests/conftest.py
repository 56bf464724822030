"""Fixtures shared by the whole suite live in tests/support; this file only registers them."""

import logging
import os
from collections.abc import Iterator

import pytest

from tests.support.broker import ensure_dead_letter_supervisor

pytest_plugins = [
    "tests.support.amqp",
    "tests.support.sandbox",
    "tests.support.stores",
    "tests.support.service",
]


PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


def pytest_sessionstart(session: pytest.Session) -> None:
    ensure_dead_letter_supervisor()
    # The sandbox and the broker are local: a developer's proxy must not route the
    # tests' TRACE calls (the service honours these variables); proxy tests set their own.
    for name in PROXY_VARIABLES:
        os.environ.pop(name, None)
        os.environ.pop(name.lower(), None)


@pytest.fixture(autouse=True)
def _restore_root_logger() -> Iterator[None]:
    """CLI commands run in-process point logging at this test's captured stderr; undo that.

    Otherwise later tests log into a closed capture file ("--- Logging error ---") at the
    level the command chose.
    """
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
