"""Fixtures shared by the whole suite live in tests/support; this file only registers them."""

pytest_plugins = [
    "tests.support.amqp",
    "tests.support.sandbox",
    "tests.support.stores",
    "tests.support.service",
]
