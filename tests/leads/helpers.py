"""Test helpers of the lead poller: an inbox bound to the lead exchange, poll counters."""

from __future__ import annotations

from typing import Any

import orjson
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
from prometheus_client import REGISTRY

from contracts import Lead
from service.amqp.topology import declare_leads
from service.leads.settings import LeadSettings
from service.trace.settings import TraceSettings
from tests.support.sandbox import SandboxServer
from tests.support.waiting import eventually


def trace_settings(sandbox: SandboxServer, **overrides: Any) -> TraceSettings:
    """Settings pointing at `sandbox`, with retry backoffs scaled down for tests."""
    credentials = sandbox.credentials()
    values: dict[str, Any] = {
        "TRACE_API_URL": credentials["api_url"],
        "TRACE_CLIENT_ID": credentials["client_id"],
        "TRACE_CLIENT_SECRET": credentials["client_secret"],
        "TRACE_AUDIENCE": credentials["audience"],
        "retry_wait_initial": 0.01,
        "retry_wait_max": 0.05,
        "retry_wait_jitter": 0.01,
        **overrides,
    }
    return TraceSettings(_env_file=None, **values)


def polls(outcome: str = "complete") -> float:
    """How many lead polls of this process ended with `outcome` so far."""
    return REGISTRY.get_sample_value("trace_bridge_lead_polls_total", {"outcome": outcome}) or 0.0


def counter(name: str) -> float:
    return REGISTRY.get_sample_value(f"trace_bridge_{name}_total") or 0.0


async def polls_pass(count: int = 1, outcome: str = "complete", timeout: float = 10.0) -> None:
    """Wait until `count` more polls ended with `outcome`."""
    target = polls(outcome) + count
    await eventually(lambda: polls(outcome) >= target, timeout=timeout, message=f"{count} {outcome} polls")


def crm_requests(sandbox: SandboxServer) -> int:
    """Lead-list requests the sandbox answered (any status)."""
    return sandbox.requests_to("GET leads ")


def same_lead(left: dict[str, Any], right: dict[str, Any]) -> bool:
    return Lead.model_validate(left).model_dump() == Lead.model_validate(right).model_dump()


class Inbox:
    """A private queue bound to the lead exchange; every message lands in `messages`."""

    def __init__(self, queue: AbstractQueue) -> None:
        self.queue = queue
        self.messages: list[AbstractIncomingMessage] = []

    @classmethod
    async def bind(cls, channel: AbstractChannel, settings: LeadSettings, key: str = "lead.#") -> Inbox:
        """Declare the lead topology as the poller does, then bind and consume a new queue."""
        await declare_leads(channel, settings)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(settings.exchange, key)
        inbox = cls(queue)
        await queue.consume(inbox._take, no_ack=True)
        return inbox

    async def _take(self, message: AbstractIncomingMessage) -> None:
        self.messages.append(message)

    def events(self) -> list[dict[str, Any]]:
        return [orjson.loads(message.body) for message in self.messages]

    def of_type(self, routing_key: str) -> list[dict[str, Any]]:
        return [orjson.loads(m.body) for m in self.messages if m.routing_key == routing_key]

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        await eventually(lambda: len(self.messages) >= count, timeout=timeout, message=f"{count} lead events")
        return self.events()
