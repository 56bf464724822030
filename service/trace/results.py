"""Upload results: TRACE's envelope mapped back onto the offers we submitted.

TRACE answers with one `results` entry per STORED offer (D), and each capacity tier is
stored as its own offer (D), so with `upload_results_per_tier` (I) the entries are
consumed in submission order, as many per offer as it has tiers. When the counts do
not add up we refuse to guess: a wrong mapping would mark the wrong offer as settled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from service.trace.errors import UnexpectedResponseError


class _Entry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    offer_id: str | None = Field(default=None, alias="offerId")
    success: bool
    message: str = ""


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    success: bool
    results: list[_Entry]


@dataclass(frozen=True, slots=True)
class OfferOutcome:
    """What became of the offer at `index` of the submitted sequence (all of its tiers)."""

    index: int
    offer_ids: tuple[str, ...]
    success: bool
    messages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UploadResult:
    """One upload call: TRACE's overall flag plus one outcome per submitted offer."""

    success: bool
    offers: tuple[OfferOutcome, ...]


def tier_count(offer: Mapping[str, Any]) -> int:
    """How many stored offers TRACE makes of `offer`: one per capacity tier, at least one."""
    configuration = offer.get("configuration")
    tiers = configuration.get("capacityTiers") if isinstance(configuration, Mapping) else None
    return len(tiers) if isinstance(tiers, list) and tiers else 1


def map_results(
    endpoint: str, offers: Sequence[Mapping[str, Any]], body: Any, *, per_tier: bool
) -> UploadResult:
    """Split TRACE's `results` into per-offer outcomes, or raise `UnexpectedResponseError`."""
    try:
        envelope = _Envelope.model_validate(body)
    except ValidationError as error:
        raise UnexpectedResponseError(
            f"{endpoint}: upload response is not the documented envelope: {error.error_count()} problems",
            endpoint=endpoint,
            status=200,
        ) from None
    counts = [tier_count(offer) if per_tier else 1 for offer in offers]
    if sum(counts) != len(envelope.results):
        raise UnexpectedResponseError(
            f"{endpoint}: {len(envelope.results)} results for {len(offers)} offers "
            f"expecting {counts} per offer (per_tier={per_tier})",
            endpoint=endpoint,
            status=200,
        )
    outcomes = []
    start = 0
    for index, count in enumerate(counts):
        entries = envelope.results[start : start + count]
        start += count
        outcomes.append(
            OfferOutcome(
                index=index,
                offer_ids=tuple(entry.offer_id for entry in entries if entry.offer_id),
                success=all(entry.success for entry in entries),
                messages=tuple(entry.message for entry in entries if entry.message),
            )
        )
    return UploadResult(success=envelope.success, offers=tuple(outcomes))
