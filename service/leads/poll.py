"""One poll: walk the CRM page by page, publish what changed, remember it, move the watermark.

Only one page is in memory at a time. Each page costs one `lead_versions` read and one
`mark_leads` write, whatever its size. The walk asks TRACE only for leads changed since
shortly before the watermark, so a quiet CRM costs one request per poll; a backlog is
drained as fast as the client's shared rate limiter allows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import Any

from contracts import Lead
from service import metrics
from service.amqp.publisher import Publisher
from service.leads.cursor import Plan, advance, plan
from service.leads.decide import Action, InvalidLead, decide, parse, stamp
from service.leads.publish import PageSender
from service.leads.settings import LeadSettings
from service.leads.stats import PollStats
from service.state.base import StateStore
from service.state.uncancellable import finish_write
from service.trace.client import TraceClient


class PollAbortedError(Exception):
    """The poller lost its lease or is stopping; the next holder walks the rest."""


class LeadPoll:
    """A single walk; `stats` holds what it did so far, also after it failed.

    `keep_going` is asked before each page is processed: it answers False once the lease
    is lost or the service stops, and the walk ends without publishing that page.
    """

    def __init__(
        self,
        settings: LeadSettings,
        client: TraceClient,
        store: StateStore,
        publisher: Publisher,
        keep_going: Callable[[], Awaitable[bool]],
    ) -> None:
        self._settings = settings
        self._client = client
        self._store = store
        self._publisher = publisher
        self._keep_going = keep_going
        self.stats = PollStats()

    async def run(self) -> PollStats:
        """Walk to the last page; store the new watermark only if nothing was left behind."""
        walk = await plan(self._store, self._settings, datetime.now(UTC))
        self.stats.backfill = walk.backfill
        newest: datetime | None = None
        async for page in self._client.iter_leads(updated_from=walk.updated_from):
            if not await self._keep_going():
                raise PollAbortedError(f"stopped before page {page.number}")
            self.stats.pages += 1
            metrics.lead_pages.inc()
            newest = _later(newest, await self._page(page.items, walk))
        kept = walk.watermark
        self.stats.watermark = await advance(self._store, walk, newest) if self.stats.complete else kept
        return self.stats

    async def _page(self, items: Sequence[dict[str, Any]], walk: Plan) -> datetime | None:
        """Handle one page; returns the newest lead version on it."""
        self.stats.seen += len(items)
        metrics.leads_seen.inc(len(items))
        parsed = [parse(item) for item in items]
        leads = [item for item in parsed if isinstance(item, Lead)]
        invalid = [item for item in parsed if isinstance(item, InvalidLead)]
        stored = await self._store.lead_versions([lead.id for lead in leads] + [r.mark_id for r in invalid])
        sender = PageSender(self._publisher, self._settings, self.stats)
        jobs: list[Coroutine[Any, Any, None]] = []
        for lead in leads:
            action = decide(
                lead,
                stored.get(lead.id),
                cutoff=walk.cutoff,
                publish_updates=self._settings.publish_updates,
            )
            if action is Action.SKIP:
                self.stats.skipped += 1
            elif action is Action.SEE:
                sender.remember(lead)
            else:
                jobs.append(sender.event(lead, action))
        for record in invalid:
            if record.mark_id in stored:
                self.stats.skipped += 1
            else:
                jobs.append(sender.invalid(record))
        try:
            await asyncio.gather(*jobs)
        finally:
            if sender.marks:
                await finish_write(self._store.mark_leads(sender.marks), what="lead marks")
        sender.finish()
        return max((stamp(lead) for lead in leads), default=None)


def _later(first: datetime | None, second: datetime | None) -> datetime | None:
    if first is None or second is None:
        return first or second
    return max(first, second)
