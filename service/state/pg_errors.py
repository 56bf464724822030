"""Which asyncpg failures mean "PostgreSQL is unavailable right now" and which are bugs."""

from __future__ import annotations

import asyncpg

TRANSIENT: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.InsufficientResourcesError,
    asyncpg.OperatorInterventionError,
    asyncpg.TransactionRollbackError,
    asyncpg.LockNotAvailableError,
)
"""Connection loss, timeouts, server restarts or overload, deadlocks and lock timeouts."""

DRIVER: tuple[type[BaseException], ...] = (asyncpg.PostgresError, asyncpg.InternalClientError)
"""Everything else the driver raises: schema or SQL problems that retrying will not fix."""
