"""The poller as real `trace-bridge run --only leads` processes: SIGKILL and replicas."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aio_pika.abc import AbstractChannel

from service.leads.settings import LeadSettings
from tests.leads.helpers import Inbox
from tests.support.sandbox import SandboxServer, StartSandbox
from tests.support.service import ServiceProcess, sandbox_env
from tests.support.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]
TAKEOVER = 0.5


def poller_env(sandbox: SandboxServer, names: LeadSettings, state_url: str, **extra: str) -> dict[str, str]:
    return {
        **sandbox_env(sandbox.url),
        "TRACE_BRIDGE_STATE_URL": state_url,
        "TRACE_BRIDGE_LEADS_EXCHANGE": names.exchange,
        "TRACE_BRIDGE_LEADS_INVALID_QUEUE": names.invalid_queue,
        "TRACE_BRIDGE_LEADS_BACKFILL": "all",
        "TRACE_BRIDGE_LEADS_POLL_INTERVAL": "0.3",
        "TRACE_BRIDGE_LEADS_TAKEOVER_INTERVAL": str(TAKEOVER),
        **extra,
    }


async def start(processes: list[ServiceProcess], env: dict[str, str]) -> ServiceProcess:
    process = ServiceProcess(env, args=("run", "--only", "leads")).start()
    processes.append(process)
    await asyncio.to_thread(process.wait_ready)
    return process


def logged(process: ServiceProcess, event: str, **fields: Any) -> list[dict[str, Any]]:
    return [
        line
        for line in process.log_events()
        if line.get("message") == event and all(line.get(k) == v for k, v in fields.items())
    ]


def event_ids_by_lead(events: list[dict[str, Any]]) -> dict[str, set[str]]:
    ids: defaultdict[str, set[str]] = defaultdict(set)
    for event in events:
        ids[event["data"]["id"]].add(event["id"])
    return ids


async def test_sigkill_mid_backfill_loses_nothing_and_duplicates_only_in_flight_leads(
    start_sandbox: StartSandbox,
    service_processes: list[ServiceProcess],
    channel: AbstractChannel,
    lead_names: LeadSettings,
    tmp_path: Path,
) -> None:
    sandbox = start_sandbox(lead_count=2500)
    inbox = await Inbox.bind(channel, lead_names)
    env = poller_env(
        sandbox,
        lead_names,
        f"sqlite:///{tmp_path / 'state.db'}",
        TRACE_BRIDGE_TRACE_CRM_RATE_LIMIT="10",
        TRACE_BRIDGE_TRACE_CRM_RATE_WINDOW="1",
    )
    first = await start(service_processes, env)
    await inbox.wait_for(300, timeout=20)
    first.kill()
    at_kill = len(inbox.messages)
    assert at_kill < 2500, "the backfill finished before the kill; nothing was tested"

    second = await start(service_processes, env)
    await inbox.wait_for(2500, timeout=30)
    await eventually(
        lambda: len(logged(second, "leads.poll_done", outcome="complete")) >= 2, message="two polls"
    )

    events = inbox.events()
    per_lead = Counter(event["data"]["id"] for event in events)
    assert set(per_lead) == {lead["id"] for lead in sandbox.leads()}
    duplicated = [lead_id for lead_id, n in per_lead.items() if n > 1]
    assert len(duplicated) <= 100, "only the page in flight at the kill may be sent twice"
    ids = event_ids_by_lead(events)
    assert all(len(ids[lead_id]) == 1 for lead_id in duplicated), "a duplicate has its own id"


@contextmanager
def write_lock(database: Path) -> Iterator[None]:
    """Hold SQLite's write lock: readers go on (WAL), the service's next write waits."""
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield
    finally:
        connection.close()


async def test_sigkill_between_publish_and_state_write_duplicates_exactly_the_confirmed_page(
    start_sandbox: StartSandbox,
    service_processes: list[ServiceProcess],
    channel: AbstractChannel,
    lead_names: LeadSettings,
    tmp_path: Path,
) -> None:
    sandbox = start_sandbox(lead_count=0)
    inbox = await Inbox.bind(channel, lead_names)
    database = tmp_path / "state.db"
    env = poller_env(sandbox, lead_names, f"sqlite:///{database}")
    first = await start(service_processes, env)
    await eventually(lambda: logged(first, "leads.poll_done", outcome="complete"), message="an empty poll")

    with write_lock(database):  # page 1 is published and confirmed, then its marks wait
        sandbox.add_leads(250)
        await inbox.wait_for(100)
        first.kill()
    before_kill = inbox.events()
    assert len(before_kill) == 100, "the poll went past its first page without storing it"

    second = await start(service_processes, env)
    await inbox.wait_for(350, timeout=30)
    await eventually(lambda: len(logged(second, "leads.poll_done", outcome="complete")) >= 2)

    events = inbox.events()
    per_lead = Counter(event["data"]["id"] for event in events)
    assert set(per_lead) == {lead["id"] for lead in sandbox.leads()}, "a lead is missing"
    assert {lead for lead, n in per_lead.items() if n > 1} == {e["data"]["id"] for e in before_kill}
    assert max(per_lead.values()) == 2
    assert all(len(ids) == 1 for ids in event_ids_by_lead(events).values()), "a duplicate has its own id"


async def test_two_replicas_publish_each_lead_once_and_a_standby_takes_over_a_kill(
    sandbox: SandboxServer,
    service_processes: list[ServiceProcess],
    channel: AbstractChannel,
    lead_names: LeadSettings,
    postgres_url: str,
) -> None:
    inbox = await Inbox.bind(channel, lead_names)
    env = poller_env(sandbox, lead_names, postgres_url)
    replicas = await asyncio.gather(start(service_processes, env), start(service_processes, env))
    await inbox.wait_for(250, timeout=20)

    def active() -> list[ServiceProcess]:
        return [p for p in replicas if logged(p, "leads.poller_active")]

    await eventually(lambda: any(logged(p, "leads.poll_done", outcome="complete") for p in replicas))
    [holder] = active()
    [standby] = [p for p in replicas if p is not holder]
    holder.kill()
    killed = time.monotonic()
    await eventually(lambda: logged(standby, "leads.poller_active"), timeout=TAKEOVER + 5)
    assert time.monotonic() - killed <= TAKEOVER + 1.0

    added = sandbox.add_leads(5)
    await inbox.wait_for(255)
    await eventually(lambda: len(logged(standby, "leads.poll_done", outcome="complete")) >= 2)
    per_lead = Counter(event["data"]["id"] for event in inbox.events())
    assert set(per_lead) == {lead["id"] for lead in sandbox.leads()}
    assert {lead["id"] for lead in added} <= set(per_lead)
    assert max(per_lead.values()) == 1, "a lead was published twice"
