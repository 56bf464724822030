"""The TRACE sandbox as a test fixture: real HTTP on a free port, in a background thread.

The server runs in its own thread with its own event loop, so async tests can drive a
client against it without sharing (or blocking) their loop. `stop()` closes the port and
`start()` reopens the SAME port over the same state: that is how tests turn TRACE into a
connection-refused outage and back. The control methods work on the state directly, so
they keep working while the server is stopped; they return the same JSON as the
`/_sandbox/*` endpoints.

Register in a conftest with `pytest_plugins = ["tests.support.sandbox"]`; fixtures:
`start_sandbox` (factory: `start_sandbox(**config_overrides) -> SandboxServer`) and
`sandbox` (defaults).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from types import TracebackType
from typing import Any, Protocol

import pytest
from pydantic_core import to_jsonable_python

from service.sandbox import SandboxConfig, SandboxState
from service.sandbox.config import Outage, OutageScope
from service.sandbox.leads import with_base_url
from service.sandbox.server import StoppableServer, build_server, listen_socket
from service.sandbox.times import utcnow

HOST = "127.0.0.1"
DEFAULT_CLIENT = "sandbox-client"


class SandboxError(RuntimeError):
    """The sandbox thread died, did not answer in time or did not stop."""


def _plain(value: object) -> Any:
    """A JSON round trip: what the HTTP endpoint would have returned, detached from state."""
    return json.loads(json.dumps(to_jsonable_python(value)))


def _object(value: object) -> dict[str, Any]:
    plain: dict[str, Any] = _plain(value)
    return plain


def _objects(value: object) -> list[dict[str, Any]]:
    plain: list[dict[str, Any]] = _plain(value)
    return plain


class SandboxServer:
    """One sandbox: `.url`, `.config`, `.app_state`, a sync control API, stop/start."""

    def __init__(self, config: SandboxConfig | None = None, **overrides: Any) -> None:
        if config is None:
            config = SandboxConfig(_env_file=None, **overrides)
        elif overrides:
            config = SandboxConfig.model_validate({**config.model_dump(), **overrides})
        self.config = config
        self.app_state = SandboxState(config)
        self.port = 0
        self._server: StoppableServer | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    @property
    def url(self) -> str:
        if not self.port:
            raise SandboxError("the sandbox has not been started")
        return f"http://{HOST}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # lifecycle ---------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> SandboxServer:
        """Serve on a free port (first start) or on the port used before (restart)."""
        if self.running:
            return self
        sock = listen_socket(HOST, self.port)
        self.port = sock.getsockname()[1]
        server = build_server(self.config, HOST, self.port, state=self.app_state)
        self._failure = None
        self._server = server
        self._thread = threading.Thread(
            target=self._run, args=(server, sock), name=f"trace-sandbox-{self.port}", daemon=True
        )
        self._thread.start()
        self._wait_until_answering(timeout)
        return self

    def _run(self, server: StoppableServer, sock: socket.socket) -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as exc:  # uvicorn exits with SystemExit; start()/stop() re-raise
            self._failure = exc

    def _answers(self) -> bool:
        """One health request; it waits (<= 0.25 s) in the listen backlog until uvicorn serves."""
        connection = http.client.HTTPConnection(HOST, self.port, timeout=0.25)
        try:
            connection.request("GET", "/_sandbox/health")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def _wait_until_answering(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise SandboxError("the sandbox thread exited during start-up") from self._failure
            if self._answers():
                return
        self.stop()
        raise SandboxError(f"the sandbox did not answer within {timeout} s")

    def stop(self, timeout: float = 5.0) -> None:
        """Close the port (connections are refused until `start()`); state is kept."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.request_stop()
        thread.join(timeout)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout)
        self._server = self._thread = None
        if thread.is_alive():
            raise SandboxError("the sandbox thread did not stop")
        if self._failure is not None:
            raise SandboxError("the sandbox thread failed") from self._failure

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    # control -----------------------------------------------------------------------------

    def credentials(self, client_id: str = DEFAULT_CLIENT) -> dict[str, str]:
        """API URL, client id, secret and audience of a configured client."""
        client = self.config.client(client_id)
        if client is None:
            raise KeyError(client_id)
        return {
            "api_url": self.url,
            "client_id": client.client_id,
            "client_secret": client.client_secret.get_secret_value(),
            "audience": client.audience,
        }

    def token(self, client_id: str = DEFAULT_CLIENT) -> str:
        """A fresh access token for `client_id`, issued without an HTTP login."""
        client = self.config.client(client_id)
        if client is None:
            raise KeyError(client_id)
        return self.app_state.tokens.issue(client).access_token

    def stats(self) -> dict[str, Any]:
        return _object(self.app_state.stats.snapshot())

    def requests_to(self, route: str) -> int:
        """Requests answered on routes named `route…` (any status), e.g. `POST upload`."""
        return sum(n for name, n in self.stats()["requests"].items() if name.startswith(route))

    def offers(self) -> list[dict[str, Any]]:
        return _objects([offer.to_json() for offer in self.app_state.offers.all()])

    def latest_offers(self) -> list[dict[str, Any]]:
        return _objects([offer.to_json() for offer in self.app_state.offers.latest()])

    def faults(self) -> dict[str, Any]:
        return _object(self.app_state.faults.snapshot())

    def set_faults(self, **changes: Any) -> dict[str, Any]:
        """Change fault settings, e.g. `set_faults(error_rate=1.0, error_statuses=[503])`."""
        self.app_state.faults.update(to_jsonable_python(changes))
        return self.faults()

    def revoke_tokens(self) -> int:
        return self.app_state.tokens.revoke_all()

    def outage(self, seconds: float, scope: OutageScope | str = OutageScope.ALL) -> dict[str, Any]:
        """Answer 503 on `scope` (all, login, upload, leads) for `seconds`; 0 ends it."""
        self.app_state.faults.start_outage(Outage(seconds=seconds, scope=OutageScope(scope)))
        return self.faults()

    def reset(self) -> None:
        self.app_state.reset()

    def leads(self) -> list[dict[str, Any]]:
        return _objects(with_base_url(self.app_state.leads.all(), self.url))

    def add_leads(self, n: int = 1, **template: Any) -> list[dict[str, Any]]:
        """`n` new leads created now, each with `template` merged onto the generated data."""
        added = self.app_state.leads.add(n, utcnow(), _plain(template))
        return _objects(with_base_url(added, self.url))

    def insert_raw_lead(self, lead: dict[str, Any]) -> dict[str, Any]:
        return _object(with_base_url(self.app_state.leads.insert_raw(lead), self.url))

    def update_lead(self, lead_id: str, **fields: Any) -> dict[str, Any]:
        """Merge `fields` into a lead and bump its updatedAt; KeyError if unknown."""
        lead = self.app_state.leads.patch(lead_id, _plain(fields), utcnow())
        if lead is None:
            raise KeyError(lead_id)
        return _object(with_base_url(lead, self.url))


class StartSandbox(Protocol):
    def __call__(self, **config_overrides: Any) -> SandboxServer: ...


@pytest.fixture
def start_sandbox() -> Iterator[StartSandbox]:
    """Factory fixture: each call starts one more sandbox; all are stopped after the test."""
    started: list[SandboxServer] = []

    def start(**config_overrides: Any) -> SandboxServer:
        server = SandboxServer(**config_overrides).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def sandbox(start_sandbox: StartSandbox) -> SandboxServer:
    """A running sandbox with the default configuration."""
    return start_sandbox()
