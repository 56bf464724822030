"""Publishing one page: lead events and invalid records, confirmed, concurrently but bounded.

A lead is remembered (`LeadMark`) only once the broker confirmed its event. A returned
(unroutable) or refused message is counted and left unmarked, so the next poll sends it
again; a lost connection stops the page, since every further publish would fail as well.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

import aio_pika
import orjson

from contracts import Lead, LeadCreated, LeadUpdated
from contracts.routing import APP_ID, routing_key
from service import __version__, metrics
from service.amqp.errors import BrokerUnavailableError, PublishNackedError, UnroutableError
from service.amqp.messages import VERSION_HEADER, event_message
from service.amqp.publisher import Publisher
from service.leads.decide import Action, InvalidLead, stamp
from service.leads.settings import LeadSettings
from service.leads.stats import PollStats
from service.logs import get_logger
from service.state.base import LeadMark

log = get_logger(__name__)

REASON_HEADER = "trace-bridge-reason"
DETAIL_HEADER = "trace-bridge-detail"
NO_EVENT = ""
"""`LeadMark.event_id` of a version remembered without publishing it."""


def lead_event(lead: Lead, action: Action, source: str) -> LeadCreated | LeadUpdated:
    """The event announcing this lead version.

    `time` is the lead's own change stamp, not the publish time, so a re-sent event (after a
    crash, or by another replica) is byte for byte the event sent before.
    """
    kind = LeadCreated if action is Action.CREATE else LeadUpdated
    return kind.build(lead, source=source, time=stamp(lead))


def first_reason(record: InvalidLead) -> str:
    """The first validation error on one line, e.g. `id: Field required`."""
    if not record.errors:
        return "does not fit the lead model"
    error = record.errors[0]
    where = ".".join(str(part) for part in error["loc"]) or "(record)"
    return f"{where}: {error['msg']}".replace("\n", " ")


def invalid_message(record: InvalidLead) -> aio_pika.Message:
    """The record as TRACE sent it, with why it was refused in the headers."""
    return aio_pika.Message(
        body=record.raw,
        content_type="application/json",
        message_id=record.mark_id,
        timestamp=datetime.now(UTC),
        app_id=APP_ID,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        headers={
            VERSION_HEADER: __version__,
            REASON_HEADER: first_reason(record),
            DETAIL_HEADER: orjson.dumps(record.errors).decode(),
        },
    )


def remembered(lead: Lead) -> LeadMark:
    """The mark of a lead version handled without an event."""
    return LeadMark(lead_id=lead.id, version=lead.version, event_id=NO_EVENT)


class PageSender:
    """Sends the events of one page with at most `publish_concurrency` confirms pending.

    Collects the marks to store for the page in `marks`; the poll writes them in one call
    after the page, also when the page was cut short, so no confirmed event is forgotten.
    """

    def __init__(self, publisher: Publisher, settings: LeadSettings, stats: PollStats) -> None:
        self._publisher = publisher
        self._settings = settings
        self._stats = stats
        self._slots = asyncio.Semaphore(settings.publish_concurrency)
        self.marks: list[LeadMark] = []
        self.broker_error: BrokerUnavailableError | None = None
        self.unroutable: Counter[str] = Counter()

    def remember(self, lead: Lead) -> None:
        self.marks.append(remembered(lead))
        self._stats.remembered += 1

    async def event(self, lead: Lead, action: Action) -> None:
        event = lead_event(lead, action, self._settings.source)
        key = routing_key(event)
        if not await self._send(event_message(event), self._settings.exchange, key):
            return
        self.marks.append(LeadMark(lead_id=lead.id, version=lead.version, event_id=event.id))
        metrics.lead_lag.observe(max((datetime.now(UTC) - stamp(lead)).total_seconds(), 0.0))
        if action is Action.CREATE:
            self._stats.created += 1
            metrics.leads_published.inc()
        else:
            self._stats.updated += 1
            metrics.leads_updated.inc()
        log.debug("leads.published", lead_id=lead.id, event_id=event.id, routing_key=key)

    async def invalid(self, record: InvalidLead) -> None:
        queue = self._settings.invalid_queue
        if not await self._send(invalid_message(record), "", queue):
            return
        self.marks.append(LeadMark(lead_id=record.mark_id, version=record.digest, event_id=record.mark_id))
        self._stats.invalid += 1
        metrics.leads_invalid.inc()
        log.warning("leads.invalid", record=record.mark_id, reason=first_reason(record), queue=queue)

    async def _send(self, message: aio_pika.Message, exchange: str, key: str) -> bool:
        async with self._slots:
            if self.broker_error is not None:
                self._stats.failed += 1
                return False
            try:
                await self._publisher.publish(message, exchange, key)
            except UnroutableError:
                self._stats.unroutable += 1
                self.unroutable[key] += 1
                metrics.leads_unroutable.inc()
                return False
            except PublishNackedError as error:
                self._stats.failed += 1
                log.warning("leads.publish_refused", message_id=message.message_id, error=str(error))
                return False
            except BrokerUnavailableError as error:
                self._stats.failed += 1
                self.broker_error = error
                return False
        return True

    def finish(self) -> None:
        """Report the page's unroutable events; raise if the broker went away meanwhile."""
        if self.unroutable:
            log.warning(
                "leads.unroutable",
                exchange=self._settings.exchange,
                routing_keys=dict(self.unroutable),
                count=sum(self.unroutable.values()),
            )
        if self.broker_error is not None:
            raise self.broker_error
