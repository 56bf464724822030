"""`trace-bridge demo`: the whole bridge on one machine, against the bundled TRACE sandbox.

Only RabbitMQ has to run. The sandbox serves on a local port inside this process; the
bridge is the real service (`service.app.serve`) pointed at it with the sandbox's demo
client, whose credentials are printed by `trace-bridge sandbox` and are not secrets.
The contract's three example tariff events are published, and what became of them is
read back from the outcome events and from the sandbox's `/_sandbox/offers`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from aio_pika.abc import AbstractConnection, AbstractIncomingMessage
from pydantic import ValidationError

import contracts
from contracts import TariffChanged, TariffRejected, TariffUploaded, UnknownEventType, parse_event
from contracts.routing import routing_key
from service.amqp.messages import event_message
from service.amqp.publisher import Publisher
from service.amqp.topology import declare_leads, declare_tariffs
from service.app import Bridge, Part, Settings, configure_logging, serve
from service.config import AmqpSettings, LogFormat, LogLevel, ServiceSettings, load
from service.leads.settings import LeadSettings
from service.logs import secrets
from service.ops.broker import broker_connection
from service.sandbox.config import ClientConfig, SandboxConfig
from service.sandbox.server import StoppableServer, build_server, listen_socket
from service.tariffs.settings import TariffSettings
from service.trace.profile import TraceProfile
from service.trace.settings import TraceSettings

HOST = "127.0.0.1"
EXAMPLES = Path(contracts.__file__).parent / "examples"
OUTCOME_KEYS = ("tariff.uploaded.#", "tariff.rejected.#")
Outcome = TariffUploaded | TariffRejected
Say = Callable[[str], None]


class DemoStartError(Exception):
    """A port is taken or the bridge stopped during start-up (exit 3)."""


@dataclass(frozen=True)
class DemoOptions:
    sandbox_port: int = 0
    http_port: int = 0
    state_file: Path = Path("trace-bridge-demo.db")
    exit_after_publish: bool = False
    outcome_timeout: float = 60.0
    log_level: LogLevel = LogLevel.WARNING


class EmbeddedSandbox(StoppableServer):
    """The sandbox without uvicorn's signal capture: the bridge's handlers own Ctrl-C."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def examples() -> list[TariffChanged]:
    """The tariff-changed examples shipped with the contract, in file-name order."""
    paths = sorted(EXAMPLES.glob(f"{TariffChanged.event_type}.*.json"))
    return [TariffChanged.model_validate_json(path.read_bytes()) for path in paths]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def demo_settings(options: DemoOptions, sandbox_url: str, client: ClientConfig) -> Settings:
    """The environment's settings with TRACE, ops port and state store pointed at the demo."""
    service = load(
        ServiceSettings,
        http_host=HOST,
        http_port=options.http_port or free_port(),
        state_url=f"sqlite:///{options.state_file}",
        log_level=options.log_level,
        log_format=LogFormat.CONSOLE,
    )
    trace = load(
        TraceSettings,
        api_url=sandbox_url,
        client_id=client.client_id,
        client_secret=client.client_secret,
        audience=client.audience,
    )
    return Settings(
        service, load(AmqpSettings), trace, load(TraceProfile), load(TariffSettings), load(LeadSettings)
    )


async def _listen_for_outcomes(
    connection: AbstractConnection, settings: Settings, event_ids: set[str]
) -> asyncio.Queue[Outcome]:
    """Declare the topology and collect outcome events of our examples (others ignored)."""
    channel = await connection.channel()
    await declare_tariffs(channel, settings.tariffs)
    await declare_leads(channel, settings.leads)
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    for key in OUTCOME_KEYS:
        await queue.bind(settings.tariffs.exchange, routing_key=key)
    received: asyncio.Queue[Outcome] = asyncio.Queue()

    async def on_message(message: AbstractIncomingMessage) -> None:
        try:
            event = parse_event(message.body)
        except (ValidationError, UnknownEventType):
            return  # someone else's malformed message on the shared exchange
        if isinstance(event, Outcome) and event.data.source_event_id in event_ids:
            received.put_nowait(event)

    await queue.consume(on_message, no_ack=True)
    return received


async def publish_examples(amqp: AmqpSettings, tariffs: TariffSettings, say: Say) -> None:
    """Only publish the examples (declaring the tariff topology first), for a bridge running elsewhere."""
    async with broker_connection(amqp, "trace-bridge demo") as connection:
        channel = await connection.channel()
        await declare_tariffs(channel, tariffs)
        await _publish(connection, tariffs.exchange, examples(), say)


async def _publish(
    connection: AbstractConnection, exchange: str, events: list[TariffChanged], say: Say
) -> None:
    publisher = await Publisher.open(connection)
    try:
        for event in events:
            key = routing_key(event)
            await publisher.publish(event_message(event), exchange, key)
            say(f"published  {key:<34} {event.data.tariff_id} rev {event.data.revision}  (event {event.id})")
    finally:
        await publisher.close()


async def _outcomes(received: asyncio.Queue[Outcome], count: int, timeout: float) -> list[Outcome]:
    results: list[Outcome] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            while len(results) < count:
                results.append(await received.get())
    return results


def _describe(outcome: Outcome) -> str:
    data = outcome.data
    if isinstance(outcome, TariffUploaded):
        return f"uploaded   {data.tariff_id} rev {data.revision} → TRACE offers {', '.join(outcome.data.trace_offer_ids)}"
    return f"rejected   {data.tariff_id} rev {data.revision}: {outcome.data.reason} ({outcome.data.message})"


async def _show_offers(sandbox_url: str, say: Say) -> None:
    async with httpx.AsyncClient(base_url=sandbox_url, timeout=5) as client:
        offers = (await client.get("/_sandbox/offers")).json()
    say(f"sandbox holds {len(offers)} offer(s) ({sandbox_url}/_sandbox/offers):")
    for offer in offers:
        tier = offer.get("tier") or {}
        band = f"  tier {tier['min']}-{tier['max']}" if tier else ""
        say(f"  {offer['offerId']}  {offer['product']:<16} {offer['name']}{band}")


async def _started(bridge_task: asyncio.Task[None], started: asyncio.Event) -> None:
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({bridge_task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if not started.is_set():
        waiter.cancel()
        error = bridge_task.exception()
        raise DemoStartError(f"the bridge did not start: {error}") from error


def _urls(settings: Settings, sandbox_url: str, client: ClientConfig) -> list[str]:
    ops = f"http://{HOST}:{settings.service.http_port}"
    return [
        f"TRACE sandbox  {sandbox_url}  (demo client {client.client_id}, audience {client.audience})",
        f"bridge         {ops}/readyz  {ops}/metrics  {ops}/healthz",
        f"state store    {settings.service.state_url}",
        f"RabbitMQ       {secrets.scrub(settings.amqp.url.get_secret_value())}  exchange {settings.tariffs.exchange}",
    ]


async def _demonstrate(
    connection: AbstractConnection,
    settings: Settings,
    received: asyncio.Queue[Outcome],
    events: list[TariffChanged],
    timeout: float,
    say: Say,
) -> bool:
    """Publish the examples, wait for their outcomes, show what TRACE (the sandbox) holds."""
    await _publish(connection, settings.tariffs.exchange, events, say)
    outcomes = await _outcomes(received, len(events), timeout)
    for outcome in outcomes:
        say(_describe(outcome))
    await _show_offers(str(settings.trace.api_url).rstrip("/"), say)
    uploaded = sum(isinstance(outcome, TariffUploaded) for outcome in outcomes)
    say(f"{uploaded} of {len(events)} example events uploaded")
    return uploaded == len(events)


async def run_demo(options: DemoOptions, say: Say) -> bool:
    """Run until Ctrl-C (or right after the results with `exit_after_publish`).

    Returns whether every example was uploaded within `outcome_timeout`.
    """
    config = load(SandboxConfig)
    client = config.clients[0]
    try:
        sock = listen_socket(HOST, options.sandbox_port)
    except OSError as error:
        raise DemoStartError(f"cannot serve the sandbox on port {options.sandbox_port}: {error}") from None
    sandbox_url = f"http://{HOST}:{sock.getsockname()[1]}"
    settings = demo_settings(options, sandbox_url, client)
    configure_logging(settings.service)
    events = examples()
    sandbox = EmbeddedSandbox(build_server(config, HOST, sock.getsockname()[1]).config)
    sandbox_task = asyncio.create_task(sandbox.serve(sockets=[sock]))
    stop, started = asyncio.Event(), asyncio.Event()

    async def on_started(_: Bridge) -> None:
        started.set()

    try:
        async with broker_connection(settings.amqp, "trace-bridge demo") as connection:
            received = await _listen_for_outcomes(connection, settings, {event.id for event in events})
            bridge = asyncio.create_task(serve(settings, frozenset(Part), stop, started=on_started))
            try:
                await _started(bridge, started)
                for line in _urls(settings, sandbox_url, client):
                    say(line)
                ok = await _demonstrate(connection, settings, received, events, options.outcome_timeout, say)
                if options.exit_after_publish:
                    stop.set()
                else:
                    say("Running; press Ctrl-C to stop.")
                await bridge
            finally:
                stop.set()
                with contextlib.suppress(Exception):
                    await bridge
        return ok
    finally:
        sandbox.request_stop()
        await sandbox_task
