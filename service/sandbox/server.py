"""Running the sandbox: a uvicorn server over the app, on a socket we bind ourselves.

Binding the listening socket before uvicorn starts means the port is known at once
(port 0 works) and connections made during start-up queue instead of being refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable

import uvicorn

from service.sandbox.app import build_app
from service.sandbox.config import SandboxConfig
from service.sandbox.state import SandboxState


def listen_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port); port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be IPPROTO_TCP: asyncio only sets TCP_NODELAY on such sockets, and without
    # it Nagle plus delayed ACKs add ~40 ms to every response.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


class StoppableServer(uvicorn.Server):
    """A uvicorn server that another thread can stop without waiting for the next poll.

    uvicorn checks its exit flag every 100 ms; test suites stop and restart the sandbox
    hundreds of times, so `request_stop()` also wakes the main loop at once.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)

    def request_stop(self) -> None:
        """Thread-safe: begin a graceful shutdown now."""
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed in between
                loop.call_soon_threadsafe(wake.set)


def build_server(
    config: SandboxConfig,
    host: str = "127.0.0.1",
    port: int = 8900,
    *,
    state: SandboxState | None = None,
) -> StoppableServer:
    """A uvicorn server for the sandbox; logging stays with the caller's configuration."""
    uv_config = uvicorn.Config(
        build_app(config, state),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    return StoppableServer(uv_config)


async def serve(
    config: SandboxConfig,
    host: str = "127.0.0.1",
    port: int = 8900,
    *,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until cancelled or signalled; `ready` gets the base URL once the port is bound."""
    sock = listen_socket(host, port)
    bound = sock.getsockname()[1]
    server = build_server(config, host, bound)
    if ready is not None:
        shown = f"[{host}]" if ":" in host else host
        ready(f"http://{shown}:{bound}")
    await server.serve(sockets=[sock])
