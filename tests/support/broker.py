"""Stop and restart the real RabbitMQ node, for tests of broker loss.

The whole node is restarted, as in a real broker restart: `rabbitmqctl stop_app` /
`start_app` on RabbitMQ 3.10 leaves quorum queues without their at-least-once
dead-letter supervisor, which would break every later test on this machine.
"""

from __future__ import annotations

import asyncio
import glob
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=180)


def _stop() -> None:
    pid_files = glob.glob("/var/lib/rabbitmq/mnesia/*.pid")
    _run("rabbitmqctl", "stop", *pid_files[:1])  # with the pid file it waits for the exit


def _start(timeout: float = 120.0) -> None:
    _run("rabbitmq-server", "-detached")
    deadline = time.monotonic() + timeout
    while True:  # await_startup fails at once until the new node answers at all
        try:
            _run("rabbitmqctl", "await_startup", "--timeout", "30")
            return
        except subprocess.CalledProcessError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@asynccontextmanager
async def broker_stopped() -> AsyncIterator[None]:
    """RabbitMQ is down inside the block and up again (and accepting) after it."""
    await asyncio.to_thread(_stop)
    try:
        yield
    finally:
        await asyncio.to_thread(_start)
