"""`trace-bridge sandbox` as a real process: announces its URL, serves, stops on SIGINT."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time

import httpx
import pytest

from service.sandbox.server import listen_socket

pytestmark = pytest.mark.integration

RUN_COMMAND = "import typer; from service.cli.sandbox_cmd import sandbox; typer.run(sandbox)"


def read_line(process: subprocess.Popen[bytes], timeout: float) -> str:
    """The next stdout line, waiting at most `timeout` seconds for it (stdout is unbuffered)."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise TimeoutError("the sandbox printed nothing")
    return process.stdout.readline().decode()


def test_command_serves_until_interrupted() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TRACE_SANDBOX_SEED": "3"}
    process = subprocess.Popen(
        [sys.executable, "-c", RUN_COMMAND, "--port", "0", "--leads", "4", "--error-rate", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        bufsize=0,
        env=env,
    )
    try:
        banner = read_line(process, timeout=30)
        url = banner.split()[4]
        credentials = read_line(process, timeout=5) + read_line(process, timeout=5)
        leads = httpx.get(f"{url}/_sandbox/leads", timeout=5).json()
        process.send_signal(signal.SIGINT)
        started = time.monotonic()
        code = process.wait(timeout=10)
    finally:
        process.kill()
        process.wait()

    assert banner.startswith("TRACE sandbox listening on http://127.0.0.1:")
    assert "sandbox-client / sandbox-secret" in credentials
    assert len(leads) == 4
    assert code == 0
    assert time.monotonic() - started < 5


def test_busy_port_is_a_clean_failure() -> None:
    with listen_socket("127.0.0.1", 0) as taken:
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-c", RUN_COMMAND, "--port", str(port), "--leads", "0"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    assert result.returncode == 1
    assert f"cannot serve on 127.0.0.1:{port}" in result.stderr
