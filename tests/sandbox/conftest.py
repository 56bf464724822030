"""Fixtures of the sandbox tests; the harness fixtures come from tests/support/sandbox.py.

Here `sandbox` is overridden for speed: one default server per test module, reset before
each test (offers, stats, faults and rate windows are fresh; leads and issued tokens
carry over, and no test in this package depends on them). Tests that need their own
configuration use `start_sandbox`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.support.sandbox import SandboxServer, start_sandbox

__all__ = ["start_sandbox"]


@pytest.fixture(scope="module")
def module_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture
def sandbox(module_sandbox: SandboxServer) -> SandboxServer:
    module_sandbox.reset()
    return module_sandbox


@pytest.fixture
async def http(sandbox: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the default sandbox (redirects are not followed)."""
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=10) as client:
        yield client


@pytest.fixture
def auth(sandbox: SandboxServer) -> dict[str, str]:
    """Bearer header of the full-access demo client."""
    return {"Authorization": f"Bearer {sandbox.token()}"}
