"""Writes that record what already happened outside, so a cancellation must not cut them short."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from service.logs import get_logger

log = get_logger(__name__)


async def finish_write(write: Coroutine[Any, Any, None], what: str) -> None:
    """Run `write` to its end even if the caller is cancelled meanwhile, then let that through.

    A store write that records a confirmed publish or a done upload stands for a fact that
    cannot be undone: cut short by a shutdown, it would make the next run do it again.
    """
    task = asyncio.ensure_future(write)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait({task})
        if not task.cancelled() and (error := task.exception()) is not None:
            log.warning("state.write_failed", what=what, error=str(error))
        raise
