"""Outcome events: tell other teams what became of each tariff-changed event.

Outcome ids derive from the source event id, so a re-announcement after a redelivery
carries the same id and consumers can drop it. Nobody listening is fine: an unroutable
outcome is counted and logged, never a reason to keep the tariff event unsettled.
"""

from __future__ import annotations

from typing import Any

from contracts import TariffRejected, TariffRejectedData, TariffUploaded, TariffUploadedData
from contracts.routing import routing_key
from service.amqp.errors import UnroutableError
from service.amqp.messages import event_message
from service.amqp.publisher import Publisher
from service.logs import get_logger
from service.state.base import Outcome, Settled
from service.tariffs.settings import TariffSettings

log = get_logger(__name__)

REJECT_REASONS = {
    Outcome.STALE: "stale",
    Outcome.REJECTED: "rejected_by_trace",
    Outcome.DEAD_LETTERED: "retries_exhausted",
}


def outcome_event(settled: Settled, source: str) -> TariffUploaded | TariffRejected:
    common: dict[str, Any] = {
        "tariff_id": settled.tariff_id,
        "revision": settled.revision,
        "product": settled.product,
        "source_event_id": settled.event_id,
    }
    if settled.outcome is Outcome.UPLOADED:
        return TariffUploaded.build(
            TariffUploadedData(**common, trace_offer_ids=list(settled.offer_ids)), source=source
        )
    data = TariffRejectedData(**common, reason=REJECT_REASONS[settled.outcome], message=settled.reason or "")
    return TariffRejected.build(data, source=source)


async def announce(publisher: Publisher, settings: TariffSettings, settled: Settled) -> None:
    """Publish the outcome with confirms; only a missing listener is tolerated."""
    event = outcome_event(settled, settings.source)
    key = routing_key(event)
    try:
        await publisher.publish(event_message(event), settings.exchange, key)
    except UnroutableError:
        log.debug("tariff.outcome_unroutable", routing_key=key)
