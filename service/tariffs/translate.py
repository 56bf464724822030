"""Our snake_case offer contract → TRACE's camelCase upload format.

Field names follow TRACE's documented upload files; the one literal TRACE does not
document (Market Value) comes from the profile. Opaque objects (`prices`, `fees`,
`otherPriceComponents`) pass through unchanged.
"""

from __future__ import annotations

from typing import Any

from contracts.offers import CapacityTier, DirectMarketingOffer, PpaDownstreamOffer, PpaUpstreamOffer
from service.trace.profile import TraceProfile

AnyOffer = DirectMarketingOffer | PpaUpstreamOffer | PpaDownstreamOffer


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _tiers(tiers: list[CapacityTier] | None) -> dict[str, Any]:
    if not tiers:
        return {}
    return {"capacityTiers": [{"min": _number(tier.min), "max": _number(tier.max)} for tier in tiers]}


def _configuration(offer: AnyOffer, profile: TraceProfile) -> dict[str, Any]:
    if isinstance(offer, DirectMarketingOffer):
        config = offer.configuration
        enumeration = config.enumeration_type
        return {
            "directMarketingType": config.direct_marketing_type,
            "enumerationType": profile.market_value_literal if enumeration == "MarketValue" else enumeration,
            "serviceFeeType": config.service_fee_type,
            **_tiers(config.capacity_tiers),
        }
    ppa = offer.configuration
    return {
        "ppaStructure": ppa.ppa_structure,
        "guaranteeOfOrigin": ppa.guarantee_of_origin,
        "negativePrices": ppa.negative_prices,
        "hedgeSharePercent": _number(ppa.hedge_share_percent),
        **_tiers(ppa.capacity_tiers),
    }


def to_trace(offer: AnyOffer, profile: TraceProfile) -> dict[str, Any]:
    """The offer object of a TRACE upload file."""
    document: dict[str, Any] = {
        "name": offer.name,
        "tariffType": offer.tariff_type,
        "countryCode": offer.country_code,
        "technology": offer.technology,
        "configuration": _configuration(offer, profile),
        "priceMatrix": [
            {"start": entry.start, "tenor": entry.tenor, "prices": entry.prices}
            for entry in offer.price_matrix
        ],
    }
    if offer.fees is not None:
        document["fees"] = offer.fees
    if isinstance(offer, DirectMarketingOffer) and offer.other_price_components is not None:
        document["otherPriceComponents"] = offer.other_price_components
    return document
