"""An independent statement of TRACE's upload format, to check the bridge's translation."""

from __future__ import annotations

from typing import Any

from contracts import TariffChanged

TARIFF_TYPES = {"direct_marketing": 3, "ppa_upstream": 5, "ppa_downstream": 6}
OPAQUE = {"prices", "fees", "other_price_components"}


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def _convert(value: Any) -> Any:
    if isinstance(value, dict):
        return {_camel(k): (v if k in OPAQUE else _convert(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_convert(item) for item in value]
    return value


def trace_offer(changed: TariffChanged) -> dict[str, Any]:
    """What TRACE must receive for this event: camelCase keys, tariffType, no `product`."""
    snake = changed.data.offer.model_dump(mode="json", exclude_none=True)
    product = snake.pop("product")
    document: dict[str, Any] = _convert(snake)
    document["tariffType"] = TARIFF_TYPES[product]
    return document
