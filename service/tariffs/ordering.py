"""Per-tariff mutual exclusion, so an older revision never reaches TRACE after a newer one.

TRACE serves the newest *uploaded* version of an offer. Within the process an asyncio
lock per tariff lines handlers up; across replicas the state store's claim (a lease plus
the highest revision that may have been sent) decides. A claim held by another replica
is waited for, briefly, and otherwise becomes a transient failure for the retry ladder.
While a claim is held its lease is renewed, so only a dead holder's lease ever lapses.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from service.logs import get_logger
from service.state.base import Claim, ClaimStatus, StateStore
from service.state.errors import StateError
from service.tariffs.failures import TransientFailure

log = get_logger(__name__)
BUSY_POLL_MAX = 0.5
RENEWALS_PER_LEASE = 3


class _CountedLock:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class TariffGate:
    """Hands out one claim per tariff at a time; the lock table holds only tariffs in use."""

    def __init__(self, store: StateStore, owner: str, *, lease_seconds: float, ordering_wait: float) -> None:
        self._store = store
        self._owner = owner
        self._lease = lease_seconds
        self._wait = ordering_wait
        self._locks: dict[str, _CountedLock] = {}

    @property
    def owner(self) -> str:
        return self._owner

    @asynccontextmanager
    async def claim(self, tariff_id: str, revision: int) -> AsyncIterator[Claim]:
        """Hold the tariff for the body of the `async with`; the claim says ACQUIRED or STALE."""
        entry = self._locks.setdefault(tariff_id, _CountedLock())
        entry.users += 1
        try:
            async with entry.lock:
                claim = await self._claim(tariff_id, revision)
                if claim.status is not ClaimStatus.ACQUIRED:
                    yield claim
                    return
                keeper = asyncio.create_task(self._keep(tariff_id, revision))
                try:
                    yield claim
                finally:
                    keeper.cancel()
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._locks[tariff_id]

    async def _keep(self, tariff_id: str, revision: int) -> None:
        """Renew the lease while the claim is held, so a slow upload never outlives it."""
        while True:
            await asyncio.sleep(self._lease / RENEWALS_PER_LEASE)
            try:
                renewed = await self._store.claim(tariff_id, revision, self._owner, self._lease)
            except StateError as error:
                log.warning("ordering.renew_failed", tariff_id=tariff_id, error=str(error))
                continue
            if renewed.status is not ClaimStatus.ACQUIRED:
                log.error(
                    "ordering.lease_lost", tariff_id=tariff_id, revision=revision, status=renewed.status.value
                )
                return

    async def _claim(self, tariff_id: str, revision: int) -> Claim:
        deadline = time.monotonic() + self._wait
        while True:
            claim = await self._store.claim(tariff_id, revision, self._owner, self._lease)
            if claim.status is not ClaimStatus.BUSY:
                return claim
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TransientFailure(f"tariff {tariff_id!r} is being uploaded by another replica")
            pause = min(claim.retry_after or BUSY_POLL_MAX, BUSY_POLL_MAX, remaining)
            log.debug("ordering.busy", tariff_id=tariff_id, revision=revision, pause_s=pause)
            await asyncio.sleep(pause)
