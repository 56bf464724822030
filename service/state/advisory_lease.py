"""The poller lease of PostgreSQL deployments: a session-level advisory lock."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable

import asyncpg

from service.logs import get_logger
from service.state.errors import translated
from service.state.pg_errors import DRIVER, TRANSIENT

log = get_logger(__name__)

_FAILURES = TRANSIENT + DRIVER

Connect = Callable[[], Awaitable["asyncpg.Connection[asyncpg.Record]"]]


def advisory_key(namespace: str, name: str) -> int:
    """A stable signed 64-bit lock key: the same on every replica and Python version."""
    digest = hashlib.blake2b(f"trace-bridge/{namespace}/{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class AdvisoryLease:
    """Exclusive right to poll, held as `pg_try_advisory_lock(key)` on a dedicated connection.

    A session-level advisory lock lives exactly as long as its database session, so the
    server frees it when the holder releases it, exits, crashes, or stops answering the
    TCP keepalives enabled on this connection (a partitioned holder loses the lock after
    about 25 s, see `postgres.LEASE_SESSION_SETTINGS`). No timed lease, no clocks. The
    connection is not taken from the pool: pooled connections are shared, and the pool
    resets them with `pg_advisory_unlock_all()`. `held()` runs a cheap query with a
    timeout; the holder must call it more often than the keepalive window allows, so it
    stops polling before the server hands the lock to another replica.
    """

    def __init__(
        self,
        connect: Connect,
        key: int,
        name: str,
        *,
        check_timeout: float,
    ) -> None:
        self._connect = connect
        self._key = key
        self._name = name
        self._check_timeout = check_timeout
        self._conn: asyncpg.Connection[asyncpg.Record] | None = None
        self._holding = False
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"AdvisoryLease(name={self._name!r}, key={self._key}, held={self._holding})"

    async def try_acquire(self) -> bool:
        async with self._lock:
            if self._holding:
                return await self._alive()
            with translated(TRANSIENT, DRIVER):
                try:
                    if self._conn is None or self._conn.is_closed():
                        self._conn = await self._connect()
                    self._holding = bool(
                        await self._conn.fetchval(
                            "SELECT pg_try_advisory_lock($1)", self._key, timeout=self._check_timeout
                        )
                    )
                except BaseException:
                    self._drop()
                    raise
            if self._holding:
                log.info("state.poller_lease.acquired", mechanism="advisory_lock", lease=self._name)
            return self._holding

    async def held(self) -> bool:
        async with self._lock:
            return self._holding and await self._alive()

    async def release(self) -> None:
        async with self._lock:
            conn, was_holding = self._conn, self._holding
            self._conn, self._holding = None, False
            if conn is None:
                return
            try:
                await conn.close(timeout=self._check_timeout)
            except _FAILURES:
                conn.terminate()
            if was_holding:
                log.info("state.poller_lease.released", mechanism="advisory_lock", lease=self._name)

    async def _alive(self) -> bool:
        """Whether the session holding the lock still answers; drops it if not."""
        assert self._conn is not None
        try:
            await self._conn.fetchval("SELECT 1", timeout=self._check_timeout)
        except _FAILURES as error:
            self._drop()
            log.warning(
                "state.poller_lease.lost",
                mechanism="advisory_lock",
                lease=self._name,
                error=type(error).__name__,
            )
            return False
        return True

    def _drop(self) -> None:
        """Abort the session without waiting: the server then frees any lock it held."""
        if self._conn is not None:
            self._conn.terminate()
        self._conn, self._holding = None, False
