"""The CRM lead store: filters, ordering and paging of crm-leads.md §4.1 (SIM).

Leads are kept as plain JSON so tests can insert malformed ones verbatim; every accessor
here reads them defensively. The file index (attachment and offer-document ids) is kept
in step with every change so the download routes never scan all leads.
"""

from __future__ import annotations

import copy
import itertools
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from service.sandbox.data import LEAD_STATUSES
from service.sandbox.files import FileInfo
from service.sandbox.leadgen import Json, LeadFactory
from service.sandbox.times import isoformat, parse_iso

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
_URL_KEYS = frozenset({"originalDownloadUrl", "processedDownloadUrl", "url"})
_NON_DIGITS = re.compile(r"\D")


class QueryError(ValueError):
    """A malformed query parameter; the message names the parameter."""


def _get(obj: object, *keys: str) -> Any:
    for key in keys:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def _time(value: object) -> datetime | None:
    try:
        return parse_iso(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _phone_digits(text: str) -> str:
    digits = _NON_DIGITS.sub("", text)
    if digits.startswith("00"):
        return digits[2:]
    return f"49{digits[1:]}" if digits.startswith("0") else digits


def _int(params: dict[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise QueryError(f"{name} must be a positive integer")
    return int(raw)


@dataclass(frozen=True)
class LeadQuery:
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    company: str | None = None
    statuses: frozenset[str] = frozenset()
    created: tuple[datetime | None, datetime | None] = (None, None)
    updated: tuple[datetime | None, datetime | None] = (None, None)
    email: str | None = None
    phone: str | None = None
    contact_name: str | None = None

    @classmethod
    def parse(cls, items: Iterable[tuple[str, str]]) -> LeadQuery:
        """Read query parameters; unknown ones are ignored, empty ones count as absent."""
        pairs = [(key, value.strip()) for key, value in items if value.strip()]
        params = dict(pairs)
        statuses = {s.strip() for k, v in pairs if k == "status" for s in v.split(",") if s.strip()}
        if unknown := statuses - set(LEAD_STATUSES):
            raise QueryError(f"status must be one of {', '.join(LEAD_STATUSES)} (got {sorted(unknown)})")

        def moment(name: str) -> datetime | None:
            if name not in params:
                return None
            try:
                return parse_iso(params[name])
            except ValueError:
                raise QueryError(f"{name} must be ISO 8601") from None

        phone = params.get("phone")
        return cls(
            page=_int(params, "page", 1),
            page_size=min(MAX_PAGE_SIZE, _int(params, "pageSize", DEFAULT_PAGE_SIZE)),
            company=params.get("company"),
            statuses=frozenset(statuses),
            created=(moment("createdFrom"), moment("createdTo")),
            updated=(moment("updatedFrom"), moment("updatedTo")),
            email=params.get("email"),
            phone=_phone_digits(phone) if phone else None,
            contact_name=params.get("contactName"),
        )

    @property
    def filtered(self) -> bool:
        return any(
            (
                self.company,
                self.statuses,
                *self.created,
                *self.updated,
                self.email,
                self.phone,
                self.contact_name,
            )
        )

    def matches(self, entry: _Entry) -> bool:
        lead = entry.lead
        if (
            self.company
            and self.company.casefold() not in str(_get(lead, "company", "name") or "").casefold()
        ):
            return False
        if self.statuses and _get(lead, "status") not in self.statuses:
            return False
        if not (_within(entry.created, self.created) and _within(entry.updated, self.updated)):
            return False
        return self._contact_matches(_get(lead, "contact"))

    def _contact_matches(self, contact: object) -> bool:
        if self.email and self.email.casefold() != str(_get(contact, "email") or "").casefold():
            return False
        if self.phone and self.phone != _phone_digits(str(_get(contact, "phone") or "")):
            return False
        if self.contact_name:
            first, last = (str(_get(contact, key) or "") for key in ("firstName", "lastName"))
            return self.contact_name.casefold() in f"{first} {last}".casefold()
        return True


def _within(moment: datetime | None, bounds: tuple[datetime | None, datetime | None]) -> bool:
    start, end = bounds
    if start is None and end is None:
        return True
    if moment is None:
        return False
    return (start is None or moment >= start) and (end is None or moment < end)


@dataclass
class _Entry:
    key: str
    lead: Json
    created: datetime | None = field(init=False)
    updated: datetime | None = field(init=False)

    def __post_init__(self) -> None:
        self.created = _time(_get(self.lead, "createdAt"))
        self.updated = _time(_get(self.lead, "updatedAt"))

    def order(self) -> tuple[bool, float, str]:
        """createdAt descending, then id; leads without a date go last."""
        stamp = -self.created.timestamp() if self.created else 0.0
        return (self.created is None, stamp, str(_get(self.lead, "id") or ""))


def _merge(base: Json, changes: Json) -> Json:
    merged = dict(base)
    for key, value in changes.items():
        old = merged.get(key)
        merged[key] = _merge(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return merged


def _files(lead: Json) -> Iterable[tuple[str, FileInfo, bool]]:
    """(id, info, is_attachment) of every downloadable file of a lead."""
    for kind in ("solarAssets", "windAssets"):
        for asset in _get(lead, kind) or []:
            for item in _get(asset, "attachments") or []:
                if isinstance(_get(item, "id"), str):
                    profile = _get(item, "category") == "ProductionProfile"
                    meta = _get(item, "metadata") or _get(item, "metadataSuggestions")
                    info = FileInfo(
                        file_id=item["id"],
                        file_name=str(_get(item, "fileName") or item["id"]),
                        content_type=str(_get(item, "contentType") or "application/octet-stream"),
                        resolution=str(_get(meta, "resolution") or "PT1H") if profile else None,
                        processed=profile and _get(item, "processingStatus") == "Processed",
                    )
                    yield item["id"], info, True
    for document in _get(lead, "offerDocuments") or []:
        if isinstance(_get(document, "id"), str):
            name = str(_get(document, "fileName") or document["id"])
            yield document["id"], FileInfo(document["id"], name, "application/pdf"), False


def with_base_url(lead: object, base_url: str) -> Any:
    """A deep copy with root-relative download URLs made absolute against `base_url`."""
    if isinstance(lead, dict):
        return {
            key: f"{base_url}{value}"
            if key in _URL_KEYS and isinstance(value, str) and value.startswith("/")
            else with_base_url(value, base_url)
            for key, value in lead.items()
        }
    if isinstance(lead, list):
        return [with_base_url(item, base_url) for item in lead]
    return lead


class LeadStore:
    """All leads in memory, ordered on demand; safe to use from any thread."""

    def __init__(self, factory: LeadFactory, count: int) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._factory_lock = threading.Lock()
        self._keys = (f"raw-{n}" for n in itertools.count(1))
        self._entries: dict[str, _Entry] = {}
        self._files: dict[str, tuple[FileInfo, bool]] = {}
        self._lead_files: dict[str, list[str]] = {}
        self._sorted: list[_Entry] | None = None
        with self._lock:
            for lead in factory.seeded(count):
                self._put(lead)

    def _put(self, lead: Json, key: str | None = None) -> Json:
        lead_id = lead.get("id")
        if key is None:
            fresh = isinstance(lead_id, str) and lead_id not in self._entries
            key = lead_id if fresh and isinstance(lead_id, str) else next(self._keys)
        self._entries[key] = _Entry(key, lead)
        for file_id in self._lead_files.pop(key, []):
            self._files.pop(file_id, None)
        for file_id, info, is_attachment in _files(lead):
            self._files[file_id] = (info, is_attachment)
            self._lead_files.setdefault(key, []).append(file_id)
        self._sorted = None
        return lead

    def _ordered(self) -> list[_Entry]:
        if self._sorted is None:
            self._sorted = sorted(self._entries.values(), key=_Entry.order)
        return self._sorted

    def page(self, query: LeadQuery) -> tuple[list[Json], int]:
        """One page of matching leads and the total number of matches."""
        with self._lock:
            ordered = self._ordered()
            matching = (
                [e.lead for e in ordered if query.matches(e)] if query.filtered else [e.lead for e in ordered]
            )
        start = (query.page - 1) * query.page_size
        return matching[start : start + query.page_size], len(matching)

    def all(self) -> list[Json]:
        with self._lock:
            return [entry.lead for entry in self._ordered()]

    def add(self, count: int, now: datetime, template: Json | None = None) -> list[Json]:
        """`count` new generated leads created `now`, each with `template` merged on top.

        Generation runs outside the store lock, so readers never wait for it.
        """
        with self._factory_lock:
            leads = [_merge(self._factory.fresh(now), template or {}) for _ in range(count)]
        with self._lock:
            return [self._put(lead) for lead in leads]

    def insert_raw(self, lead: Json) -> Json:
        with self._lock:
            return self._put(copy.deepcopy(lead))

    def patch(self, lead_id: str, changes: Json, now: datetime) -> Json | None:
        """Merge `changes` into a lead and move its updatedAt strictly forward."""
        with self._lock:
            entry = self._entries.get(lead_id)
            if entry is None:
                return None
            floor = (entry.updated or now) + timedelta(milliseconds=1)
            stamp = isoformat(max(now, floor))
            return self._put({**_merge(entry.lead, changes), "updatedAt": stamp}, key=entry.key)

    def file(self, file_id: str, attachments_only: bool = False) -> FileInfo | None:
        with self._lock:
            found = self._files.get(file_id)
        if found is None or (attachments_only and not found[1]):
            return None
        return found[0]
