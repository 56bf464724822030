"""Uploads offers to TRACE in batches, one batcher per endpoint, and maps results back.

If TRACE rejects a whole batch (400), the batch is bisected until the offending offers
stand alone: only they are refused, the rest are uploaded.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from service import metrics
from service.logs import get_logger
from service.tariffs.batcher import Batcher
from service.tariffs.settings import TariffSettings
from service.tariffs.translate import AnyOffer, to_trace
from service.trace.client import TraceClient
from service.trace.errors import RejectedError
from service.trace.profile import TraceProfile
from service.trace.results import UploadResult

log = get_logger(__name__)

DIRECT_MARKETING = "direct_marketing"
PPA = "ppa"
UploadCall = Callable[[Sequence[Mapping[str, Any]]], Awaitable[UploadResult]]


def endpoint_of(offer: AnyOffer) -> str:
    return DIRECT_MARKETING if offer.product == DIRECT_MARKETING else PPA


@dataclass(frozen=True)
class Uploaded:
    """TRACE stored the offer: one id per capacity tier."""

    offer_ids: tuple[str, ...]


@dataclass(frozen=True)
class Refused:
    """TRACE refused this offer; retrying the same offer cannot succeed."""

    reason: str
    detail: str = ""


class Uploader:
    """Turns one `upload(offer)` per event into as few TRACE requests as the batch rules allow."""

    def __init__(self, client: TraceClient, profile: TraceProfile, settings: TariffSettings) -> None:
        self._profile = profile
        size = min(settings.batch_max_size, profile.upload_max_offers) if settings.batch_enabled else 1
        linger = settings.batch_linger if settings.batch_enabled else 0.0
        calls: dict[str, UploadCall] = {
            DIRECT_MARKETING: client.upload_direct_marketing,
            PPA: client.upload_ppa,
        }
        self._batchers = {
            endpoint: Batcher(
                self._sender(endpoint, call),
                max_size=size,
                linger=linger,
                concurrency=settings.upload_concurrency,
            )
            for endpoint, call in calls.items()
        }

    async def upload(self, offer: AnyOffer) -> Uploaded | Refused:
        """Upload one offer (batched with concurrent ones); raises `TraceError` if TRACE failed."""
        return await self._batchers[endpoint_of(offer)].submit(offer)

    async def aclose(self) -> None:
        for batcher in self._batchers.values():
            await batcher.aclose()

    def _sender(
        self, endpoint: str, call: UploadCall
    ) -> Callable[[Sequence[AnyOffer]], Awaitable[list[Uploaded | Refused]]]:
        async def send(offers: Sequence[AnyOffer]) -> list[Uploaded | Refused]:
            return await self._send(endpoint, call, offers)

        return send

    async def _send(
        self, endpoint: str, call: UploadCall, offers: Sequence[AnyOffer]
    ) -> list[Uploaded | Refused]:
        started = time.monotonic()
        metrics.upload_batch_size.labels(product=endpoint).observe(len(offers))
        try:
            result = await call([to_trace(offer, self._profile) for offer in offers])
        except RejectedError as error:
            if len(offers) == 1:
                return [Refused(str(error), error.body)]
            log.info("upload.bisect", endpoint=endpoint, offers=len(offers))
            middle = len(offers) // 2
            left = await self._send(endpoint, call, offers[:middle])
            return left + await self._send(endpoint, call, offers[middle:])
        finally:
            metrics.upload_duration.labels(product=endpoint).observe(time.monotonic() - started)
        return [
            Uploaded(outcome.offer_ids)
            if outcome.success
            else Refused("; ".join(outcome.messages) or "refused")
            for outcome in result.offers
        ]
