"""Steady state: new and changed leads become events within two polls, quiet polls are cheap."""

from __future__ import annotations

import time

import pytest
from aio_pika.abc import AbstractChannel

from service.leads.cursor import WATERMARK
from service.leads.settings import LeadSettings
from tests.leads.conftest import Running, StartPoller
from tests.leads.helpers import Inbox, crm_requests, polls, polls_pass
from tests.support.sandbox import SandboxServer, StartSandbox
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
INTERVAL = 0.4


async def backfilled(running: Running) -> None:
    await eventually(lambda: running.store.get_cursor(WATERMARK), message="backfill poll done")


async def test_new_and_changed_leads_arrive_within_two_poll_intervals(
    start_sandbox: StartSandbox,
    start_poller: StartPoller,
    sqlite_url: str,
    channel: AbstractChannel,
    lead_names: LeadSettings,
) -> None:
    sandbox = start_sandbox(lead_count=120)
    running = await start_poller(sandbox, sqlite_url, backfill="none", poll_interval=INTERVAL)
    await backfilled(running)
    inbox = await Inbox.bind(channel, lead_names)
    old = sandbox.leads()[:2]

    changed_at = time.monotonic()
    added = sandbox.add_leads(3)
    sandbox.update_lead(old[0]["id"], status="Won")
    sandbox.update_lead(old[1]["id"], status="Lost")
    await inbox.wait_for(5, timeout=2 * INTERVAL + 1.0)
    assert time.monotonic() - changed_at <= 2 * INTERVAL + 1.0

    sandbox.update_lead(added[0]["id"], status="InProgress")
    await inbox.wait_for(6, timeout=2 * INTERVAL + 1.0)
    await polls_pass(2)

    created = inbox.of_type("lead.created")
    updated = inbox.of_type("lead.updated")
    assert len(inbox.messages) == 6, [m.routing_key for m in inbox.messages]
    assert sorted(e["data"]["id"] for e in created) == sorted(lead["id"] for lead in added)
    assert {e["type"] for e in created} == {"trace.lead.created.v1"}
    assert {e["type"] for e in updated} == {"trace.lead.updated.v1"}
    statuses = {e["data"]["id"]: e["data"]["status"] for e in updated}
    assert statuses == {old[0]["id"]: "Won", old[1]["id"]: "Lost", added[0]["id"]: "InProgress"}
    assert len({e["id"] for e in inbox.events()}) == 6


async def test_updates_are_not_published_when_switched_off(
    sandbox: SandboxServer,
    start_poller: StartPoller,
    sqlite_url: str,
    channel: AbstractChannel,
    lead_names: LeadSettings,
) -> None:
    running = await start_poller(sandbox, sqlite_url, backfill="none", publish_updates=False)
    await backfilled(running)
    inbox = await Inbox.bind(channel, lead_names)
    lead = sandbox.leads()[0]

    sandbox.update_lead(lead["id"], status="Won")
    added = sandbox.add_leads(1)
    events = await inbox.wait_for(1)
    await polls_pass(2)

    assert len(inbox.messages) == 1
    assert events[0]["data"]["id"] == added[0]["id"]
    remembered = await running.store.lead_versions([lead["id"]])
    assert remembered[lead["id"]] != lead["updatedAt"], "the skipped version is remembered"


async def test_a_quiet_poll_costs_at_most_two_crm_requests(
    start_sandbox: StartSandbox, start_poller: StartPoller, sqlite_url: str
) -> None:
    sandbox = start_sandbox(lead_count=1000)
    running = await start_poller(sandbox, sqlite_url, backfill="none", poll_interval=1.0)
    await backfilled(running)
    assert crm_requests(sandbox) >= 10, "the backfill reads every page"

    # between two polls 1 s apart, right after one ended, nothing is on the wire
    done = polls()
    await polls_pass(1)
    before = crm_requests(sandbox)
    await eventually(lambda: polls() >= done + 2, timeout=5, message="next poll")
    assert crm_requests(sandbox) - before <= 2
