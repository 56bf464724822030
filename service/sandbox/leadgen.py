"""Deterministic CRM leads in the SIM schema of crm-leads.md §4.3.

Everything, ids included, comes from one seeded RNG, so the same seed and base time give
byte-identical leads: tests can hard-code expectations and a failing run can be replayed.
Download URLs are stored root-relative; the API prefixes the caller's base URL.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from service.sandbox import data
from service.sandbox.files import DOCUMENT_LIFETIME, FileSigner, document_bytes, profile_size
from service.sandbox.times import isoformat

Json = dict[str, Any]
YEAR = timedelta(days=365)
ATTACHMENTS_PATH = "/api/crm/leads/energy-tariff/attachments"


def _ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def download_path(attachment_id: str, variant: str) -> str:
    return f"{ATTACHMENTS_PATH}/{attachment_id}/download?variant={variant}"


class LeadFactory:
    """Makes leads from a seeded RNG; not thread-safe (the lead store serialises it)."""

    def __init__(self, seed: int, base_time: datetime, signer: FileSigner) -> None:
        self._rng = random.Random(seed)  # noqa: S311 - reproducible test data
        self._base = _ms(base_time)
        self._signer = signer

    def seeded(self, count: int) -> list[Json]:
        """`count` leads created during the year before the base time."""
        leads = []
        for _ in range(count):
            created = _ms(self._base - YEAR * self._rng.random())
            changed = self._rng.random() < 0.6
            updated = _ms(created + (self._base - created) * self._rng.random()) if changed else created
            leads.append(self._lead(created, updated, issued=self._base))
        return leads

    def fresh(self, now: datetime) -> Json:
        """A lead that has just arrived."""
        moment = _ms(now)
        return self._lead(moment, moment, issued=moment)

    def _id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _maybe(self, probability: float, value: Any) -> Any:
        return value if self._rng.random() < probability else None

    def _lead(self, created: datetime, updated: datetime, issued: datetime) -> Json:
        rng = self._rng
        lead_id = self._id()
        city = rng.choice(data.CITIES)
        company, domain = self._company(city)
        status = rng.choices(data.LEAD_STATUSES, data.LEAD_STATUS_WEIGHTS)[0]
        kinds = rng.choices((("Solar",), ("Wind",), ("Solar", "Wind")), (50, 35, 15))[0]
        solar = [self._solar(city, created) for _ in range(rng.randint(1, 2))] if "Solar" in kinds else []
        wind = [self._wind(city, created) for _ in range(rng.randint(1, 2))] if "Wind" in kinds else []
        capacity = {
            "Solar": sum(a["installedCapacityKwp"] for a in solar),
            "Wind": sum(a["installedCapacityKw"] for a in wind),
        }
        return {
            "id": lead_id,
            "createdAt": isoformat(created),
            "updatedAt": isoformat(updated),
            "status": status,
            "contact": self._contact(domain),
            "company": company,
            "tariffConfigurations": [
                self._tariff(kinds, capacity, created) for _ in range(rng.randint(1, 3))
            ],
            "solarAssets": solar,
            "windAssets": wind,
            "offerDocuments": self._offer_documents(status, issued, created),
        }

    def _contact(self, domain: str) -> Json:
        rng = self._rng
        female = rng.random() < 0.45
        first = rng.choice(data.FEMALE_FIRST_NAMES if female else data.MALE_FIRST_NAMES)
        last = rng.choice(data.LAST_NAMES)
        area = rng.choice(data.CITIES).area_code
        return {
            "salutation": self._maybe(0.9, "Frau" if female else "Herr"),
            "firstName": first,
            "lastName": last,
            "email": f"{first}.{last}@{domain}".translate(data.UMLAUTS).lower(),
            "phone": self._maybe(0.85, f"+49 {area} {rng.randint(100000, 99999999)}"),
            "position": self._maybe(0.8, rng.choice(data.POSITIONS)),
        }

    def _company(self, city: data.City) -> tuple[Json, str]:
        rng = self._rng
        pattern, forms = rng.choice(list(data.COMPANY_PATTERNS.items()))
        base = pattern.format(city=city.name, last=rng.choice(data.LAST_NAMES))
        legal_form = rng.choice(forms)
        slug = "".join(c if c.isalnum() else "-" for c in base.translate(data.UMLAUTS).lower())
        company = {
            "name": f"{base} {legal_form}",
            "legalForm": legal_form,
            "vatId": self._maybe(0.9, f"DE{rng.randint(100000000, 999999999)}"),
            "address": {
                "street": rng.choice(data.STREETS),
                "houseNumber": f"{rng.randint(1, 180)}{self._maybe(0.1, 'a') or ''}",
                "postalCode": city.postal_code,
                "city": city.name,
                "countryCode": "DE",
            },
        }
        return company, f"{'-'.join(filter(None, slug.split('-')))}.de"

    def _location(self, home: data.City) -> Json:
        rng = self._rng
        city = home if rng.random() < 0.6 else rng.choice(data.CITIES)
        return {
            "postalCode": city.postal_code,
            "city": city.name,
            "latitude": round(city.latitude + rng.uniform(-0.05, 0.05), 4),
            "longitude": round(city.longitude + rng.uniform(-0.05, 0.05), 4),
        }

    def _commissioned(self, created: datetime) -> str:
        day = created - timedelta(days=self._rng.randint(365, 20 * 365))
        return day.date().isoformat()

    def _solar(self, home: data.City, created: datetime) -> Json:
        rng = self._rng
        kwp = round(rng.choice((rng.uniform(30, 750), rng.uniform(750, 20000))), 1)
        attachments = self._attachments(created)
        return {
            "id": self._id(),
            "name": rng.choice(data.SOLAR_ASSET_PATTERNS).format(
                city=home.name, last=rng.choice(data.LAST_NAMES), n=rng.randint(1, 9)
            ),
            "installedCapacityKwp": kwp,
            "commissioningDate": self._commissioned(created),
            "eegEligible": rng.random() < 0.7,
            "location": self._location(home),
            "orientation": self._maybe(0.8, rng.choice(data.ORIENTATIONS)),
            "tiltDegrees": self._maybe(0.8, rng.randint(10, 35)),
            "productionProfiles": self._profiles(attachments, kwp * rng.uniform(0.85, 1.05)),
            "attachments": attachments,
        }

    def _wind(self, home: data.City, created: datetime) -> Json:
        rng = self._rng
        turbine = rng.choice(data.TURBINES)
        count = rng.randint(1, 12)
        capacity = turbine.rated_kw * count
        attachments = self._attachments(created)
        return {
            "id": self._id(),
            "name": rng.choice(data.WIND_ASSET_PATTERNS).format(city=home.name, n=rng.randint(1, 9)),
            "installedCapacityKw": capacity,
            "turbineCount": count,
            "turbineModel": self._maybe(0.9, turbine.model),
            "hubHeightM": self._maybe(0.85, rng.choice(turbine.hub_heights_m)),
            "commissioningDate": self._commissioned(created),
            "eegEligible": rng.random() < 0.8,
            "location": self._location(home),
            "productionProfiles": self._profiles(attachments, capacity * rng.uniform(1.8, 2.8)),
            "attachments": attachments,
        }

    def _profiles(self, attachments: list[Json], yield_mwh: float) -> list[Json]:
        return [
            {
                "id": self._id(),
                "attachmentId": a["id"],
                "annualYieldMwh": self._maybe(0.9, round(yield_mwh, 1)),
            }
            for a in attachments
            if a["category"] == "ProductionProfile"
        ]

    def _attachments(self, created: datetime) -> list[Json]:
        rng = self._rng
        items = [self._profile(created) for _ in range(rng.choices((0, 1, 2), (15, 70, 15))[0])]
        for _ in range(rng.randint(0, 2)):
            items.append(self._document(rng.choice(list(data.DOCUMENT_FILE_NAMES)), created))
        return items

    def _profile(self, created: datetime) -> Json:
        rng = self._rng
        year = created.year - 1
        status = rng.choices(("Processed", "Pending", "Processing", "Failed"), (60, 15, 10, 15))[0]
        metadata = {
            "timezone": "Europe/Berlin",
            "unit": rng.choices(("kWh", "kW", "MWh", "MW"), (50, 30, 10, 10))[0],
            "coverage": {
                "from": f"{year}-01-01T00:00:00+01:00",
                "to": f"{year + 1}-01-01T00:00:00+01:00",
                "completenessPercent": round(rng.uniform(90, 100), 1),
            },
            "resolution": rng.choice(("PT15M", "PT1H")),
        }
        suggestion = {**metadata, "unit": rng.choice(("kWh", "kW"))} if rng.random() < 0.2 else metadata
        attachment_id = self._id()
        return {
            "id": attachment_id,
            "fileName": rng.choice(data.PROFILE_FILE_NAMES).format(year=year),
            "contentType": "text/csv",
            "sizeBytes": profile_size(str(metadata["resolution"])),
            "category": "ProductionProfile",
            "processingStatus": status,
            "metadata": metadata if status == "Processed" else None,
            "metadataSuggestions": None if status == "Pending" else dict(suggestion),
            "originalDownloadUrl": download_path(attachment_id, "original"),
            "processedDownloadUrl": download_path(attachment_id, "processed")
            if status == "Processed"
            else None,
        }

    def _document(self, category: str, created: datetime) -> Json:
        attachment_id = self._id()
        name = self._rng.choice(data.DOCUMENT_FILE_NAMES[category]).format(year=created.year - 1)
        return {
            "id": attachment_id,
            "fileName": name,
            "contentType": "application/pdf",
            "sizeBytes": len(document_bytes(attachment_id)),
            "category": category,
            "processingStatus": "Processed",
            "metadata": None,
            "metadataSuggestions": None,
            "originalDownloadUrl": download_path(attachment_id, "original"),
            "processedDownloadUrl": None,
        }

    def _tariff(self, kinds: tuple[str, ...], capacity: dict[str, float], created: datetime) -> Json:
        rng = self._rng
        kind = rng.choices(("DirectMarketing", "PpaUpstream", "PpaDownstream"), (50, 35, 15))[0]
        technology = rng.choice(kinds) if kind == "DirectMarketing" or rng.random() >= 0.1 else "Biomass"
        year = created.year + 1
        if kind == "DirectMarketing":
            terms, start, tenor = self._dm_terms(year)
        else:
            terms, start, tenor = self._ppa_terms(year, downstream=kind == "PpaDownstream")
        return {
            "id": self._id(),
            "type": kind,
            "tariffType": {"DirectMarketing": 3, "PpaUpstream": 5, "PpaDownstream": 6}[kind],
            "technology": technology,
            **terms,
            "installedCapacityKw": round(capacity.get(technology) or rng.uniform(500, 5000), 1),
            "desiredStart": start,
            "desiredTenor": tenor,
        }

    def _dm_terms(self, year: int) -> tuple[Json, str, str]:
        rng = self._rng
        month = rng.randint(1, 12)  # monthly contracts run to the year's end, like 2026M02 + 11M
        start, tenor = rng.choice(
            ((f"{year}M{month:02d}", f"{13 - month}M"), (str(year), f"{rng.randint(1, 3)}Y"))
        )
        terms = {
            "directMarketingType": rng.choices(("EEG", "Other"), (70, 30))[0],
            "enumerationType": rng.choice(("Spot", "MarketValue")),
            "serviceFeeType": rng.choice(("Relative", "Absolute")),
        }
        return terms, start, tenor

    def _ppa_terms(self, year: int, downstream: bool) -> tuple[Json, str, str]:
        rng = self._rng
        quarterly = (f"{year}Q{rng.randint(1, 4)}", f"{rng.randint(1, 4)}Q")
        start, tenor = rng.choice((quarterly, (str(year), f"{rng.randint(1, 6)}Y")))
        terms: Json = {
            "ppaStructure": rng.choice(("PayAsProduced", "PayAsForecasted")),
            "guaranteeOfOrigin": "Provider",
            "negativePrices": rng.choice(("Included", "Excluded")),
            "hedgeSharePercent": rng.choice((50, 75, 80, 100)),
        }
        if downstream:
            terms["annualConsumptionMwh"] = round(rng.uniform(500, 50000), 1)
        return terms, start, tenor

    def _offer_documents(self, status: str, issued: datetime, created: datetime) -> list[Json]:
        weights = {
            "OfferSent": (0, 70, 30),
            "Won": (0, 60, 40),
            "Lost": (0, 80, 20),
            "InProgress": (60, 40, 0),
        }
        count = self._rng.choices((0, 1, 2), weights.get(status, (100, 0, 0)))[0]
        signed = issued.replace(microsecond=0)
        documents = []
        for index in range(count):
            doc_id = self._id()
            documents.append(
                {
                    "id": doc_id,
                    "fileName": f"Angebot_{created.year + 1}_{index + 1}.pdf",
                    "url": self._signer.path(doc_id, "original", signed, DOCUMENT_LIFETIME),
                    "expiresAt": isoformat(signed + timedelta(seconds=DOCUMENT_LIFETIME)),
                }
            )
        return documents
