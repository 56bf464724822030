"""TCP proxies for tests: one to cut (network loss without touching the broker), and a
plain-HTTP forward proxy (outbound proxy support of the TRACE client)."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "proxy-connection", "proxy-authorization", "keep-alive"}


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; `cut()` drops every live connection."""

    def __init__(self, target_host: str = "127.0.0.1", target_port: int = 5672) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Refuse new connections and drop the live ones."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        await self.cut()

    async def cut(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._relay(reader, writer, b"")

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, first: bytes) -> None:
        """Connect to the target, send `first`, then copy both ways until either side ends."""
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, upstream_writer))
        upstream_writer.write(first)
        await asyncio.gather(
            self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.transport.abort()


class HttpForwardProxy(TcpProxy):
    """A plain-HTTP forward proxy that sends every request to the target, whatever host it
    names; `requests` lists the request lines it saw, so a test can prove the route.

    Each connection carries one request (`Connection: close` upstream, which the server
    echoes), so only the request head needs rewriting from absolute to origin form.
    """

    def __init__(self, target_port: int) -> None:
        super().__init__("127.0.0.1", target_port)
        self.requests: list[str] = []

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.transport.abort()
            return
        request_line, *headers = head.decode("latin-1").split("\r\n")
        method, target, version = request_line.split(" ")
        self.requests.append(f"{method} {target}")
        parts = urlsplit(target)
        origin = parts.path + (f"?{parts.query}" if parts.query else "")
        kept = [h for h in headers if h and h.split(":")[0].lower() not in HOP_BY_HOP]
        rewritten = "\r\n".join([f"{method} {origin} {version}", *kept, "Connection: close", "", ""])
        await self._relay(reader, writer, rewritten.encode("latin-1"))
