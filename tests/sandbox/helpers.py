"""Builders and calls shared by the sandbox tests."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import httpx

from service.sandbox.config import AUDIENCE

BASE_TIME = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
DM_PATH = "/tariff-management/direct-marketing/upload"
PPA_PATH = "/tariff-management/ppa/upload"
OPTIONS_PATH = "/tariff-management/offers/schedules/contract-options"
LEADS_PATH = "/api/crm/leads/energy-tariff"
LOGIN_PATH = "/api/auth/m2m-login"
PRICES = {"energyPriceEurMwh": 52.4}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def credentials(client_id: str = "sandbox-client", secret: str = "sandbox-secret") -> dict[str, str]:
    return {"clientId": client_id, "clientSecret": secret, "audience": AUDIENCE}


def dm_offer(
    name: str = "Solar EEG Spot Relative", tiers: list[tuple[float, float]] | None = None
) -> dict[str, Any]:
    """A valid Direct Marketing offer (the documented example, with non-empty prices)."""
    configuration: dict[str, Any] = {
        "directMarketingType": "EEG",
        "enumerationType": "Spot",
        "serviceFeeType": "Relative",
    }
    if tiers is not None:
        configuration["capacityTiers"] = [{"min": low, "max": high} for low, high in tiers]
    return {
        "name": name,
        "tariffType": 3,
        "countryCode": "DE",
        "technology": "Solar",
        "configuration": configuration,
        "fees": {},
        "priceMatrix": [
            {"start": "2026M02", "tenor": "11M", "prices": dict(PRICES)},
            {"start": "2027", "tenor": "1Y", "prices": dict(PRICES)},
        ],
        "otherPriceComponents": {},
    }


def ppa_offer(
    name: str = "PPA Upstream Solar", tiers: list[tuple[float, float]] | None = None
) -> dict[str, Any]:
    """A valid PPA Upstream offer."""
    configuration: dict[str, Any] = {
        "ppaStructure": "PayAsProduced",
        "guaranteeOfOrigin": "Provider",
        "negativePrices": "Excluded",
        "hedgeSharePercent": 100,
    }
    if tiers is not None:
        configuration["capacityTiers"] = [{"min": low, "max": high} for low, high in tiers]
    return {
        "name": name,
        "tariffType": 5,
        "countryCode": "DE",
        "technology": "Solar",
        "configuration": configuration,
        "fees": {},
        "priceMatrix": [
            {"start": "2026Q1", "tenor": "1Q", "prices": dict(PRICES)},
            {"start": "2026", "tenor": "2Y", "prices": dict(PRICES)},
        ],
    }


def changed(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `document` with the dotted `path` set to `value` (`...` deletes it)."""
    result = copy.deepcopy(document)
    *parents, last = path.split(".")
    target: Any = result
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if value is ...:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return result


async def upload(
    http: httpx.AsyncClient, path: str, document: object, headers: dict[str, str], field: str = "file"
) -> httpx.Response:
    content = document if isinstance(document, bytes) else json.dumps(document).encode()
    files = {field: ("offers.json", content, "application/json")}
    return await http.post(path, files=files, headers=headers)
