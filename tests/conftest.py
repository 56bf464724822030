"""Fixtures shared by the whole suite live in tests/support; this file only registers them."""

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
