"""Every assumption about TRACE that its documentation does not settle, in one place.

Each field is tagged like `../shared/trace-api/`: I (inferred), U (unknown) or SIM (what
the bundled sandbox does). Defaults match the sandbox. When real documentation or
traffic shows otherwise, a deployment corrects it with a `TRACE_BRIDGE_API_*` variable;
no other code has to change. D (documented) facts are constants in the client.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from service.config import Section


class ResetUnit(StrEnum):
    """How `X-RateLimit-Reset` is expressed (U)."""

    EPOCH_SECONDS = "epoch_seconds"
    SECONDS_REMAINING = "seconds_remaining"
    AUTO = "auto"


class TraceProfile(Section):
    """Undocumented TRACE details, configurable so they can be corrected without code changes."""

    model_config = SettingsConfigDict(env_prefix="TRACE_BRIDGE_API_")
    title: ClassVar[str] = "TRACE assumptions (I/U/SIM)"

    # Upload API
    upload_path_prefix: str = Field(
        default="",
        description="U: prefix before `/tariff-management/…` upload paths (`` or `/api`).",
    )
    upload_file_field: str = Field(
        default="file", min_length=1, description="U: multipart form field carrying the JSON file."
    )
    upload_file_name: str = Field(
        default="offers.json", min_length=1, description="U: file name sent with the JSON part."
    )
    upload_file_content_type: str = Field(
        default="application/json", description="U: content type of the JSON part."
    )
    upload_results_per_tier: bool = Field(
        default=True,
        description="I: `results` holds one entry per capacity tier, in submission order.",
    )
    upload_max_offers: int = Field(
        default=50, ge=1, description="U: most offers sent in one upload file (batch ceiling)."
    )
    market_value_literal: str = Field(
        default="MarketValue",
        min_length=1,
        description="I: JSON literal of the Market Value enumeration type.",
    )

    # CRM leads API
    leads_page_param: str = Field(default="page", description="SIM: query parameter of the page number.")
    leads_page_size_param: str = Field(
        default="pageSize", description="SIM: query parameter of the page size."
    )
    leads_first_page: int = Field(default=1, ge=0, description="SIM: number of the first page.")
    leads_updated_from_param: str = Field(
        default="updatedFrom", description="SIM: filter on the last change (ISO 8601, inclusive)."
    )
    leads_created_from_param: str = Field(
        default="createdFrom", description="SIM: filter on creation time (ISO 8601, inclusive)."
    )
    leads_items_key: str = Field(default="data", description="SIM: envelope key holding the leads.")
    leads_pagination_key: str = Field(
        default="pagination", description="SIM: envelope key of paging metadata."
    )
    leads_has_next_key: str = Field(
        default="hasNextPage", description="SIM: paging flag telling a next page exists."
    )
    rate_limit_reset_unit: ResetUnit = Field(
        default=ResetUnit.AUTO,
        description="U: unit of `X-RateLimit-Reset`; `auto` reads large numbers as epoch seconds.",
    )
