"""Varied, valid tariff-changed events for the pipeline tests."""

from __future__ import annotations

import itertools
import random
from typing import Any

import aio_pika
import orjson

from contracts import CONTENT_TYPE, TariffChanged
from contracts.offers import Product

PRODUCTS: tuple[Product, ...] = ("direct_marketing", "ppa_upstream", "ppa_downstream")
SOURCE = "urn:test:pricing"


def _tiers(rng: random.Random) -> list[dict[str, Any]] | None:
    if rng.random() < 0.3:
        return None
    bounds = sorted(rng.sample(range(0, 20000, 50), rng.randint(2, 4)))
    return [{"min": low, "max": high} for low, high in itertools.pairwise(bounds)]


def _matrix(rng: random.Random, quarterly: bool) -> list[dict[str, Any]]:
    starts = ["2027", "2028", "2026M03"] + (["2026Q2", "2027Q1"] if quarterly else [])
    tenors = {"20": ["1Y", "2Y", "3Y"], "Q": ["1Q", "2Q"], "M": ["10M", "11M"]}
    entries = []
    for start in rng.sample(starts, rng.randint(1, len(starts))):
        kind = "Q" if "Q" in start else "M" if "M" in start else "20"
        for tenor in rng.sample(tenors[kind], rng.randint(1, len(tenors[kind]))):
            entries.append(
                {"start": start, "tenor": tenor, "prices": {"price": round(rng.uniform(20, 120), 2)}}
            )
    return entries


def offer(index: int, product: Product, *, name: str | None = None) -> dict[str, Any]:
    rng = random.Random(index)
    common: dict[str, Any] = {
        "product": product,
        "name": name or f"Offer {index} {product}",
        "country_code": rng.choice(["DE", "AT", "NL", "FR"]),
        "fees": {"setupFee": rng.randint(0, 500)},
        "price_matrix": _matrix(rng, quarterly=product != "direct_marketing"),
    }
    tiers = _tiers(rng)
    if product == "direct_marketing":
        configuration: dict[str, Any] = {
            "direct_marketing_type": rng.choice(["EEG", "Other"]),
            "enumeration_type": rng.choice(["Spot", "MarketValue"]),
            "service_fee_type": rng.choice(["Relative", "Absolute"]),
        }
        common["technology"] = rng.choice(["Solar", "Wind"])
        common["other_price_components"] = {"balancingCost": round(rng.uniform(0, 2), 2)}
    else:
        configuration = {
            "ppa_structure": rng.choice(["PayAsProduced", "PayAsForecasted"]),
            "guarantee_of_origin": "Provider",
            "negative_prices": rng.choice(["Included", "Excluded"]),
            "hedge_share_percent": rng.choice([50, 75, 100, 62.5]),
        }
        common["technology"] = rng.choice(["Solar", "Wind", "Biomass"])
    if tiers:
        configuration["capacity_tiers"] = tiers
    common["configuration"] = configuration
    return common


def event(
    index: int,
    product: Product | None = None,
    *,
    tariff_id: str | None = None,
    revision: int = 1,
    name: str | None = None,
) -> TariffChanged:
    chosen: Product = product or PRODUCTS[index % len(PRODUCTS)]
    data = {
        "tariff_id": tariff_id or f"tariff-{index}",
        "revision": revision,
        "offer": offer(index, chosen, name=name),
    }
    return TariffChanged.model_validate(
        {
            "specversion": "1.0",
            "id": f"evt-{index}-{revision}-{tariff_id or ''}",
            "source": SOURCE,
            "type": "trace.tariff.changed.v1",
            "time": "2026-11-27T10:00:00Z",
            "subject": data["tariff_id"],
            "data": data,
        }
    )


def message(changed: TariffChanged) -> aio_pika.Message:
    return aio_pika.Message(
        changed.to_json(),
        content_type=CONTENT_TYPE,
        message_id=changed.id,
        type=changed.type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )


def routing_key(changed: TariffChanged) -> str:
    return f"tariff.changed.{changed.data.offer.product}"


def mutated(index: int, path: str, value: object, product: Product = "direct_marketing") -> bytes:
    """A valid event with the field at dotted `path` replaced (`None` deletes it)."""
    root: dict[str, Any] = orjson.loads(event(index, product).to_json())
    *parents, leaf = path.split(".")
    node: Any = root
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is None:
        del node[leaf]
    else:
        node[leaf] = value
    return orjson.dumps(root)
