"""The poller lease of SQLite deployments: an exclusive `flock` on a file next to the database."""

from __future__ import annotations

import asyncio
import fcntl
import os
from pathlib import Path

from service.logs import get_logger
from service.state.errors import translated

log = get_logger(__name__)


def _lock(path: Path) -> int | None:
    """Open and flock `path` without waiting; the descriptor, or None if someone holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _close_orphan(locking: asyncio.Future[int | None]) -> None:
    """Free a lock whose caller was cancelled while the thread was taking it."""
    if not locking.cancelled() and locking.exception() is None:
        fd = locking.result()
        if fd is not None:
            os.close(fd)


async def _lock_in_thread(path: Path) -> int | None:
    locking = asyncio.ensure_future(asyncio.to_thread(_lock, path))
    try:
        return await asyncio.shield(locking)
    except asyncio.CancelledError:
        locking.add_done_callback(_close_orphan)
        raise


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


class FileLease:
    """Exclusive right to poll, held as `flock(LOCK_EX | LOCK_NB)` on `<db path>.<name>.lock`.

    SQLite already confines the bridge to one host, and there the kernel is the most
    reliable referee: the lock belongs to an open file description, so it is freed the
    moment the holder exits or is killed, and there is no timed lease to renew or to
    outlive a paused process. The file holds the holder's pid for operators and is never
    deleted (deleting it would let two processes lock two different files). `held()` also
    notices if someone deleted or replaced the file. Not valid on network file systems.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"FileLease(path={str(self._path)!r}, held={self._fd is not None})"

    async def try_acquire(self) -> bool:
        async with self._lock:
            if self._fd is not None:
                return await self._still_ours()
            with translated(transient=(), driver=(OSError,)):
                self._fd = await _lock_in_thread(self._path)
            if self._fd is not None:
                log.info("state.poller_lease.acquired", mechanism="flock", path=str(self._path))
            return self._fd is not None

    async def held(self) -> bool:
        async with self._lock:
            return self._fd is not None and await self._still_ours()

    async def release(self) -> None:
        async with self._lock:
            if self._fd is not None:
                self._close()
                log.info("state.poller_lease.released", mechanism="flock", path=str(self._path))

    async def _still_ours(self) -> bool:
        assert self._fd is not None
        if await asyncio.to_thread(_same_file, self._fd, self._path):
            return True
        self._close()
        log.warning("state.poller_lease.lost", mechanism="flock", path=str(self._path))
        return False

    def _close(self) -> None:
        assert self._fd is not None
        os.close(self._fd)
        self._fd = None
