"""Upload file validation: every rule the TRACE docs state, plus the SIM rules for the gaps.

One table-driven checker serves both endpoints (a `Product` lists what differs), and it
collects every problem with its JSON path instead of stopping at the first, because a
client fixing a rejected file wants the whole list at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from service.sandbox.countries import ISO_3166_ALPHA2

START = re.compile(r"^\d{4}(M(0[1-9]|1[0-2])|Q[1-4])?$")
TENOR = re.compile(r"^[1-9]\d*[MQY]$")
SCALARS = (str, int, float, bool, type(None))


class InvalidFile(Exception):
    """The uploaded part is not UTF-8 JSON; the message is safe to return to the client."""


@dataclass(frozen=True)
class Product:
    """What one upload endpoint accepts."""

    name: str
    tariff_types: tuple[int, ...]
    technologies: tuple[str, ...]
    enums: Mapping[str, tuple[str, ...]]
    percents: tuple[str, ...] = ()
    objects: tuple[str, ...] = ("fees",)


DIRECT_MARKETING = Product(
    name="direct-marketing",
    tariff_types=(3,),
    technologies=("Solar", "Wind"),
    enums={
        "directMarketingType": ("EEG", "Other"),
        "enumerationType": ("Spot", "MarketValue"),
        "serviceFeeType": ("Relative", "Absolute"),
    },
    objects=("fees", "otherPriceComponents"),
)
PPA = Product(
    name="ppa",
    tariff_types=(5, 6),
    technologies=("Solar", "Wind", "Biomass"),
    enums={
        "ppaStructure": ("PayAsProduced", "PayAsForecasted"),
        "guaranteeOfOrigin": ("Provider",),
        "negativePrices": ("Included", "Excluded"),
    },
    percents=("hedgeSharePercent",),
)


@dataclass(frozen=True)
class Tier:
    """A capacity band, half-open: min <= capacity < max (SIM)."""

    min: float
    max: float

    def contains(self, capacity: float) -> bool:
        return self.min <= capacity < self.max

    def overlaps(self, other: Tier) -> bool:
        return self.min < other.max and other.min < self.max


@dataclass(frozen=True)
class ParsedOffer:
    """A valid offer, normalised for storage and versioning."""

    path: str
    raw: dict[str, Any]
    name: str
    tariff_type: int
    technology: str
    country_code: str
    configuration: dict[str, Any]
    tiers: tuple[Tier, ...]


def decode_file(data: bytes) -> object:
    """Parse the uploaded bytes as strict UTF-8 JSON (no NaN/Infinity)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidFile(f"file: not valid UTF-8 (byte {error.start})") from None

    def no_constants(name: str) -> object:
        raise ValueError(f"{name} is not valid JSON")

    try:
        return json.loads(text, parse_constant=no_constants)
    except ValueError as error:
        raise InvalidFile(f"file: invalid JSON ({error})") from None


def _shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else f"{text[:37]}..."


@dataclass
class _Checker:
    errors: list[str] = field(default_factory=list)

    def fail(self, path: str, problem: str) -> None:
        self.errors.append(f"{path}: {problem}")

    def string(self, obj: Mapping[str, Any], key: str, path: str) -> str | None:
        value = obj.get(key)
        if value is None:
            self.fail(path, "is required")
        elif not isinstance(value, str) or not value.strip():
            self.fail(path, f"must be a non-empty string (got {_shown(value)})")
        else:
            return value
        return None

    def choice(self, obj: Mapping[str, Any], key: str, path: str, allowed: tuple[str, ...]) -> None:
        value = self.string(obj, key, path)
        if value is not None and value not in allowed:
            self.fail(path, f"must be one of {', '.join(allowed)} (got {_shown(value)})")

    def number(self, value: object, path: str) -> float | None:
        if value is None:
            self.fail(path, "is required")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, f"must be a number (got {_shown(value)})")
        else:
            return value
        return None

    def array(self, value: object, path: str) -> list[Any] | None:
        if value is None:
            self.fail(path, "is required")
        elif not isinstance(value, list):
            self.fail(path, "must be an array")
        elif not value:
            self.fail(path, "must not be empty")
        else:
            return value
        return None


def parse_upload(document: object, product: Product) -> tuple[list[ParsedOffer], list[str]]:
    """The offers of an upload file, or the list of problems ("path: problem")."""
    check = _Checker()
    parsed = [
        offer
        for path, raw in _root(document, check)
        if (offer := _offer(raw, path, product, check)) is not None
    ]
    return (parsed, []) if not check.errors else ([], check.errors)


def _root(document: object, check: _Checker) -> list[tuple[str, object]]:
    if not isinstance(document, dict):
        check.fail("root", "must be a JSON object")
        return []
    if "offer" in document and "offers" in document:
        check.fail("root", "exactly one of offer or offers is allowed, not both")
        return []
    if "offer" in document:
        return [("offer", document["offer"])]
    if "offers" not in document:
        check.fail("root", "one of offer or offers is required")
        return []
    items = check.array(document["offers"], "offers") or []
    return [(f"offers[{index}]", item) for index, item in enumerate(items)]


def _offer(raw: object, path: str, product: Product, check: _Checker) -> ParsedOffer | None:
    if not isinstance(raw, dict):
        check.fail(path, "must be an object")
        return None
    before = len(check.errors)
    name = check.string(raw, "name", f"{path}.name")
    tariff_type = _tariff_type(raw.get("tariffType"), f"{path}.tariffType", product, check)
    country = check.string(raw, "countryCode", f"{path}.countryCode")
    if country is not None and country not in ISO_3166_ALPHA2:
        check.fail(f"{path}.countryCode", f"must be an ISO 3166-1 alpha-2 code (got {_shown(country)})")
    configuration = raw.get("configuration")
    tiers: tuple[Tier, ...] = ()
    if isinstance(configuration, dict):
        _configuration(configuration, f"{path}.configuration", product, check)
        tiers = _tiers(configuration, f"{path}.configuration.capacityTiers", check)
    else:
        check.fail(f"{path}.configuration", "is required" if configuration is None else "must be an object")
        configuration = {}
    technology = _technology(raw, configuration, path, product, check)
    _price_matrix(raw.get("priceMatrix"), f"{path}.priceMatrix", check)
    for key in product.objects:
        if key in raw and not isinstance(raw[key], dict):
            check.fail(f"{path}.{key}", "must be an object")
    if len(check.errors) > before or name is None or tariff_type is None or technology is None:
        return None
    scalars = {
        key: value
        for key, value in configuration.items()
        if isinstance(value, SCALARS) and key != "technology"
    }
    return ParsedOffer(path, raw, name, tariff_type, technology, str(country), scalars, tiers)


def _tariff_type(value: object, path: str, product: Product, check: _Checker) -> int | None:
    allowed = product.tariff_types
    if value is None:
        check.fail(path, "is required")
    elif isinstance(value, bool) or not isinstance(value, int):
        check.fail(path, f"must be an integer (got {_shown(value)})")
    elif value not in allowed:
        check.fail(path, f"must be {' or '.join(map(str, allowed))} on this endpoint (got {value})")
    else:
        return value
    return None


def _technology(
    raw: dict[str, Any], configuration: dict[str, Any], path: str, product: Product, check: _Checker
) -> str | None:
    where = [(f"{path}.technology", raw), (f"{path}.configuration.technology", configuration)]
    present = [(place, obj) for place, obj in where if "technology" in obj]
    if not present:
        check.fail(f"{path}.technology", "is required (at offer level or in configuration)")
        return None
    for place, obj in present:
        check.choice(obj, "technology", place, product.technologies)
    values = {obj["technology"] for _, obj in present if isinstance(obj["technology"], str)}
    if len(values) > 1:
        check.fail(f"{path}.configuration.technology", "contradicts the offer-level technology")
    return values.pop() if len(values) == 1 else None


def _configuration(configuration: dict[str, Any], path: str, product: Product, check: _Checker) -> None:
    for key, allowed in product.enums.items():
        check.choice(configuration, key, f"{path}.{key}", allowed)
    for key in product.percents:
        value = check.number(configuration.get(key), f"{path}.{key}")
        if value is not None and not 0 < value <= 100:
            check.fail(f"{path}.{key}", f"must be greater than 0 and at most 100 (got {value})")


def _tiers(configuration: dict[str, Any], path: str, check: _Checker) -> tuple[Tier, ...]:
    if "capacityTiers" not in configuration:
        return ()
    items = configuration["capacityTiers"]
    if not isinstance(items, list) or not items:
        check.fail(path, "must be a non-empty array (omit it for an untiered offer)")
        return ()
    valid: list[tuple[int, Tier]] = []
    for index, item in enumerate(items):
        tier = _tier(item, f"{path}[{index}]", check)
        if tier is None:
            continue
        for earlier, other in valid:
            if tier.overlaps(other):
                check.fail(f"{path}[{index}]", f"overlaps capacityTiers[{earlier}]")
        valid.append((index, tier))
    return tuple(tier for _, tier in valid)


def _tier(item: object, path: str, check: _Checker) -> Tier | None:
    if not isinstance(item, dict):
        check.fail(path, "must be an object with min and max")
        return None
    low = check.number(item.get("min"), f"{path}.min")
    high = check.number(item.get("max"), f"{path}.max")
    if low is None or high is None:
        return None
    if low < 0:
        check.fail(f"{path}.min", f"must be at least 0 (got {low})")
    if high <= low:
        check.fail(f"{path}.max", f"must be greater than min (got {high} <= {low})")
    return Tier(low, high) if 0 <= low < high else None


def _price_matrix(value: object, path: str, check: _Checker) -> None:
    seen: dict[tuple[str, str], int] = {}
    for index, entry in enumerate(check.array(value, path) or []):
        at = f"{path}[{index}]"
        if not isinstance(entry, dict):
            check.fail(at, "must be an object")
            continue
        start = check.string(entry, "start", f"{at}.start")
        if start is not None and not START.match(start):
            check.fail(f"{at}.start", f"must look like 2026, 2026M02 or 2026Q1 (got {_shown(start)})")
        tenor = check.string(entry, "tenor", f"{at}.tenor")
        if tenor is not None and not TENOR.match(tenor):
            check.fail(f"{at}.tenor", f"must look like 11M, 2Q or 1Y (got {_shown(tenor)})")
        prices = entry.get("prices")
        if not isinstance(prices, dict) or not prices:
            check.fail(f"{at}.prices", "is required" if prices is None else "must be a non-empty object")
        if start is not None and tenor is not None:
            first = seen.setdefault((start, tenor), index)
            if first != index:
                check.fail(at, f"duplicate start/tenor {start}/{tenor} (first at priceMatrix[{first}])")
