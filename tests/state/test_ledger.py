"""The claim rules as pure functions, with an exact clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service.state import ClaimStatus, TariffState
from service.state.ledger import after_release, after_upload, decide_claim

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LEASED = TariffState(
    "t", uploaded_revision=2, claimed_revision=4, lease_owner="a", lease_expires_at=NOW + timedelta(seconds=3)
)


@pytest.mark.parametrize(
    ("state", "revision", "owner", "expected"),
    [
        pytest.param(TariffState("t"), 1, "a", ClaimStatus.ACQUIRED, id="first-claim"),
        pytest.param(LEASED, 2, "b", ClaimStatus.STALE, id="already-uploaded"),
        pytest.param(LEASED, 1, "b", ClaimStatus.STALE, id="older-than-uploaded"),
        pytest.param(LEASED, 3, "a", ClaimStatus.STALE, id="older-than-claimed-even-for-holder"),
        pytest.param(LEASED, 4, "b", ClaimStatus.BUSY, id="same-revision-other-owner"),
        pytest.param(LEASED, 5, "b", ClaimStatus.BUSY, id="newer-revision-other-owner"),
        pytest.param(LEASED, 4, "a", ClaimStatus.ACQUIRED, id="holder-reclaims-its-revision"),
        pytest.param(LEASED, 5, "a", ClaimStatus.BUSY, id="holder-newer-revision-waits"),
    ],
)
def test_claim_rules(state: TariffState, revision: int, owner: str, expected: ClaimStatus) -> None:
    claim, _ = decide_claim(state, revision, owner, 10.0, NOW)
    assert claim.status is expected


def test_busy_reports_time_left_on_the_lease() -> None:
    claim, state = decide_claim(LEASED, 5, "b", 10.0, NOW)
    assert claim.retry_after == 3.0
    assert (claim.uploaded_revision, claim.claimed_revision) == (2, 4)
    assert state == LEASED


def test_acquire_leases_and_raises_claimed_revision() -> None:
    claim, state = decide_claim(LEASED, 6, "b", 10.0, NOW + timedelta(seconds=3))
    assert (claim.status, claim.uploaded_revision, claim.claimed_revision) == (ClaimStatus.ACQUIRED, 2, 6)
    assert state == TariffState("t", 2, 6, "b", NOW + timedelta(seconds=13))


def test_lease_lapses_exactly_at_its_expiry() -> None:
    just_before = NOW + timedelta(seconds=3) - timedelta(microseconds=1)
    assert decide_claim(LEASED, 4, "b", 1.0, just_before)[0].status is ClaimStatus.BUSY
    assert decide_claim(LEASED, 4, "b", 1.0, NOW + timedelta(seconds=3))[0].status is ClaimStatus.ACQUIRED


def test_renewal_extends_the_lease() -> None:
    claim, state = decide_claim(LEASED, 4, "a", 10.0, NOW)
    assert claim.status is ClaimStatus.ACQUIRED
    assert state.lease_expires_at == NOW + timedelta(seconds=10)


@pytest.mark.parametrize("lease", [0.0, -1.0, float("nan"), float("inf")])
def test_lease_must_be_positive_and_finite(lease: float) -> None:
    with pytest.raises(ValueError, match="lease_seconds"):
        decide_claim(TariffState("t"), 1, "a", lease, NOW)


def test_upload_raises_revisions_and_drops_the_holders_lease() -> None:
    assert after_upload(LEASED, "a", 4) == TariffState("t", 4, 4)


def test_upload_by_a_non_holder_keeps_the_lease_and_never_lowers() -> None:
    assert after_upload(LEASED, "b", 1) == LEASED
    assert after_upload(LEASED, "b", 7) == TariffState("t", 7, 7, "a", LEASED.lease_expires_at)


def test_definite_rejection_frees_lower_revisions() -> None:
    assert after_release(LEASED, 4, "a", upload_may_have_happened=False) == TariffState("t", 2, 2)


def test_possible_upload_keeps_claimed_revision() -> None:
    assert after_release(LEASED, 4, "a", upload_may_have_happened=True) == TariffState("t", 2, 4)


def test_release_by_a_non_holder_changes_nothing() -> None:
    assert after_release(LEASED, 4, "b", upload_may_have_happened=False) == LEASED


def test_release_of_another_revision_only_drops_the_lease() -> None:
    assert after_release(LEASED, 3, "a", upload_may_have_happened=False) == TariffState("t", 2, 4)
