"""What to do with one lead of a CRM page, decided without I/O.

The poller remembers, per lead id, the version (`updatedAt`, else `createdAt`) it last
handled. Comparing that with what TRACE sends now is the whole change detection: no
diffing of lead bodies, and a repeated walk over the same leads publishes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from contracts import Lead

INVALID_PREFIX = "invalid:"


class Action(StrEnum):
    """The fate of one valid lead in one poll."""

    CREATE = "create"
    """Never handled before: publish `lead.created`."""
    UPDATE = "update"
    """Handled before in an older version: publish `lead.updated`."""
    SEE = "see"
    """Remember the version without publishing (backfill cut-off, updates switched off)."""
    SKIP = "skip"
    """This version (or a newer one) was handled already."""


@dataclass(frozen=True, slots=True)
class InvalidLead:
    """A CRM record that fits no `Lead`; it travels as TRACE sent it, with the reasons."""

    raw: bytes
    errors: list[ErrorDetails]

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def mark_id(self) -> str:
        """Its key in the lead store: the same record is reported once, a changed one again."""
        return f"{INVALID_PREFIX}{self.digest}"


def parse(item: dict[str, Any]) -> Lead | InvalidLead:
    """The lead in `item`, or the record and its validation errors if it is not one."""
    try:
        return Lead.model_validate(item)
    except ValidationError as error:
        details = error.errors(include_url=False, include_input=False, include_context=False)
        return InvalidLead(raw=orjson.dumps(item), errors=details)


def aware(moment: datetime) -> datetime:
    """`moment` with a zone; TRACE stamps without an offset are read as UTC (I)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def stamp(lead: Lead) -> datetime:
    """The instant of the lead's version: its last change, else its creation."""
    return aware(lead.updated_at or lead.created_at)


def _instant(version: str) -> datetime | None:
    try:
        return aware(datetime.fromisoformat(version))
    except ValueError:
        return None


def _handled(stored: str, current: str) -> bool:
    """Whether the stored version is the current one or newer (a stale read never goes back)."""
    if stored == current:
        return True
    stored_at, current_at = _instant(stored), _instant(current)
    return stored_at is not None and current_at is not None and current_at <= stored_at


def decide(lead: Lead, stored: str | None, *, cutoff: datetime | None, publish_updates: bool) -> Action:
    """CREATE/UPDATE/SEE/SKIP for `lead`, given the version last handled (`stored`).

    `cutoff` applies to leads never handled: those created before it are only remembered.
    """
    if stored is None:
        too_old = cutoff is not None and aware(lead.created_at) < cutoff
        return Action.SEE if too_old else Action.CREATE
    if _handled(stored, lead.version):
        return Action.SKIP
    return Action.UPDATE if publish_updates else Action.SEE
