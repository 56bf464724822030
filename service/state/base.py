"""What the bridge remembers between deliveries and across replicas, as one typed interface.

Two backends implement `StateStore`: SQLite for a single replica and PostgreSQL for
several. Callers only see the records below and the two protocols; which database is
underneath is chosen by the state URL (see `service.state.open_store`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; naive datetimes are refused because their zone is a guess."""
    if moment.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required")
    return moment.astimezone(UTC)


class Outcome(StrEnum):
    """How a tariff event ended; only settled events are remembered."""

    UPLOADED = "uploaded"
    REJECTED = "rejected"
    STALE = "stale"
    DEAD_LETTERED = "dead_lettered"


@dataclass(frozen=True)
class Settled:
    """The final outcome of one event, kept so a redelivery is acked without a second upload."""

    event_id: str
    tariff_id: str
    revision: int
    product: str
    outcome: Outcome
    offer_ids: tuple[str, ...] = ()
    reason: str | None = None
    settled_at: datetime = field(default_factory=utc_now)

    def __post_init__(self) -> None:
        as_utc(self.settled_at)


class ClaimStatus(StrEnum):
    """Whether a handler may upload a tariff revision now."""

    ACQUIRED = "acquired"
    STALE = "stale"
    BUSY = "busy"


@dataclass(frozen=True)
class Claim:
    """The answer to a claim, with the revisions that explain it (for logs and metrics)."""

    status: ClaimStatus
    uploaded_revision: int | None
    """Highest revision confirmed uploaded."""
    claimed_revision: int | None
    """Highest revision that may have been uploaded (a crash after sending keeps it)."""
    retry_after: float | None = None
    """BUSY only: seconds until the other owner's lease lapses."""


@dataclass(frozen=True)
class TariffState:
    """The per-tariff row behind claims: what operators and tests inspect."""

    tariff_id: str
    uploaded_revision: int | None = None
    claimed_revision: int | None = None
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None


@dataclass(frozen=True)
class LeadMark:
    """The lead version (its `updatedAt`) last published, and the event that carried it."""

    lead_id: str
    version: str
    event_id: str


class PollerLease(Protocol):
    """Exclusive right to run the lead poller, so replicas do not publish the same leads twice.

    Not a timed lease: it is held until released or until the holding process (or its
    connection) dies, and the holder confirms with `held()` before each poll.
    """

    async def try_acquire(self) -> bool:
        """Take the lease without waiting; True if this process holds it now."""
        ...

    async def held(self) -> bool:
        """Whether the lease is still ours; False once it was lost or released."""
        ...

    async def release(self) -> None:
        """Give the lease up (idempotent)."""
        ...


class StateStore(Protocol):
    """Durable state of the tariff pipeline and the lead poller.

    Every method is one transaction. Driver failures surface as
    `service.state.errors.StateUnavailableError` (transient) or `StateError`.
    """

    async def ping(self) -> None:
        """Round trip to the database; raises `StateUnavailableError` if it does not answer."""
        ...

    async def close(self) -> None:
        """Release connections and every poller lease handed out by this store."""
        ...

    async def settled(self, event_id: str) -> Settled | None:
        """The recorded outcome of an event, if it was settled."""
        ...

    async def claim(self, tariff_id: str, revision: int, owner: str, lease_seconds: float) -> Claim:
        """Ask to upload `revision` of a tariff, atomically across tasks and replicas.

        STALE if revision <= uploaded_revision or revision < claimed_revision; BUSY while
        another owner's lease runs; otherwise ACQUIRED, raising claimed_revision to
        `revision` and leasing the tariff to `owner` for `lease_seconds`. The lease must
        outlast the upload, or another owner may upload concurrently.
        """
        ...

    async def finish_upload(self, owner: str, settled: Settled) -> None:
        """Record a confirmed upload: raise uploaded_revision, drop owner's lease, store `settled`."""
        ...

    async def release(
        self, tariff_id: str, revision: int, owner: str, *, upload_may_have_happened: bool
    ) -> None:
        """Drop owner's lease without an upload.

        When TRACE definitely did not take `revision` (upload_may_have_happened=False) and
        `owner` still holds the lease, claimed_revision falls back to uploaded_revision so
        lower revisions may be uploaded again. Otherwise claimed_revision stays, blocking
        every lower revision for good.
        """
        ...

    async def record(self, settled: Settled) -> None:
        """Store a non-upload outcome; idempotent, and never hides an earlier UPLOADED."""
        ...

    async def forget_settled(self, older_than: datetime) -> int:
        """Delete outcomes settled before `older_than`; returns how many were deleted."""
        ...

    async def tariff_state(self, tariff_id: str) -> TariffState | None:
        """The claim row of a tariff, or None if it was never claimed."""
        ...

    async def lead_versions(self, lead_ids: Sequence[str]) -> dict[str, str]:
        """Last published version of each known lead among `lead_ids`."""
        ...

    async def mark_leads(self, marks: Sequence[LeadMark]) -> None:
        """Remember published lead versions (upsert, one transaction; the last mark of an id wins)."""
        ...

    async def lead_count(self) -> int:
        """How many leads are remembered."""
        ...

    async def get_cursor(self, name: str) -> str | None:
        """A named poller watermark."""
        ...

    async def set_cursor(self, name: str, value: str) -> None:
        """Store a named poller watermark."""
        ...

    def poller_lease(self, name: str) -> PollerLease:
        """A lease object for `name`; nothing is acquired until `try_acquire`."""
        ...
