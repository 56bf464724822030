"""The SQLite state store, the embedded default for a single replica."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial
from pathlib import Path

import aiosqlite
import orjson

from service.logs import get_logger
from service.state import schema
from service.state.base import LeadMark, Outcome, PollerLease, Settled, TariffState, as_utc, utc_now
from service.state.errors import StateUrlError, translated
from service.state.file_lease import FileLease
from service.state.ledger import TariffLedger, TariffTxn

log = get_logger(__name__)

BUSY_TIMEOUT_MS = 5000
WAL_RETRY_PAUSE = 0.01

_TRANSIENT = (sqlite3.OperationalError,)
"""Locked or busy database, full disk, I/O errors."""
_DRIVER = (sqlite3.Error,)
"""Everything else the driver raises: schema or SQL problems that retrying will not fix."""

_SELECT_TARIFF = """SELECT tariff_id, uploaded_revision, claimed_revision, lease_owner,
    lease_expires_at FROM trace_bridge_tariffs WHERE tariff_id = ?"""
_WRITE_TARIFF = """INSERT OR REPLACE INTO trace_bridge_tariffs (tariff_id, uploaded_revision,
    claimed_revision, lease_owner, lease_expires_at) VALUES (?, ?, ?, ?, ?)"""
_UPSERT_SETTLED = """INSERT INTO trace_bridge_settled
    (event_id, tariff_id, revision, product, outcome, offer_ids, reason, settled_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (event_id) DO UPDATE SET tariff_id = excluded.tariff_id,
        revision = excluded.revision, product = excluded.product, outcome = excluded.outcome,
        offer_ids = excluded.offer_ids, reason = excluded.reason, settled_at = excluded.settled_at
    WHERE ? OR trace_bridge_settled.outcome <> 'uploaded'"""
_UPSERT_LEAD = """INSERT INTO trace_bridge_leads (lead_id, version, event_id, marked_at)
    VALUES (?, ?, ?, ?) ON CONFLICT (lead_id) DO UPDATE SET version = excluded.version,
        event_id = excluded.event_id, marked_at = excluded.marked_at"""


def _text(moment: datetime) -> str:
    return as_utc(moment).isoformat(timespec="microseconds")


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _tariff(row: sqlite3.Row) -> TariffState:
    return TariffState(
        tariff_id=row["tariff_id"],
        uploaded_revision=row["uploaded_revision"],
        claimed_revision=row["claimed_revision"],
        lease_owner=row["lease_owner"],
        lease_expires_at=_time(row["lease_expires_at"]),
    )


def _settled(row: sqlite3.Row) -> Settled:
    return Settled(
        event_id=row["event_id"],
        tariff_id=row["tariff_id"],
        revision=row["revision"],
        product=row["product"],
        outcome=Outcome(row["outcome"]),
        offer_ids=tuple(orjson.loads(row["offer_ids"])),
        reason=row["reason"],
        settled_at=datetime.fromisoformat(row["settled_at"]),
    )


async def _enable_wal(db: aiosqlite.Connection) -> None:
    """Switch the file to WAL (a lasting property of the file).

    The switch needs the file to itself, and SQLite answers BUSY at once, ignoring the
    busy timeout, when other processes open the same new file at that moment; so retry
    for as long as the busy timeout would have waited.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            await db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(WAL_RETRY_PAUSE)


class SqliteStore(TariffLedger):
    """State in one SQLite file: no server to run, safe for one replica.

    One connection per store, with an asyncio lock serializing its transactions. Writes
    use `BEGIN IMMEDIATE`, which takes the file's write lock before reading, so a claim's
    read-decide-write cannot interleave with another process's; other processes on the
    same file wait up to the busy timeout. WAL keeps readers unblocked, and
    `synchronous=NORMAL` in WAL mode loses at most the last commits on power loss, never
    consistency. Lease times use this host's clock, the only clock involved.
    """

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self._db = db
        self._path = path
        self._lock = asyncio.Lock()
        self._leases: dict[str, FileLease] = {}

    def __repr__(self) -> str:
        return f"SqliteStore(path={str(self._path)!r})"

    @classmethod
    async def open(cls, path: Path) -> SqliteStore:
        """Open (creating if needed) the database file and bring its schema up to date."""
        if not await asyncio.to_thread(path.parent.is_dir):
            raise StateUrlError(f"directory of the SQLite state file does not exist: {path.parent}")
        with translated(_TRANSIENT, _DRIVER):
            db = await aiosqlite.connect(path, isolation_level=None)
        store = cls(db, path)
        try:
            with translated(_TRANSIENT, _DRIVER):
                db.row_factory = sqlite3.Row
                await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                await _enable_wal(db)
                await db.execute("PRAGMA synchronous = NORMAL")
            await store._migrate()
        except BaseException:
            await db.close()
            raise
        log.info("state.opened", backend="sqlite", path=str(path))
        return store

    async def _migrate(self) -> None:
        async with self._write() as db:
            await db.execute(schema.SQLITE_VERSION_DDL)
            rows = await db.execute_fetchall("SELECT max(version) FROM trace_bridge_schema_version")
            current = next(iter(rows))[0]
            for number, steps in schema.pending(current, schema.SQLITE_MIGRATIONS):
                for step in steps:
                    await db.execute(step)
                await db.execute(
                    "INSERT INTO trace_bridge_schema_version (version, applied_at) VALUES (?, ?)",
                    (number, _text(utc_now())),
                )
                log.info("state.migrated", backend="sqlite", path=str(self._path), version=number)

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            with translated(_TRANSIENT, _DRIVER):
                yield self._db

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One `BEGIN IMMEDIATE` transaction: committed on success, rolled back otherwise."""
        async with self._read() as db:
            try:
                await db.execute("BEGIN IMMEDIATE")
                yield db
            except BaseException:
                await db.rollback()  # also ends a BEGIN whose caller was cancelled
                raise
            await db.commit()

    async def _rows(self, sql: str, parameters: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        async with self._read() as db:
            return list(await db.execute_fetchall(sql, parameters))

    async def ping(self) -> None:
        await self._rows("SELECT 1")

    async def close(self) -> None:
        for lease in self._leases.values():
            await lease.release()
        async with self._lock:
            await self._db.close()

    @asynccontextmanager
    async def _tariff_txn(self, tariff_id: str) -> AsyncIterator[TariffTxn]:
        async with self._write() as db:
            rows = list(await db.execute_fetchall(_SELECT_TARIFF, (tariff_id,)))
            before = _tariff(rows[0]) if rows else TariffState(tariff_id)
            txn = TariffTxn(before, utc_now(), partial(self._put_settled, db))
            yield txn
            if txn.state != before:
                state = txn.state
                expires = None if state.lease_expires_at is None else _text(state.lease_expires_at)
                await db.execute(
                    _WRITE_TARIFF,
                    (
                        state.tariff_id,
                        state.uploaded_revision,
                        state.claimed_revision,
                        state.lease_owner,
                        expires,
                    ),
                )

    @staticmethod
    async def _put_settled(db: aiosqlite.Connection, settled: Settled, replace_uploaded: bool) -> None:
        await db.execute(
            _UPSERT_SETTLED,
            (
                settled.event_id,
                settled.tariff_id,
                settled.revision,
                settled.product,
                settled.outcome.value,
                orjson.dumps(list(settled.offer_ids)).decode(),
                settled.reason,
                _text(settled.settled_at),
                replace_uploaded,
            ),
        )

    async def settled(self, event_id: str) -> Settled | None:
        rows = await self._rows(
            """SELECT event_id, tariff_id, revision, product, outcome, offer_ids, reason, settled_at
            FROM trace_bridge_settled WHERE event_id = ?""",
            (event_id,),
        )
        return _settled(rows[0]) if rows else None

    async def record(self, settled: Settled) -> None:
        async with self._write() as db:
            await self._put_settled(db, settled, False)

    async def forget_settled(self, older_than: datetime) -> int:
        async with self._write() as db:
            cursor = await db.execute(
                "DELETE FROM trace_bridge_settled WHERE settled_at < ?", (_text(older_than),)
            )
            return cursor.rowcount

    async def tariff_state(self, tariff_id: str) -> TariffState | None:
        rows = await self._rows(_SELECT_TARIFF, (tariff_id,))
        return _tariff(rows[0]) if rows else None

    async def lead_versions(self, lead_ids: Sequence[str]) -> dict[str, str]:
        rows = await self._rows(
            """SELECT lead_id, version FROM trace_bridge_leads
            WHERE lead_id IN (SELECT value FROM json_each(?))""",
            (orjson.dumps(list(lead_ids)).decode(),),
        )
        return {row["lead_id"]: row["version"] for row in rows}

    async def mark_leads(self, marks: Sequence[LeadMark]) -> None:
        if not marks:
            return
        now = _text(utc_now())
        async with self._write() as db:
            await db.executemany(
                _UPSERT_LEAD, [(mark.lead_id, mark.version, mark.event_id, now) for mark in marks]
            )

    async def lead_count(self) -> int:
        rows = await self._rows("SELECT count(*) FROM trace_bridge_leads")
        count: int = rows[0][0]
        return count

    async def get_cursor(self, name: str) -> str | None:
        rows = await self._rows("SELECT value FROM trace_bridge_cursors WHERE name = ?", (name,))
        return str(rows[0]["value"]) if rows else None

    async def set_cursor(self, name: str, value: str) -> None:
        async with self._write() as db:
            await db.execute(
                """INSERT INTO trace_bridge_cursors (name, value, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET value = excluded.value,
                    updated_at = excluded.updated_at""",
                (name, value, _text(utc_now())),
            )

    def poller_lease(self, name: str) -> PollerLease:
        """The flock lease for `name` next to the database (one object per name and store)."""
        if name not in self._leases:
            self._leases[name] = FileLease(self._path.with_name(f"{self._path.name}.{name}.lock"))
        return self._leases[name]
