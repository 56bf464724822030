"""Claims, uploads and releases against both real backends, including concurrent claimers."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable, Callable

import pytest

from service.state import ClaimStatus, Outcome, Settled, StateStore, TariffState, open_store
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

LONG = 60.0
Setup = Callable[[StateStore], Awaitable[None]]


def uploaded(event_id: str, tariff_id: str, revision: int) -> Settled:
    return Settled(event_id, tariff_id, revision, "dm", Outcome.UPLOADED, offer_ids=(f"o-{revision}",))


async def nothing(store: StateStore) -> None:
    return None


async def uploaded_5(store: StateStore) -> None:
    await store.claim("t", 5, "a", LONG)
    await store.finish_upload("a", uploaded("e5", "t", 5))


async def maybe_uploaded_7(store: StateStore) -> None:
    await store.claim("t", 7, "a", LONG)
    await store.release("t", 7, "a", upload_may_have_happened=True)


async def leased_3_to_a(store: StateStore) -> None:
    await store.claim("t", 3, "a", LONG)


@pytest.mark.parametrize(
    ("setup", "revision", "owner", "expected"),
    [
        pytest.param(nothing, 1, "b", ClaimStatus.ACQUIRED, id="first"),
        pytest.param(uploaded_5, 5, "b", ClaimStatus.STALE, id="uploaded-same"),
        pytest.param(uploaded_5, 4, "b", ClaimStatus.STALE, id="uploaded-newer"),
        pytest.param(uploaded_5, 6, "b", ClaimStatus.ACQUIRED, id="newer-than-uploaded"),
        pytest.param(maybe_uploaded_7, 6, "b", ClaimStatus.STALE, id="maybe-uploaded-newer"),
        pytest.param(maybe_uploaded_7, 7, "b", ClaimStatus.ACQUIRED, id="maybe-uploaded-retry"),
        pytest.param(maybe_uploaded_7, 8, "b", ClaimStatus.ACQUIRED, id="newer-than-maybe"),
        pytest.param(leased_3_to_a, 3, "b", ClaimStatus.BUSY, id="leased-same"),
        pytest.param(leased_3_to_a, 4, "b", ClaimStatus.BUSY, id="leased-newer"),
        pytest.param(leased_3_to_a, 2, "b", ClaimStatus.STALE, id="stale-beats-busy"),
        pytest.param(leased_3_to_a, 3, "a", ClaimStatus.ACQUIRED, id="redelivery-to-holder"),
    ],
)
async def test_claim_rules(
    store: StateStore, setup: Setup, revision: int, owner: str, expected: ClaimStatus
) -> None:
    await setup(store)
    assert (await store.claim("t", revision, owner, LONG)).status is expected


async def row(store: StateStore) -> TariffState:
    state = await store.tariff_state("t")
    assert state is not None
    return state


async def test_acquired_claim_is_visible_in_tariff_state(store: StateStore) -> None:
    assert await store.tariff_state("t") is None
    claim = await store.claim("t", 3, "a", LONG)
    assert (claim.uploaded_revision, claim.claimed_revision) == (None, 3)
    state = await row(store)
    assert (state.uploaded_revision, state.claimed_revision, state.lease_owner) == (None, 3, "a")
    assert state.lease_expires_at is not None


async def test_busy_claim_says_how_long_to_wait(store: StateStore) -> None:
    await store.claim("t", 1, "a", 30.0)
    claim = await store.claim("t", 1, "b", LONG)
    assert claim.status is ClaimStatus.BUSY
    assert claim.retry_after is not None
    assert 25.0 < claim.retry_after <= 30.0


async def test_lapsed_lease_lets_another_owner_in(store: StateStore) -> None:
    await store.claim("t", 1, "a", 1.0)
    first = await store.claim("t", 1, "b", LONG)
    assert first.status is ClaimStatus.BUSY
    assert first.retry_after is not None
    assert first.retry_after <= 1.0

    async def b_acquires() -> bool:
        return (await store.claim("t", 1, "b", LONG)).status is ClaimStatus.ACQUIRED

    acquired: bool = await eventually(b_acquires, timeout=10, message="lease of a never lapsed")
    assert acquired
    assert ((await row(store)).claimed_revision, (await row(store)).lease_owner) == (1, "b")
    await store.finish_upload("a", uploaded("late", "t", 1))
    state = await row(store)
    assert (state.uploaded_revision, state.lease_owner) == (1, "b"), "a's late finish kept b's lease"


async def test_finish_upload_settles_and_frees_the_tariff(store: StateStore) -> None:
    await store.claim("t", 4, "a", LONG)
    record = uploaded("e4", "t", 4)
    await store.finish_upload("a", record)
    assert await store.tariff_state("t") == TariffState("t", 4, 4)
    assert await store.settled("e4") == record
    assert (await store.claim("t", 4, "b", LONG)).status is ClaimStatus.STALE
    assert (await store.claim("t", 5, "b", LONG)).status is ClaimStatus.ACQUIRED


async def test_finish_upload_of_an_older_revision_never_lowers(store: StateStore) -> None:
    await uploaded_5(store)
    await store.finish_upload("x", uploaded("e3", "t", 3))
    assert await store.tariff_state("t") == TariffState("t", 5, 5)


async def test_definite_rejection_frees_lower_revisions(store: StateStore) -> None:
    await uploaded_5(store)
    await store.claim("t", 9, "a", LONG)
    await store.release("t", 9, "a", upload_may_have_happened=False)
    assert await store.tariff_state("t") == TariffState("t", 5, 5)
    assert (await store.claim("t", 6, "b", LONG)).status is ClaimStatus.ACQUIRED


async def test_possible_upload_blocks_lower_revisions_for_good(store: StateStore) -> None:
    await uploaded_5(store)
    await store.claim("t", 9, "a", LONG)
    await store.release("t", 9, "a", upload_may_have_happened=True)
    assert await store.tariff_state("t") == TariffState("t", 5, 9)
    assert (await store.claim("t", 6, "b", LONG)).status is ClaimStatus.STALE


async def test_release_by_a_non_holder_changes_nothing(store: StateStore) -> None:
    await store.claim("t", 3, "a", LONG)
    before = await store.tariff_state("t")
    await store.release("t", 3, "b", upload_may_have_happened=False)
    assert await store.tariff_state("t") == before


async def test_invalid_lease_is_refused_without_a_trace(store: StateStore) -> None:
    with pytest.raises(ValueError, match="lease_seconds"):
        await store.claim("t", 1, "a", 0.0)
    assert await store.tariff_state("t") is None


@pytest.mark.parametrize("replicas", [1, 2])
async def test_concurrent_claims_acquire_exactly_once(state_url: str, replicas: int) -> None:
    stores = [await open_store(state_url) for _ in range(replicas)]
    try:
        claims = await asyncio.gather(
            *(stores[i % replicas].claim("t", 1, f"owner-{i}", LONG) for i in range(20))
        )
    finally:
        await asyncio.gather(*(opened.close() for opened in stores))
    assert Counter(claim.status for claim in claims) == {ClaimStatus.ACQUIRED: 1, ClaimStatus.BUSY: 19}


@pytest.mark.parametrize("replicas", [1, 2])
async def test_uploads_are_exclusive_and_never_go_backwards(state_url: str, replicas: int) -> None:
    stores = [await open_store(state_url) for _ in range(replicas)]
    revisions = list(range(1, 13))
    random.Random(7).shuffle(revisions)
    sent: list[int] = []
    inside = peak = 0

    async def handle(store: StateStore, revision: int) -> None:
        nonlocal inside, peak
        owner = f"handler-{revision}"
        while (claim := await store.claim("t", revision, owner, LONG)).status is ClaimStatus.BUSY:
            pass
        if claim.status is ClaimStatus.STALE:
            return
        inside += 1
        peak = max(peak, inside)
        await asyncio.sleep(0)  # let the other handlers try while this one "uploads"
        sent.append(revision)
        inside -= 1
        await store.finish_upload(owner, uploaded(f"e{revision}", "t", revision))

    try:
        async with asyncio.timeout(30):
            await asyncio.gather(*(handle(stores[i % replicas], r) for i, r in enumerate(revisions)))
        state = await stores[0].tariff_state("t")
    finally:
        await asyncio.gather(*(opened.close() for opened in stores))
    assert peak == 1
    assert sent == sorted(set(sent))
    assert sent[-1] == 12
    assert state == TariffState("t", 12, 12)
