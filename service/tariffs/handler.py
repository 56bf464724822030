"""Settle one delivery: every tariff event ends uploaded, stale, retried later or dead-lettered.

parse → validate → idempotency → ordering → upload → record → announce → ack. Nothing
here acks a message before its outcome is durable (state written, copies confirmed by
the broker), so a crash at any point means a redelivery, never a loss.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from aio_pika.abc import AbstractIncomingMessage

from contracts import TariffChanged
from service import metrics
from service.amqp.publisher import Publisher
from service.logs import get_logger
from service.state.base import Claim, ClaimStatus, Outcome, Settled, StateStore
from service.state.errors import StateError
from service.state.uncancellable import finish_write
from service.tariffs import letters
from service.tariffs.announce import announce
from service.tariffs.breaker import BreakerState, CircuitBreaker, HoldExpiredError, Permit
from service.tariffs.decode import decode
from service.tariffs.failures import ErrorKind, PermanentFailure, TransientFailure
from service.tariffs.letters import History
from service.tariffs.ordering import TariffGate
from service.tariffs.settings import TariffSettings, delay_label
from service.tariffs.uploader import Refused, Uploader
from service.trace.errors import TraceError

log = get_logger(__name__)


@dataclass
class TariffHandler:
    """Holds the collaborators every delivery needs; `handle` is safe to run concurrently."""

    settings: TariffSettings
    store: StateStore
    gate: TariffGate
    uploader: Uploader
    breaker: CircuitBreaker

    async def handle(self, message: AbstractIncomingMessage, publisher: Publisher) -> None:
        """Settle `message` and ack it; exceptions mean "not settled" (it will be redelivered)."""
        metrics.events_received.inc()
        history = History.of(message)
        started = time.monotonic()
        try:
            event = decode(message, self.settings.max_body_bytes)
        except PermanentFailure as failure:
            with structlog.contextvars.bound_contextvars(
                event_id=message.message_id, attempt=history.attempts + 1
            ):
                await self._dead_letter(message, history, failure, publisher)
            await message.ack()
            return
        data = event.data
        with structlog.contextvars.bound_contextvars(
            event_id=event.id, tariff_id=data.tariff_id, revision=data.revision, attempt=history.attempts + 1
        ):
            await self._settle(message, history, event, publisher)
            await message.ack()
            log.debug("tariff.acked", duration_ms=round((time.monotonic() - started) * 1000, 1))

    async def _settle(
        self, message: AbstractIncomingMessage, history: History, event: TariffChanged, publisher: Publisher
    ) -> None:
        try:
            earlier = await self.store.settled(event.id)
            if earlier is not None and not (
                letters.REPLAYED in (message.headers or {}) and _replayable(earlier)
            ):
                metrics.events_duplicate.inc()
                log.info("tariff.duplicate", outcome=earlier.outcome.value)
                await announce(publisher, self.settings, earlier)
                return
            settled: Settled | None = await self._process(event)
        except PermanentFailure as failure:
            settled = await self._dead_letter(message, history, failure, publisher, event)
        except (TransientFailure, TraceError, StateError, HoldExpiredError) as error:
            settled = await self._retry_or_give_up(message, history, event, error, publisher)
        if settled is not None:
            await announce(publisher, self.settings, settled)

    async def _process(self, event: TariffChanged) -> Settled:
        """Upload, holding the event (not retrying it) for as long as the breaker is open."""
        deadline = time.monotonic() + self.settings.breaker_max_hold
        while True:
            permit = await self.breaker.acquire(deadline - time.monotonic())
            try:
                return await self._attempt(event, permit)
            except TraceError:
                if self.breaker.state is BreakerState.CLOSED:
                    raise
                log.info("tariff.held", reason="TRACE upload circuit breaker is open")

    async def _attempt(self, event: TariffChanged, permit: Permit) -> Settled:
        # The breaker comes first: a tariff claim must not sit out a TRACE outage, or its
        # lease could lapse while this handler still means to upload.
        data, decided = event.data, False
        try:
            async with self.gate.claim(data.tariff_id, data.revision) as claim:
                if claim.status is ClaimStatus.STALE:
                    return await self._stale(event, claim)
                decided = True
                return await self._upload(event, permit)
        finally:
            if not decided:
                await self.breaker.release(permit)

    async def _stale(self, event: TariffChanged, claim: Claim) -> Settled:
        data = event.data
        newer = max(claim.claimed_revision or 0, claim.uploaded_revision or 0)
        settled = _settled(event, Outcome.STALE, reason=f"revision {data.revision} is older than {newer}")
        await self.store.record(settled)
        metrics.events_stale.labels(product=data.offer.product).inc()
        log.info("tariff.stale", newer_revision=newer)
        return settled

    async def _upload(self, event: TariffChanged, permit: Permit) -> Settled:
        data, owner = event.data, self.gate.owner
        try:
            result = await self.uploader.upload(data.offer)
        except TraceError:
            await self.breaker.failure(permit)
            await self.store.release(data.tariff_id, data.revision, owner, upload_may_have_happened=True)
            raise
        except asyncio.CancelledError:
            await self.breaker.release(permit)
            await finish_write(
                self.store.release(data.tariff_id, data.revision, owner, upload_may_have_happened=True),
                what="claim release",
            )
            raise
        await self.breaker.success(permit)
        if isinstance(result, Refused):
            await self.store.release(data.tariff_id, data.revision, owner, upload_may_have_happened=False)
            raise PermanentFailure(ErrorKind.REJECTED_BY_TRACE, result.reason, result.detail)
        settled = _settled(event, Outcome.UPLOADED, offer_ids=result.offer_ids)
        await finish_write(self.store.finish_upload(owner, settled), what="upload record")
        metrics.events_uploaded.labels(product=data.offer.product).inc()
        log.info("tariff.uploaded", offer_ids=list(result.offer_ids))
        return settled

    async def _retry_or_give_up(
        self,
        message: AbstractIncomingMessage,
        history: History,
        event: TariffChanged,
        error: Exception,
        publisher: Publisher,
    ) -> Settled | None:
        tier = history.attempts
        reason = str(error)
        too_old = history.age(datetime.now(UTC)) > self.settings.max_age
        if tier >= len(self.settings.retry_delays) or too_old:
            why = "maximum age reached" if too_old else f"{tier + 1} attempts failed"
            failure = PermanentFailure(ErrorKind.RETRIES_EXHAUSTED, f"{why}; last error: {reason}")
            return await self._dead_letter(message, history, failure, publisher, event)
        queue = self.settings.retry_queue(tier)
        await publisher.publish(letters.retry_letter(message, history, reason), "", queue)
        label = delay_label(self.settings.retry_delays[tier])
        metrics.events_retried.labels(tier=label).inc()
        log.warning("tariff.retry_scheduled", tier=label, error=letters.one_line(reason))
        return None

    async def _dead_letter(
        self,
        message: AbstractIncomingMessage,
        history: History,
        failure: PermanentFailure,
        publisher: Publisher,
        event: TariffChanged | None = None,
    ) -> Settled | None:
        letter = letters.dead_letter(message, history, failure.kind, failure.reason, failure.detail)
        await publisher.publish(letter, self.settings.dead_letter_exchange, message.routing_key or "")
        metrics.events_dead_lettered.labels(error_kind=failure.kind.value).inc()
        log.warning(
            "tariff.dead_lettered", error_kind=failure.kind.value, reason=letters.one_line(failure.reason)
        )
        if event is None:
            return None
        outcome = Outcome.REJECTED if failure.kind is ErrorKind.REJECTED_BY_TRACE else Outcome.DEAD_LETTERED
        if outcome is Outcome.REJECTED:
            metrics.events_rejected.labels(product=event.data.offer.product).inc()
        settled = _settled(event, outcome, reason=letters.one_line(failure.reason))
        await self.store.record(settled)
        return settled


def _replayable(settled: Settled) -> bool:
    """An operator's replay re-processes events that ended in the DLQ."""
    return settled.outcome in (Outcome.REJECTED, Outcome.DEAD_LETTERED)


def _settled(
    event: TariffChanged, outcome: Outcome, *, offer_ids: tuple[str, ...] = (), reason: str | None = None
) -> Settled:
    data = event.data
    return Settled(
        event_id=event.id,
        tariff_id=data.tariff_id,
        revision=data.revision,
        product=data.offer.product,
        outcome=outcome,
        offer_ids=offer_ids,
        reason=reason,
    )
