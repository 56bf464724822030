"""Stored offer versions: one per capacity tier and upload, never deleted (D).

The version key (SIM) is what TRACE calls "the same configuration": tariff type,
technology, country, every scalar configuration field and the tier bounds, but not the
name. Contract options only ever read the newest version of each key (D).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from service.sandbox.times import isoformat, utcnow
from service.sandbox.validation import ParsedOffer, Tier


def _number(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def version_key(offer: ParsedOffer, tier: Tier | None) -> str:
    """`tariffType|technology|countryCode|k=v;…|min-max` with config keys sorted."""
    fields = ";".join(f"{key}={_number(offer.configuration[key])}" for key in sorted(offer.configuration))
    band = f"{_number(tier.min)}-{_number(tier.max)}" if tier else "*"
    return f"{offer.tariff_type}|{offer.technology}|{offer.country_code}|{fields}|{band}"


@dataclass(frozen=True)
class StoredOffer:
    offer_id: str
    version_key: str
    created_at: datetime
    product: str
    path: str
    parsed: ParsedOffer
    tier: Tier | None

    def to_json(self) -> dict[str, Any]:
        """The inspection view; `offer` is the submitted offer JSON, verbatim."""
        return {
            "offerId": self.offer_id,
            "versionKey": self.version_key,
            "createdAt": isoformat(self.created_at, "microseconds"),
            "product": self.product,
            "path": self.path,
            "tariffType": self.parsed.tariff_type,
            "technology": self.parsed.technology,
            "countryCode": self.parsed.country_code,
            "name": self.parsed.name,
            "tier": _tier_json(self.tier),
            "offer": self.parsed.raw,
        }

    def option_json(self) -> dict[str, Any]:
        """One entry of a contract-options answer (SIM shape, other.md §1)."""
        return {
            "offerId": self.offer_id,
            "name": self.parsed.name,
            "tariffType": self.parsed.tariff_type,
            "technology": self.parsed.technology,
            "countryCode": self.parsed.country_code,
            "configuration": {**self.parsed.configuration, "capacityTier": _tier_json(self.tier)},
            "createdAt": isoformat(self.created_at, "microseconds"),
            "schedules": self.parsed.raw.get("priceMatrix", []),
        }


def _tier_json(tier: Tier | None) -> dict[str, float] | None:
    return {"min": tier.min, "max": tier.max} if tier else None


@dataclass(frozen=True)
class OptionsQuery:
    """A contract-options request; absent fields match anything."""

    tariff_type: int
    installed_capacity: float
    technology: str | None
    country_code: str | None
    configuration: dict[str, Any]

    def matches(self, offer: StoredOffer) -> bool:
        parsed = offer.parsed
        if parsed.tariff_type != self.tariff_type:
            return False
        if self.technology is not None and parsed.technology != self.technology:
            return False
        if self.country_code is not None and parsed.country_code != self.country_code:
            return False
        if any(parsed.configuration.get(k, _MISSING) != v for k, v in self.configuration.items()):
            return False
        return offer.tier is None or offer.tier.contains(self.installed_capacity)


_MISSING = object()


class OfferStore:
    """Append-only history of offer versions, safe to use from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._versions: list[StoredOffer] = []
        self._last = datetime.min.replace(tzinfo=UTC)

    def store(self, offers: Sequence[ParsedOffer], product: str, path: str) -> list[list[StoredOffer]]:
        """Store one version per tier of each offer; CreatedAt strictly increases."""
        stored: list[list[StoredOffer]] = []
        with self._lock:
            for offer in offers:
                versions = []
                for tier in offer.tiers or (None,):
                    self._last = max(utcnow(), self._last + timedelta(microseconds=1))
                    versions.append(
                        StoredOffer(
                            offer_id=str(uuid.uuid4()),
                            version_key=version_key(offer, tier),
                            created_at=self._last,
                            product=product,
                            path=path,
                            parsed=offer,
                            tier=tier,
                        )
                    )
                self._versions.extend(versions)
                stored.append(versions)
        return stored

    def all(self) -> list[StoredOffer]:
        with self._lock:
            return list(self._versions)

    def latest(self) -> list[StoredOffer]:
        """The newest version of every key, newest first."""
        newest: dict[str, StoredOffer] = {}
        for version in self.all():
            if (
                version.version_key not in newest
                or version.created_at > newest[version.version_key].created_at
            ):
                newest[version.version_key] = version
        return sorted(newest.values(), key=lambda v: v.created_at, reverse=True)

    def options(self, query: OptionsQuery) -> list[StoredOffer]:
        return [version for version in self.latest() if query.matches(version)]

    def reset(self) -> None:
        with self._lock:
            self._versions.clear()
