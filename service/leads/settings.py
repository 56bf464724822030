"""Tuning of the lead poller."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from service.config import Section


class LeadSettings(Section):
    """How often and how far back the CRM is read, and where lead events go."""

    model_config = SettingsConfigDict(env_prefix="TRACE_BRIDGE_LEADS_")
    title: ClassVar[str] = "Lead poller"

    poll_interval: float = Field(default=60.0, gt=0, description="Seconds between polls.")
    backfill: Literal["all", "none"] | date = Field(
        default="none",
        description="First start: `all` leads, `none` (only new ones) or an ISO date (created since).",
    )
    exchange: str = Field(default="trace.leads", min_length=1, description="Topic exchange of lead events.")
    alternate_exchange: str | None = Field(
        default=None, description="Alternate exchange for unroutable lead events (none: retry later)."
    )
    invalid_queue: str = Field(
        default="trace-bridge.leads.invalid", min_length=1, description="Queue for leads that fit no model."
    )
    publish_updates: bool = Field(
        default=True, description="Publish `lead.updated` when `updatedAt` changes."
    )
    lookback: float = Field(
        default=300.0,
        ge=0,
        description="Overlap re-read before the watermark (clock skew, late writes), seconds.",
    )
    takeover_interval: float = Field(
        default=5.0, gt=0, description="How often a standby replica tries to take the poller lease, seconds."
    )
    source: str = Field(
        default="urn:trace-bridge", min_length=1, description="CloudEvents `source` of lead events."
    )
    publish_concurrency: int = Field(
        default=50, ge=1, le=1000, description="Lead events of one page awaiting broker confirms at once."
    )
