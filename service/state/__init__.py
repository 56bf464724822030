"""Durable state of the bridge: claims, settled outcomes, lead marks, cursors, poller lease.

`open_store(url)` picks the backend from the URL (`TRACE_BRIDGE_STATE_URL`):

- `sqlite:///relative/path.db` or `sqlite:////absolute/path.db`: one SQLite file, for
  a single replica (or several processes on one host);
- `postgresql://…` or `postgres://…`: PostgreSQL, for several replicas. Query
  parameters are session settings, e.g. `?search_path=bridge` selects the schema.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from service.state.base import (
    Claim,
    ClaimStatus,
    LeadMark,
    Outcome,
    PollerLease,
    Settled,
    StateStore,
    TariffState,
)
from service.state.errors import (
    SchemaVersionError,
    StateError,
    StateUnavailableError,
    StateUrlError,
)
from service.state.postgres import PostgresStore
from service.state.sqlite import SqliteStore

__all__ = [
    "Claim",
    "ClaimStatus",
    "LeadMark",
    "Outcome",
    "PollerLease",
    "SchemaVersionError",
    "Settled",
    "StateError",
    "StateStore",
    "StateUnavailableError",
    "StateUrlError",
    "TariffState",
    "open_store",
]

SQLITE_PREFIX = "sqlite:///"


def _sqlite_path(url: str) -> Path:
    raw = unquote(url.removeprefix(SQLITE_PREFIX).partition("?")[0])
    if not raw or raw == ":memory:":
        raise StateUrlError("a SQLite state URL must name a file: sqlite:///path/to/state.db")
    return Path(raw)


async def open_store(url: str) -> StateStore:
    """Open the store named by `url`, creating or migrating its schema (safe to repeat)."""
    if url.startswith(SQLITE_PREFIX):
        return await SqliteStore.open(_sqlite_path(url))
    scheme = urlsplit(url).scheme
    if scheme in {"postgresql", "postgres"}:
        return await PostgresStore.open(url)
    scheme = scheme or "(none)"
    raise StateUrlError(f"unsupported state URL scheme {scheme!r}: use sqlite:/// or postgresql://")
