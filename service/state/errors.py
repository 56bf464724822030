"""Errors of the state store, independent of the database driver underneath.

Callers decide between "retry later" and "this is a bug" from the type alone:
`StateUnavailableError` means the store could not answer right now (network, locks,
restarts, timeouts) and the operation may be retried; any other `StateError` will not
go away by retrying. Driver exceptions are chained (`__cause__`) for debugging, but
messages never contain connection URLs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class StateError(Exception):
    """Base of every state-store failure; not worth retrying unless it is a subclass below."""


class StateUnavailableError(StateError):
    """The store did not answer in time or refused the operation for a transient reason.

    Nothing was committed by the failed call (each call is one transaction), so callers
    can treat it like a broker outage: back off, then try again.
    """


class StateUrlError(StateError, ValueError):
    """The state URL names no supported backend or no usable location."""


class SchemaVersionError(StateError):
    """The database holds a schema newer than this code understands (a newer release migrated it)."""


@contextmanager
def translated(
    transient: tuple[type[BaseException], ...], driver: tuple[type[BaseException], ...]
) -> Iterator[None]:
    """Re-raise driver exceptions as `StateUnavailableError` (transient) or `StateError`."""
    try:
        yield
    except StateError:
        raise
    except transient as error:
        raise StateUnavailableError(f"state store unavailable: {type(error).__name__}: {error}") from error
    except driver as error:
        raise StateError(f"state store failed: {type(error).__name__}: {error}") from error
