"""The lead poller's life: take the lease, poll, wait, repeat; stand by while another polls.

Polls from two replicas would publish every lead twice and split the rate limit, so only
the holder of the store's poller lease polls (a PostgreSQL advisory lock, or a file lock
for SQLite). Standbys try to take it every `takeover_interval`; the holder confirms it
before every poll and before every page, and stops the moment it is gone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from aio_pika.abc import AbstractConnection

from service import metrics
from service.amqp.connection import Broker
from service.amqp.errors import BrokerError
from service.amqp.publisher import Publisher
from service.amqp.topology import declare_leads
from service.leads.poll import LeadPoll, PollAbortedError
from service.leads.settings import LeadSettings
from service.leads.stats import Outcome, PollStats
from service.logs import get_logger
from service.ops.health import CheckResult
from service.state.base import StateStore
from service.state.errors import StateError
from service.trace.client import TraceClient
from service.trace.errors import TraceError

log = get_logger(__name__)

LEASE = "leads"
EXPECTED_FAILURES = (TraceError, BrokerError, StateError)
STANDBY = CheckResult(True, "standby: another replica holds the poller lease")


class LeadPoller:
    """Turns TRACE CRM leads into `lead.created` / `lead.updated` events, one replica at a time.

    Every failure ends only the current poll: the next one starts from the last stored
    watermark and re-sends whatever was not confirmed, so the loop itself never dies.
    `readiness` tells whether the last poll failed and why.
    """

    def __init__(
        self, settings: LeadSettings, client: TraceClient, store: StateStore, broker: Broker
    ) -> None:
        self._settings = settings
        self._client = client
        self._store = store
        self._broker = broker
        self._lease = store.poller_lease(LEASE)
        self._holding = False
        self._publisher: Publisher | None = None
        self._poll_task: asyncio.Task[PollStats] | None = None
        self._stopping = asyncio.Event()
        self._finished = asyncio.Event()
        self._running = False
        self._blocked: str | None = None
        """Why this replica cannot poll right now (lease store or broker unreachable)."""
        self._last = CheckResult(True, "first poll pending")

    async def on_connect(self, connection: AbstractConnection) -> None:
        """Broker hook: declare the lead topology and open a confirm-mode publisher."""
        channel = await connection.channel()
        try:
            await declare_leads(channel, self._settings)
        finally:
            await channel.close()
        self._publisher = await Publisher.open(connection)

    async def readiness(self) -> CheckResult:
        """Healthy while polling or standing by; not after a failed poll (and says why)."""
        if self._blocked is not None:
            return CheckResult(False, self._blocked)
        return self._last if self._holding else STANDBY

    async def run(self) -> None:
        """Poll (as lease holder) or stand by, until `stop()`."""
        self._running = True
        try:
            while not self._stopping.is_set():
                if not await self._hold_lease():
                    await self._pause(self._settings.takeover_interval)
                elif not self._broker.is_ready or self._publisher is None:
                    self._blocked = "waiting for RabbitMQ"
                    await self._pause(self._settings.takeover_interval, self._broker.wait_ready())
                else:
                    self._blocked = None
                    await self._poll(self._publisher)
                    await self._pause(self._settings.poll_interval)
        finally:
            await self._resign()
            self._finished.set()

    async def stop(self) -> None:
        """Stop at once: wake the wait, cut the running poll short, give the lease up.

        A poll cut short still stores the marks of the events already confirmed.
        """
        self._stopping.set()
        if self._poll_task is not None:
            self._poll_task.cancel()
        if self._running:
            await self._finished.wait()

    async def _hold_lease(self) -> bool:
        """Confirm the lease if held, otherwise try to take it."""
        try:
            holding = await (self._lease.held() if self._holding else self._lease.try_acquire())
        except StateError as error:
            log.warning("leads.lease_unavailable", error=str(error))
            self._set_holding(False)
            self._blocked = f"poller lease unavailable: {error}"
            return False
        self._set_holding(holding)
        if not holding:
            self._blocked = None
        return holding

    def _set_holding(self, holding: bool) -> None:
        if holding and not self._holding:
            log.info("leads.poller_active", lease=LEASE)
        elif self._holding and not holding:
            log.warning("leads.lease_lost", lease=LEASE)
        self._holding = holding
        metrics.poller_active.set(1 if holding else 0)

    async def _still_active(self) -> bool:
        return not self._stopping.is_set() and await self._hold_lease()

    async def _poll(self, publisher: Publisher) -> None:
        poll = LeadPoll(self._settings, self._client, self._store, publisher, self._still_active)
        task = self._poll_task = asyncio.create_task(poll.run())
        try:
            await asyncio.wait({task})
        finally:
            self._poll_task = None
            if not task.done():  # run() itself was cancelled: end the walk, let it store its marks
                task.cancel()
                await asyncio.wait({task})
        self._conclude(poll.stats, task)

    def _conclude(self, stats: PollStats, task: asyncio.Task[PollStats]) -> None:
        if task.cancelled():
            stats.report(Outcome.ABORTED, reason="stopping")
            return
        error = task.exception()
        if error is None:
            stats.report(Outcome.COMPLETE if stats.complete else Outcome.INCOMPLETE)
            self._last = CheckResult(True, _summary(stats))
        elif isinstance(error, PollAbortedError):
            stats.report(Outcome.ABORTED, reason=str(error))
        else:
            unexpected = not isinstance(error, EXPECTED_FAILURES)
            stats.report(
                Outcome.FAILED,
                error=f"{type(error).__name__}: {error}",
                exc_info=error if unexpected else False,
            )
            self._last = CheckResult(False, f"last poll failed: {type(error).__name__}: {error}")

    async def _pause(self, seconds: float, wake: Awaitable[object] | None = None) -> None:
        """Wait `seconds`; wake at once on `stop()` (or when `wake` completes)."""
        waiters: list[asyncio.Future[object]] = [asyncio.ensure_future(self._stopping.wait())]
        if wake is not None:
            waiters.append(asyncio.ensure_future(wake))
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _resign(self) -> None:
        try:
            await self._lease.release()
        except StateError as error:
            log.warning("leads.lease_release_failed", error=str(error))
        if self._holding:
            log.info("leads.poller_resigned", lease=LEASE)
        self._holding = False
        metrics.poller_active.set(0)


def _summary(stats: PollStats) -> str:
    if stats.complete:
        return f"last poll complete: {stats.created} created, {stats.updated} updated"
    return (
        f"last poll incomplete: {stats.unroutable} unroutable, {stats.failed} refused; "
        "they are sent again next poll"
    )
