"""The claim and lease rules of tariff uploads, written once for every backend.

The rules are pure functions over a `TariffState` and the database's clock. A backend
only has to lock one tariff row, hand it over as a `TariffTxn`, and write back what
changed; `TariffLedger` turns that primitive into `claim`, `finish_upload` and `release`.
This keeps SQLite and PostgreSQL from ever disagreeing about when an upload is allowed.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from service.state.base import Claim, ClaimStatus, Settled, TariffState


@dataclass
class TariffTxn:
    """One locked tariff row inside an open transaction; set `state` to change it."""

    state: TariffState
    now: datetime
    put_settled: Callable[[Settled, bool], Awaitable[None]]
    """Upsert an outcome in the same transaction; the flag lets it replace an UPLOADED one."""


def decide_claim(
    state: TariffState, revision: int, owner: str, lease_seconds: float, now: datetime
) -> tuple[Claim, TariffState]:
    """Apply the claim rules; returns the answer and the row to store.

    A lease covers exactly the revision in claimed_revision. Its owner re-claiming that
    revision (a redelivery) renews it; its owner asking for a newer revision while the
    lease runs is BUSY like anyone else, because the first upload may still be in flight.
    """
    if not math.isfinite(lease_seconds) or lease_seconds <= 0:
        raise ValueError("lease_seconds must be a positive number")
    uploaded, claimed = state.uploaded_revision, state.claimed_revision
    if (uploaded is not None and revision <= uploaded) or (claimed is not None and revision < claimed):
        return Claim(ClaimStatus.STALE, uploaded, claimed), state
    expires = state.lease_expires_at
    renewal = state.lease_owner == owner and revision == claimed
    if state.lease_owner is not None and expires is not None and expires > now and not renewal:
        wait = (expires - now).total_seconds()
        return Claim(ClaimStatus.BUSY, uploaded, claimed, retry_after=wait), state
    leased = replace(
        state,
        claimed_revision=revision,
        lease_owner=owner,
        lease_expires_at=now + timedelta(seconds=lease_seconds),
    )
    return Claim(ClaimStatus.ACQUIRED, uploaded, revision), leased


def after_upload(state: TariffState, owner: str, revision: int) -> TariffState:
    """The row once TRACE confirmed `revision`: never lowers either revision."""
    uploaded = _highest(state.uploaded_revision, revision)
    claimed = _highest(state.claimed_revision, uploaded)
    state = replace(state, uploaded_revision=uploaded, claimed_revision=claimed)
    return _without_lease(state) if state.lease_owner == owner else state


def after_release(
    state: TariffState, revision: int, owner: str, upload_may_have_happened: bool
) -> TariffState:
    """The row once `owner` gave up without a confirmed upload.

    Only the lease holder may lower claimed_revision: after a lapsed lease another owner
    may have claimed the same revision and be uploading it right now.
    """
    if state.lease_owner != owner:
        return state
    if not upload_may_have_happened and state.claimed_revision == revision:
        state = replace(state, claimed_revision=state.uploaded_revision)
    return _without_lease(state)


def _highest(current: int | None, candidate: int) -> int:
    return candidate if current is None else max(current, candidate)


def _without_lease(state: TariffState) -> TariffState:
    return replace(state, lease_owner=None, lease_expires_at=None)


class TariffLedger(ABC):
    """Claim/finish/release for any backend that can lock one tariff row in a transaction.

    Backends subclass it so the upload-ordering rules exist once, not once per database.
    """

    @abstractmethod
    def _tariff_txn(self, tariff_id: str) -> AbstractAsyncContextManager[TariffTxn]:
        """Lock the tariff's row (creating it empty), yield it, store `state` if it changed."""

    async def claim(self, tariff_id: str, revision: int, owner: str, lease_seconds: float) -> Claim:
        async with self._tariff_txn(tariff_id) as txn:
            result, txn.state = decide_claim(txn.state, revision, owner, lease_seconds, txn.now)
        return result

    async def finish_upload(self, owner: str, settled: Settled) -> None:
        async with self._tariff_txn(settled.tariff_id) as txn:
            txn.state = after_upload(txn.state, owner, settled.revision)
            await txn.put_settled(settled, True)

    async def release(
        self, tariff_id: str, revision: int, owner: str, *, upload_may_have_happened: bool
    ) -> None:
        async with self._tariff_txn(tariff_id) as txn:
            txn.state = after_release(txn.state, revision, owner, upload_may_have_happened)
