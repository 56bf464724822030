"""The PostgreSQL state store, for several replicas sharing one database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import astuple
from datetime import datetime
from functools import partial
from typing import TypeAlias
from urllib.parse import parse_qsl, urlsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from service.logs import get_logger, secrets
from service.state import schema
from service.state.advisory_lease import AdvisoryLease, advisory_key
from service.state.base import LeadMark, Outcome, PollerLease, Settled, TariffState, as_utc
from service.state.errors import StateError, StateUrlError, translated
from service.state.ledger import TariffLedger, TariffTxn
from service.state.pg_errors import DRIVER, TRANSIENT

log = get_logger(__name__)

Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"

POOL_MIN_SIZE = 1
POOL_MAX_SIZE = 10
CONNECT_TIMEOUT = 10.0
COMMAND_TIMEOUT = 10.0
LEASE_CHECK_TIMEOUT = 5.0
SESSION_SETTINGS = {
    "statement_timeout": "10s",
    "lock_timeout": "5s",
    "idle_in_transaction_session_timeout": "30s",
    "application_name": "trace-bridge",
}
"""Defaults for every connection; the same names in the URL query take precedence."""
LEASE_SESSION_SETTINGS = {
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
    "tcp_user_timeout": "25000",
    "application_name": "trace-bridge-poller-lease",
}
"""The lease connection: the server drops a silent holder after about 25 s."""

_SELECT_TARIFF = """SELECT tariff_id, uploaded_revision, claimed_revision, lease_owner,
    lease_expires_at FROM trace_bridge_tariffs WHERE tariff_id = $1"""
_UPSERT_SETTLED = """INSERT INTO trace_bridge_settled AS s
    (event_id, tariff_id, revision, product, outcome, offer_ids, reason, settled_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT (event_id) DO UPDATE SET tariff_id = excluded.tariff_id,
        revision = excluded.revision, product = excluded.product, outcome = excluded.outcome,
        offer_ids = excluded.offer_ids, reason = excluded.reason, settled_at = excluded.settled_at
    WHERE $9 OR s.outcome <> 'uploaded'"""
_MARK_LEADS = """INSERT INTO trace_bridge_leads (lead_id, version, event_id, marked_at)
    SELECT u.lead_id, u.version, u.event_id, clock_timestamp()
    FROM unnest($1::text[], $2::text[], $3::text[]) AS u (lead_id, version, event_id)
    ON CONFLICT (lead_id) DO UPDATE SET version = excluded.version,
        event_id = excluded.event_id, marked_at = excluded.marked_at"""


def _settings(url: str, defaults: dict[str, str]) -> dict[str, str]:
    """`defaults` minus what the URL query sets (asyncpg would let ours override the URL)."""
    given = {key for key, _ in parse_qsl(urlsplit(url).query)}
    return {key: value for key, value in defaults.items() if key not in given}


def _tariff(record: asyncpg.Record) -> TariffState:
    return TariffState(**dict(record.items()))


def _settled(record: asyncpg.Record) -> Settled:
    fields = dict(record.items())
    fields.update(outcome=Outcome(fields["outcome"]), offer_ids=tuple(fields["offer_ids"]))
    return Settled(**fields)


class PostgresStore(TariffLedger):
    """State in PostgreSQL, safe for any number of replicas.

    Claims lock the tariff's row (`INSERT … ON CONFLICT DO NOTHING`, then `SELECT … FOR
    UPDATE`) in one short transaction, and lease times come from the database's
    `clock_timestamp()`, so replicas agree however skewed their own clocks are. A bounded
    pool with statement, lock and idle-transaction timeouts keeps a sick database from
    pinning the bridge's tasks.
    """

    def __init__(self, pool: asyncpg.Pool[asyncpg.Record], url: str, namespace: str) -> None:
        self._pool = pool
        self._url = url
        self._namespace = namespace
        self._leases: dict[str, AdvisoryLease] = {}

    def __repr__(self) -> str:
        return f"PostgresStore(schema={self._namespace!r})"

    @classmethod
    async def open(cls, url: str) -> PostgresStore:
        """Connect a pool and create or migrate the schema selected by the URL's search_path."""
        password = urlsplit(url).password
        if password:
            secrets.add(password)
        with translated(TRANSIENT, DRIVER):
            try:
                pool = await asyncpg.create_pool(
                    url,
                    min_size=POOL_MIN_SIZE,
                    max_size=POOL_MAX_SIZE,
                    timeout=CONNECT_TIMEOUT,
                    command_timeout=COMMAND_TIMEOUT,
                    server_settings=_settings(url, SESSION_SETTINGS),
                )
            except asyncpg.ClientConfigurationError as error:
                raise StateUrlError(f"invalid PostgreSQL state URL: {error}") from error
        try:
            with translated(TRANSIENT, DRIVER):
                async with pool.acquire() as conn:
                    namespace = await _migrate(conn)
        except BaseException:
            pool.terminate()
            raise
        log.info("state.opened", backend="postgresql", schema=namespace, pool_max=POOL_MAX_SIZE)
        return cls(pool, url, namespace)

    async def ping(self) -> None:
        with translated(TRANSIENT, DRIVER):
            await self._pool.fetchval("SELECT 1")

    async def close(self) -> None:
        for lease in self._leases.values():
            await lease.release()
        try:
            async with asyncio.timeout(COMMAND_TIMEOUT):
                await self._pool.close()
        except TimeoutError:
            self._pool.terminate()

    @asynccontextmanager
    async def _tariff_txn(self, tariff_id: str) -> AsyncIterator[TariffTxn]:
        with translated(TRANSIENT, DRIVER):
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute(
                    "INSERT INTO trace_bridge_tariffs (tariff_id) VALUES ($1) ON CONFLICT DO NOTHING",
                    tariff_id,
                )
                record = await conn.fetchrow(f"{_SELECT_TARIFF} FOR UPDATE", tariff_id)
                assert record is not None
                before = _tariff(record)
                now = await conn.fetchval("SELECT clock_timestamp()")
                txn = TariffTxn(before, now, partial(self._put_settled, conn))
                yield txn
                if txn.state != before:
                    await conn.execute(
                        """UPDATE trace_bridge_tariffs SET uploaded_revision = $2,
                        claimed_revision = $3, lease_owner = $4, lease_expires_at = $5
                        WHERE tariff_id = $1""",
                        *astuple(txn.state),
                    )

    @staticmethod
    async def _put_settled(conn: Connection, settled: Settled, replace_uploaded: bool) -> None:
        await conn.execute(
            _UPSERT_SETTLED,
            settled.event_id,
            settled.tariff_id,
            settled.revision,
            settled.product,
            settled.outcome.value,
            list(settled.offer_ids),
            settled.reason,
            settled.settled_at,
            replace_uploaded,
        )

    async def settled(self, event_id: str) -> Settled | None:
        with translated(TRANSIENT, DRIVER):
            record = await self._pool.fetchrow(
                """SELECT event_id, tariff_id, revision, product, outcome, offer_ids, reason,
                settled_at FROM trace_bridge_settled WHERE event_id = $1""",
                event_id,
            )
        return None if record is None else _settled(record)

    async def record(self, settled: Settled) -> None:
        with translated(TRANSIENT, DRIVER):
            async with self._pool.acquire() as conn:
                await self._put_settled(conn, settled, False)

    async def forget_settled(self, older_than: datetime) -> int:
        with translated(TRANSIENT, DRIVER):
            status = await self._pool.execute(
                "DELETE FROM trace_bridge_settled WHERE settled_at < $1", as_utc(older_than)
            )
        return int(status.split()[-1])

    async def tariff_state(self, tariff_id: str) -> TariffState | None:
        with translated(TRANSIENT, DRIVER):
            record = await self._pool.fetchrow(_SELECT_TARIFF, tariff_id)
        state = None if record is None else _tariff(record)
        # A claim's INSERT leaves an empty row behind if its transaction wrote nothing else.
        return None if state == TariffState(tariff_id) else state

    async def lead_versions(self, lead_ids: Sequence[str]) -> dict[str, str]:
        with translated(TRANSIENT, DRIVER):
            records = await self._pool.fetch(
                "SELECT lead_id, version FROM trace_bridge_leads WHERE lead_id = ANY($1::text[])",
                list(lead_ids),
            )
        return {record["lead_id"]: record["version"] for record in records}

    async def mark_leads(self, marks: Sequence[LeadMark]) -> None:
        latest = {mark.lead_id: mark for mark in marks}.values()
        if not latest:
            return
        columns = ([m.lead_id for m in latest], [m.version for m in latest], [m.event_id for m in latest])
        with translated(TRANSIENT, DRIVER):
            await self._pool.execute(_MARK_LEADS, *columns)

    async def lead_count(self) -> int:
        with translated(TRANSIENT, DRIVER):
            count: int = await self._pool.fetchval("SELECT count(*) FROM trace_bridge_leads")
        return count

    async def get_cursor(self, name: str) -> str | None:
        with translated(TRANSIENT, DRIVER):
            value: str | None = await self._pool.fetchval(
                "SELECT value FROM trace_bridge_cursors WHERE name = $1", name
            )
        return value

    async def set_cursor(self, name: str, value: str) -> None:
        with translated(TRANSIENT, DRIVER):
            await self._pool.execute(
                """INSERT INTO trace_bridge_cursors (name, value, updated_at)
                VALUES ($1, $2, clock_timestamp()) ON CONFLICT (name)
                DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at""",
                name,
                value,
            )

    def poller_lease(self, name: str) -> PollerLease:
        """The advisory-lock lease for `name` in this schema (one object per name and store)."""
        if name not in self._leases:
            key = advisory_key(self._namespace, name)
            self._leases[name] = AdvisoryLease(
                self._connect_lease, key, name, check_timeout=LEASE_CHECK_TIMEOUT
            )
        return self._leases[name]

    async def _connect_lease(self) -> asyncpg.Connection[asyncpg.Record]:
        return await asyncpg.connect(
            self._url,
            timeout=CONNECT_TIMEOUT,
            command_timeout=COMMAND_TIMEOUT,
            server_settings=_settings(self._url, {**SESSION_SETTINGS, **LEASE_SESSION_SETTINGS}),
        )


async def _migrate(conn: Connection) -> str:
    """Apply pending migrations under a transaction-scoped advisory lock; returns the schema."""
    namespace: str | None = await conn.fetchval("SELECT current_schema()")
    if namespace is None:
        raise StateError("the state URL's search_path names no existing schema")
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", advisory_key(namespace, "schema"))
        await conn.execute(schema.POSTGRES_VERSION_DDL)
        current = await conn.fetchval("SELECT max(version) FROM trace_bridge_schema_version")
        for number, steps in schema.pending(current, schema.POSTGRES_MIGRATIONS):
            for step in steps:
                await conn.execute(step)
            await conn.execute("INSERT INTO trace_bridge_schema_version (version) VALUES ($1)", number)
            log.info("state.migrated", backend="postgresql", schema=namespace, version=number)
    return namespace
