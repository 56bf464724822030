"""Table layout of the state store, as numbered migrations per SQL dialect.

Migration N is applied once and recorded in `trace_bridge_schema_version`; a later
release appends migration N+1 to both lists. Opening a database that a newer release
already migrated fails with `SchemaVersionError` instead of corrupting it.

Timestamps are UTC: `timestamptz` in PostgreSQL, ISO-8601 text with a `+00:00` offset in
SQLite (fixed width, so text order is time order).
"""

from __future__ import annotations

from collections.abc import Sequence

from service.state.errors import SchemaVersionError

Migration = tuple[str, ...]

SQLITE_VERSION_DDL = """CREATE TABLE IF NOT EXISTS trace_bridge_schema_version (
    version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"""

POSTGRES_VERSION_DDL = """CREATE TABLE IF NOT EXISTS trace_bridge_schema_version (
    version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT clock_timestamp())"""

SQLITE_MIGRATIONS: tuple[Migration, ...] = (
    (
        """CREATE TABLE trace_bridge_tariffs (
            tariff_id TEXT PRIMARY KEY,
            uploaded_revision INTEGER,
            claimed_revision INTEGER,
            lease_owner TEXT,
            lease_expires_at TEXT)""",
        """CREATE TABLE trace_bridge_settled (
            event_id TEXT PRIMARY KEY,
            tariff_id TEXT NOT NULL,
            revision INTEGER NOT NULL,
            product TEXT NOT NULL,
            outcome TEXT NOT NULL,
            offer_ids TEXT NOT NULL,
            reason TEXT,
            settled_at TEXT NOT NULL)""",
        "CREATE INDEX trace_bridge_settled_at ON trace_bridge_settled (settled_at)",
        """CREATE TABLE trace_bridge_leads (
            lead_id TEXT PRIMARY KEY,
            version TEXT NOT NULL,
            event_id TEXT NOT NULL,
            marked_at TEXT NOT NULL)""",
        """CREATE TABLE trace_bridge_cursors (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
    ),
)

POSTGRES_MIGRATIONS: tuple[Migration, ...] = (
    (
        """CREATE TABLE trace_bridge_tariffs (
            tariff_id text PRIMARY KEY,
            uploaded_revision bigint,
            claimed_revision bigint,
            lease_owner text,
            lease_expires_at timestamptz)""",
        """CREATE TABLE trace_bridge_settled (
            event_id text PRIMARY KEY,
            tariff_id text NOT NULL,
            revision bigint NOT NULL,
            product text NOT NULL,
            outcome text NOT NULL,
            offer_ids text[] NOT NULL,
            reason text,
            settled_at timestamptz NOT NULL)""",
        "CREATE INDEX trace_bridge_settled_at ON trace_bridge_settled (settled_at)",
        """CREATE TABLE trace_bridge_leads (
            lead_id text PRIMARY KEY,
            version text NOT NULL,
            event_id text NOT NULL,
            marked_at timestamptz NOT NULL)""",
        """CREATE TABLE trace_bridge_cursors (
            name text PRIMARY KEY,
            value text NOT NULL,
            updated_at timestamptz NOT NULL)""",
    ),
)


def pending(current: int | None, migrations: Sequence[Migration]) -> list[tuple[int, Migration]]:
    """Migrations still to apply to a database at version `current` (None: empty database)."""
    applied = current or 0
    if applied > len(migrations):
        raise SchemaVersionError(
            f"state schema is at version {applied}, this release knows {len(migrations)}"
        )
    return [(number, steps) for number, steps in enumerate(migrations, 1) if number > applied]
