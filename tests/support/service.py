"""`trace-bridge run` as a real subprocess, for kill, restart and multi-replica tests.

The process gets its whole configuration through the environment, like in production;
readiness is awaited on `/readyz`, and its JSON log lines are kept for assertions.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.support.amqp import AMQP_URL


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def sandbox_env(
    url: str, client_id: str = "sandbox-client", secret: str = "sandbox-secret"
) -> dict[str, str]:
    """The TRACE variables that point the service at a sandbox."""
    return {
        "TRACE_API_URL": url,
        "TRACE_CLIENT_ID": client_id,
        "TRACE_CLIENT_SECRET": secret,
        "TRACE_AUDIENCE": "https://trace-sandbox.local",
    }


class ServiceProcess:
    """One service process; `env` is added to a minimal environment."""

    def __init__(self, env: Mapping[str, str], args: tuple[str, ...] = ("run",)) -> None:
        self.port = free_port()
        self._env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "AMQP_URL": AMQP_URL,
            "TRACE_BRIDGE_HTTP_HOST": "127.0.0.1",
            "TRACE_BRIDGE_HTTP_PORT": str(self.port),
            "TRACE_BRIDGE_LOG_FORMAT": "json",
            **env,
        }
        self._args = args
        self._log = tempfile.NamedTemporaryFile(prefix="trace-bridge-", suffix=".log", delete=False)  # noqa: SIM115
        self.log_path = Path(self._log.name)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ServiceProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "service", *self._args],
            env=self._env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=tempfile.gettempdir(),
        )
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def readiness(self) -> dict[str, Any] | None:
        try:
            response = httpx.get(f"{self.url}/readyz", timeout=2)
        except httpx.HTTPError:
            return None
        body: dict[str, Any] = response.json()
        return body

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(
                    f"service exited with {self.process.returncode}:\n{self.output()[-3000:]}"
                )
            body = self.readiness()
            if body is not None and body["status"] == "ready":
                return
            time.sleep(0.05)
        raise AssertionError(
            f"service not ready within {timeout} s: {self.readiness()}\n{self.output()[-3000:]}"
        )

    def kill(self) -> None:
        """SIGKILL: no cleanup at all, like a crashed container."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait; returns the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def log_events(self) -> list[dict[str, Any]]:
        events = []
        for line in self.output().splitlines():
            if line.startswith("{"):
                try:
                    events.append(orjson.loads(line))
                except orjson.JSONDecodeError:
                    continue
        return events

    def close(self) -> None:
        self.kill()
        self._log.close()
        self.log_path.unlink(missing_ok=True)


@pytest.fixture
def service_processes() -> Iterator[list[ServiceProcess]]:
    """Collects started processes and kills whatever is still running after the test."""
    started: list[ServiceProcess] = []
    yield started
    for process in started:
        process.close()
