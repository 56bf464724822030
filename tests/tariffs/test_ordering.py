"""The tariff gate: in-process lines, cross-replica leases, renewal while an upload runs."""

from __future__ import annotations

import asyncio

import pytest

from service.state.base import ClaimStatus, StateStore
from service.tariffs.failures import TransientFailure
from service.tariffs.ordering import TariffGate

pytestmark = pytest.mark.integration


async def test_a_held_claim_is_renewed_so_another_replica_stays_out(store: StateStore) -> None:
    mine = TariffGate(store, "replica-a", lease_seconds=0.3, ordering_wait=0)
    async with mine.claim("t-1", 5) as claim:
        assert claim.status is ClaimStatus.ACQUIRED
        for _ in range(4):  # four lease lengths: without renewal the lease would have lapsed
            await asyncio.sleep(0.3)
            other = await store.claim("t-1", 6, "replica-b", 0.3)
            assert other.status is ClaimStatus.BUSY


async def test_a_busy_tariff_becomes_a_transient_failure_after_the_ordering_wait(store: StateStore) -> None:
    assert (await store.claim("t-2", 1, "replica-b", 30)).status is ClaimStatus.ACQUIRED
    gate = TariffGate(store, "replica-a", lease_seconds=5, ordering_wait=0.2)
    with pytest.raises(TransientFailure, match="another replica"):
        async with gate.claim("t-2", 2):
            pass


async def test_handlers_in_one_process_line_up_per_tariff(store: StateStore) -> None:
    gate = TariffGate(store, "replica-a", lease_seconds=5, ordering_wait=5)
    order: list[int] = []

    async def handle(revision: int) -> None:
        async with gate.claim("t-3", revision) as claim:
            if claim.status is ClaimStatus.ACQUIRED:
                order.append(revision)
                await asyncio.sleep(0.01)
                await store.release("t-3", revision, gate.owner, upload_may_have_happened=True)

    await asyncio.gather(*(handle(revision) for revision in (3, 1, 2, 5, 4)))
    assert order == sorted(order)
