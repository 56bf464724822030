"""Gather concurrent submissions into batches: up to `max_size` items or `linger` seconds.

Each submitter awaits its own result; the batch function returns one result per item,
in order. A failure of the whole batch is raised to every submitter of that batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

SendBatch = Callable[[Sequence[T]], Awaitable[Sequence[R]]]


class Batcher(Generic[T, R]):
    """Trades a few milliseconds of latency for far fewer upload requests."""

    def __init__(self, send: SendBatch[T, R], *, max_size: int, linger: float, concurrency: int) -> None:
        self._send = send
        self._max_size = max_size
        self._linger = linger
        self._slots = asyncio.Semaphore(concurrency)
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, item: T) -> R:
        """Queue `item` and wait for its own result (or its batch's exception)."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_retrieve)
        self._pending.append((item, future))
        if len(self._pending) >= self._max_size or self._linger == 0:
            self._flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._linger, self._flush)
        return await asyncio.shield(future)

    async def aclose(self) -> None:
        """Send what is pending and wait for every batch in flight."""
        self._flush()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._pending:
            batch, self._pending = self._pending[: self._max_size], self._pending[self._max_size :]
            task = asyncio.create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        futures = [future for _, future in batch]
        try:
            async with self._slots:
                results = await self._send([item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"batch of {len(batch)} returned {len(results)} results")
        except asyncio.CancelledError:
            for future in futures:
                future.cancel()
            raise
        except Exception as error:  # every submitter of this batch decides what to do with it
            for future in futures:
                if not future.done():
                    future.set_exception(error)
            return
        for future, result in zip(futures, results, strict=True):
            if not future.done():
                future.set_result(result)


def _retrieve(future: asyncio.Future[R]) -> None:
    """Mark the exception as seen even if the submitter was cancelled and went away."""
    if not future.cancelled():
        future.exception()
