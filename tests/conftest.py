"""Fixtures shared by the whole suite live in tests/support; this file only registers them."""

import logging
from collections.abc import Iterator

import pytest

from tests.support.broker import ensure_dead_letter_supervisor

pytest_plugins = [
    "tests.support.amqp",
    "tests.support.sandbox",
    "tests.support.stores",
    "tests.support.service",
]


def pytest_sessionstart(session: pytest.Session) -> None:
    ensure_dead_letter_supervisor()


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
