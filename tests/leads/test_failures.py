"""A failing poll ends that poll only; stop() is immediate and keeps what was confirmed."""

from __future__ import annotations

import asyncio
import time

import pytest
from aio_pika.abc import AbstractChannel

from service.leads.cursor import WATERMARK
from service.leads.settings import LeadSettings
from service.state.sqlite import SqliteStore
from tests.leads.conftest import StartPoller
from tests.leads.helpers import Inbox, polls_pass
from tests.support.sandbox import SandboxServer, StartSandbox
from tests.support.stores import hold_store_method
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


async def test_a_trace_outage_fails_polls_until_it_ends(
    sandbox: SandboxServer,
    start_poller: StartPoller,
    sqlite_url: str,
    channel: AbstractChannel,
    lead_names: LeadSettings,
) -> None:
    inbox = await Inbox.bind(channel, lead_names)
    sandbox.outage(60, scope="leads")
    running = await start_poller(sandbox, sqlite_url, backfill="all", trace={"retry_attempts": 1})
    await polls_pass(2, outcome="failed")

    readiness = await running.poller.readiness()
    assert not readiness.ok
    assert readiness.detail.startswith("last poll failed: UnavailableError")
    assert inbox.messages == []

    sandbox.outage(0)
    await inbox.wait_for(250)
    await polls_pass(1)
    assert (await running.poller.readiness()).ok
    assert len(inbox.messages) == 250


async def test_stop_wakes_the_wait_between_polls_at_once(
    sandbox: SandboxServer, start_poller: StartPoller, sqlite_url: str
) -> None:
    running = await start_poller(sandbox, sqlite_url, backfill="none", poll_interval=600)
    await eventually(lambda: running.store.get_cursor(WATERMARK), message="first poll done")

    started = time.monotonic()
    await asyncio.wait_for(running.poller.stop(), 2)
    assert time.monotonic() - started < 1
    await asyncio.wait_for(asyncio.gather(running.tasks[1]), 1)


async def test_stop_during_a_backfill_keeps_the_confirmed_marks(
    start_sandbox: StartSandbox,
    start_poller: StartPoller,
    sqlite_url: str,
    channel: AbstractChannel,
    lead_names: LeadSettings,
) -> None:
    sandbox = start_sandbox(lead_count=2000, rate_limit=4, rate_window=1.0)
    inbox = await Inbox.bind(channel, lead_names)
    trace = {"crm_rate_limit": 4, "crm_rate_window": 1.0}
    running = await start_poller(sandbox, sqlite_url, backfill="all", trace=trace)
    await inbox.wait_for(150)

    await asyncio.wait_for(running.poller.stop(), 2)
    marked = await running.store.lead_versions([lead["id"] for lead in sandbox.leads()])
    await eventually(lambda: len(inbox.messages) >= len(marked), message="confirmed events delivered")
    delivered = {event["data"]["id"] for event in inbox.events()}
    assert 150 <= len(marked) < 2000
    assert set(marked) <= delivered, "a lead was remembered without its event"
    in_flight = len(delivered - set(marked))
    assert in_flight <= running.settings.publish_concurrency, "only unconfirmed events are left unmarked"


async def test_a_stop_during_the_marks_write_lets_the_write_finish(
    start_sandbox: StartSandbox,
    start_poller: StartPoller,
    sqlite_url: str,
    channel: AbstractChannel,
    lead_names: LeadSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The marks of a page stand for confirmed events: a stop must not cut their write short."""
    held = hold_store_method(monkeypatch, SqliteStore, "mark_leads")
    sandbox = start_sandbox(lead_count=300)
    inbox = await Inbox.bind(channel, lead_names)
    running = await start_poller(sandbox, sqlite_url, backfill="all")
    await asyncio.wait_for(held.entered.wait(), 10)

    poll = running.poller._poll_task
    assert poll is not None
    stopping = asyncio.create_task(running.poller.stop())
    await eventually(lambda: poll.cancelling() > 0, message="the poll is cancelled")
    held.release.set()
    await asyncio.wait_for(stopping, 5)

    marked = await running.store.lead_versions([lead["id"] for lead in sandbox.leads()])
    await eventually(lambda: len(inbox.messages) >= len(marked), message="confirmed events delivered")
    assert len(marked) == 100, "the whole first page was confirmed, so all of it is remembered"
    assert set(marked) == {event["data"]["id"] for event in inbox.events()}
