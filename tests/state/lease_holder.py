"""Holds a poller lease in its own process until killed: `python -m tests.state.lease_holder URL NAME`.

Prints `held` (or `busy`) on stdout once it knows; logs go to stderr.
"""

from __future__ import annotations

import asyncio
import sys

from service.logs import configure
from service.state import open_store


async def hold(url: str, name: str) -> int:
    store = await open_store(url)
    if not await store.poller_lease(name).try_acquire():
        print("busy", flush=True)
        await store.close()
        return 1
    print("held", flush=True)
    await asyncio.Event().wait()
    return 0


if __name__ == "__main__":
    configure(stream=sys.stderr)
    sys.exit(asyncio.run(hold(sys.argv[1], sys.argv[2])))
