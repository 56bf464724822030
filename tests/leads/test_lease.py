"""One active poller among replicas, on both state backends; a standby takes over."""

from __future__ import annotations

import time

import pytest
from aio_pika.abc import AbstractChannel

from service.leads.poller import STANDBY
from service.leads.settings import LeadSettings
from tests.leads.conftest import Running, StartPoller
from tests.leads.helpers import Inbox, polls_pass
from tests.support.sandbox import StartSandbox

pytestmark = pytest.mark.integration
TAKEOVER = 0.3


async def is_standby(running: Running) -> bool:
    return await running.poller.readiness() == STANDBY


async def test_one_replica_polls_and_a_standby_takes_over(
    start_sandbox: StartSandbox,
    start_poller: StartPoller,
    state_url: str,
    channel: AbstractChannel,
    lead_names: LeadSettings,
) -> None:
    sandbox = start_sandbox(lead_count=300)
    inbox = await Inbox.bind(channel, lead_names)
    replicas = [
        await start_poller(sandbox, state_url, backfill="all", takeover_interval=TAKEOVER) for _ in range(2)
    ]
    await inbox.wait_for(300)
    await polls_pass(3)

    assert len(inbox.messages) == 300
    assert len({e["data"]["id"] for e in inbox.events()}) == 300
    standby = [await is_standby(replica) for replica in replicas]
    assert sorted(standby) == [False, True]
    active, waiting = (replicas[0], replicas[1]) if standby[1] else (replicas[1], replicas[0])

    await active.stop()
    stopped = time.monotonic()
    added = sandbox.add_leads(2)
    events = await inbox.wait_for(302, timeout=TAKEOVER + 3)
    assert time.monotonic() - stopped < TAKEOVER + waiting.settings.poll_interval + 1.5
    await polls_pass(1)
    assert not await is_standby(waiting)
    assert {e["data"]["id"] for e in events[300:]} == {lead["id"] for lead in added}
