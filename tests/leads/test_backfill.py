"""First start: the three backfill modes, at scale and within the CRM rate limit."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from aio_pika.abc import AbstractChannel

from service.leads.cursor import WATERMARK
from service.leads.settings import LeadSettings
from tests.leads.conftest import StartPoller
from tests.leads.helpers import Inbox, counter, crm_requests, polls_pass, same_lead
from tests.support.sandbox import StartSandbox
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


async def test_backfill_all_publishes_every_lead_once(
    start_sandbox: StartSandbox,
    start_poller: StartPoller,
    sqlite_url: str,
    channel: AbstractChannel,
    lead_names: LeadSettings,
) -> None:
    sandbox = start_sandbox(lead_count=2500)
    inbox = await Inbox.bind(channel, lead_names)

    running = await start_poller(sandbox, sqlite_url, backfill="all")
    events = await inbox.wait_for(2500, timeout=30)
    await polls_pass(2)

    assert len(inbox.messages) == 2500, "a later poll published again"
    assert {m.routing_key for m in inbox.messages} == {"lead.created"}
    by_id = {event["data"]["id"]: event for event in events}
    assert len(by_id) == 2500
    for lead in sandbox.leads():
        assert same_lead(by_id[lead["id"]]["data"], lead), lead["id"]
    assert sandbox.stats()["rate_limited"] == 0
    assert await running.store.lead_count() == 2500


async def test_a_backlog_drains_at_the_rate_limit_without_429(
    start_sandbox: StartSandbox,
    start_poller: StartPoller,
    sqlite_url: str,
    channel: AbstractChannel,
    lead_names: LeadSettings,
) -> None:
    sandbox = start_sandbox(lead_count=600, rate_limit=10, rate_window=1.0)
    inbox = await Inbox.bind(channel, lead_names)
    waits = counter("rate_limit_waits")
    started = time.monotonic()

    trace = {"crm_rate_limit": 10, "crm_rate_window": 1.0, "crm_page_size": 20}
    await start_poller(sandbox, sqlite_url, backfill="all", trace=trace)
    await inbox.wait_for(600, timeout=20)
    drained = time.monotonic() - started

    assert crm_requests(sandbox) >= 30
    assert sandbox.stats()["rate_limited"] == 0
    assert counter("rate_limit_waits") > waits
    assert 2.0 <= drained < 10.0, "30 pages at 10/s: three full windows, not one page per poll"


async def test_backfill_none_remembers_existing_leads_and_publishes_new_ones(
    start_sandbox: StartSandbox,
    start_poller: StartPoller,
    sqlite_url: str,
    channel: AbstractChannel,
    lead_names: LeadSettings,
) -> None:
    sandbox = start_sandbox(lead_count=100)
    inbox = await Inbox.bind(channel, lead_names)
    running = await start_poller(sandbox, sqlite_url, backfill="none")
    await eventually(lambda: running.store.get_cursor(WATERMARK), message="backfill poll done")
    await polls_pass(1)
    assert inbox.messages == []
    assert await running.store.lead_count() == 100

    added = sandbox.add_leads(2)
    events = await inbox.wait_for(2)
    await polls_pass(1)
    assert len(inbox.messages) == 2
    assert {e["data"]["id"] for e in events} == {lead["id"] for lead in added}
    assert {m.routing_key for m in inbox.messages} == {"lead.created"}


async def test_backfill_date_publishes_leads_created_since_and_remembers_older(
    start_sandbox: StartSandbox,
    start_poller: StartPoller,
    sqlite_url: str,
    channel: AbstractChannel,
    lead_names: LeadSettings,
) -> None:
    sandbox = start_sandbox(lead_count=300)
    since = (datetime.now(UTC) - timedelta(days=90)).date()
    midnight = datetime.combine(since, datetime.min.time(), UTC)
    expected = {
        lead["id"]
        for lead in sandbox.leads()
        if datetime.fromisoformat(lead["createdAt"].replace("Z", "+00:00")) >= midnight
    }
    assert 0 < len(expected) < 300
    inbox = await Inbox.bind(channel, lead_names)

    running = await start_poller(sandbox, sqlite_url, backfill=since)
    await eventually(lambda: running.store.get_cursor(WATERMARK), message="backfill poll done")
    await polls_pass(1)

    published = Counter(e["data"]["id"] for e in inbox.events())
    assert set(published) == expected
    assert max(published.values()) == 1
    assert await running.store.lead_count() == 300
