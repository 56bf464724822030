"""Energy-tariff leads from TRACE's CRM, as published in lead events.

TRACE documents only the concepts of a lead, not its schema (crm-leads.md §4.3 is the
simulator's guess), so these models are deliberately forgiving: they read TRACE's camelCase
and our snake_case, keep every field they do not know under its original key, accept any
value in enum-like fields, and require nothing but the lead's `id` and `created_at`. A lead
TRACE sends must never be dropped because its schema grew.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AliasGenerator, BaseModel, ConfigDict, Discriminator, Field, Tag
from pydantic.alias_generators import to_camel

from contracts._types import NonEmptyStr, Numeric

Number = Annotated[float, Numeric(strict=False)]
"""A number as TRACE sent it; integers stay integers."""


class LeadModel(BaseModel):
    """Base of every lead model: parse camelCase or snake_case, dump snake_case, keep extras."""

    model_config = ConfigDict(
        extra="allow",
        frozen=True,
        alias_generator=AliasGenerator(validation_alias=to_camel),
        validate_by_name=True,
        validate_by_alias=True,
    )


class Contact(LeadModel):
    """The person who submitted the lead."""

    salutation: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    position: str | None = None


class Address(LeadModel):
    """Postal address of the enquiring company."""

    street: str | None = None
    house_number: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country_code: str | None = None


class Company(LeadModel):
    """The company behind the lead; offers are addressed to it."""

    name: str | None = None
    legal_form: str | None = None
    vat_id: str | None = None
    address: Address | None = None


class _TariffConfiguration(LeadModel):
    id: str | None = None
    type: str | None = Field(
        default=None, description="Kind of configuration: DirectMarketing, PpaUpstream, …"
    )
    tariff_type: int | None = Field(
        default=None, description="TRACE tariff type code: 3 DM, 5 PPA upstream, 6 downstream."
    )
    technology: str | None = Field(default=None, description="Known: Solar, Wind, Biomass.")
    installed_capacity_kw: Number | None = None
    desired_start: str | None = Field(default=None, description="Period, e.g. `2026M02`.")
    desired_tenor: str | None = Field(default=None, description="Duration, e.g. `11M`.")


class DirectMarketingTariffConfiguration(_TariffConfiguration):
    """The lead asks for a Direct Marketing offer."""

    type: Literal["DirectMarketing"]
    direct_marketing_type: str | None = Field(default=None, description="Known: EEG, Other.")
    enumeration_type: str | None = Field(default=None, description="Known: Spot, MarketValue.")
    service_fee_type: str | None = Field(default=None, description="Known: Relative, Absolute.")


class _PpaTariffConfiguration(_TariffConfiguration):
    ppa_structure: str | None = Field(default=None, description="Known: PayAsProduced, PayAsForecasted.")
    guarantee_of_origin: str | None = Field(default=None, description="Known: Provider.")
    negative_prices: str | None = Field(default=None, description="Known: Included, Excluded.")
    hedge_share_percent: Number | None = None


class PpaUpstreamTariffConfiguration(_PpaTariffConfiguration):
    """The lead asks for a PPA to sell power."""

    type: Literal["PpaUpstream"]


class PpaDownstreamTariffConfiguration(_PpaTariffConfiguration):
    """The lead asks for a PPA to buy power."""

    type: Literal["PpaDownstream"]
    annual_consumption_mwh: Number | None = None


_KNOWN_CONFIGURATIONS = ("DirectMarketing", "PpaUpstream", "PpaDownstream")


class UnknownTariffConfiguration(_TariffConfiguration):
    """A tariff configuration of a kind trace-bridge does not know yet; all fields are kept.

    Consumers should skip it rather than fail: TRACE's union may have more members than the
    three documented ones.
    """

    type: str | None = Field(default=None, json_schema_extra={"not": {"enum": list(_KNOWN_CONFIGURATIONS)}})


def _configuration_tag(value: Any) -> str:
    if isinstance(value, UnknownTariffConfiguration):
        return "unknown"
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if kind in _KNOWN_CONFIGURATIONS else "unknown"


TariffConfiguration = Annotated[
    Annotated[DirectMarketingTariffConfiguration, Tag("DirectMarketing")]
    | Annotated[PpaUpstreamTariffConfiguration, Tag("PpaUpstream")]
    | Annotated[PpaDownstreamTariffConfiguration, Tag("PpaDownstream")]
    | Annotated[UnknownTariffConfiguration, Tag("unknown")],
    Discriminator(_configuration_tag),
]
"""What the lead asks for, switched on `type`; unknown kinds parse as the last variant."""


class Coverage(LeadModel):
    """Time span a production profile covers, and how complete it is (percent)."""

    from_: datetime | None = Field(default=None, alias="from")
    to: datetime | None = None
    completeness_percent: Number | None = None


class AttachmentMetadata(LeadModel):
    """What is needed to read a time series file: zone, unit, span and step."""

    timezone: str | None = Field(default=None, description="IANA name, e.g. `Europe/Berlin`.")
    unit: str | None = Field(default=None, description="Known: kW, kWh, MW, MWh.")
    coverage: Coverage | None = None
    resolution: str | None = Field(default=None, description="ISO 8601 duration, e.g. `PT15M`.")


class Attachment(LeadModel):
    """A file the lead uploaded: production profile, certificate, data sheet, …"""

    id: str | None = None
    file_name: str | None = None
    content_type: str | None = None
    size_bytes: int | None = None
    category: str | None = Field(
        default=None,
        description="Known: ProductionProfile, Certificate, TechnicalSpecification, Other.",
    )
    processing_status: str | None = Field(
        default=None, description="Known: Pending, Processing, Processed, Failed."
    )
    metadata: AttachmentMetadata | None = None
    metadata_suggestions: AttachmentMetadata | None = Field(
        default=None, description="Metadata TRACE detected automatically."
    )
    original_download_url: str | None = Field(
        default=None, description="TRACE proxy URL of the uploaded file (needs a TRACE token)."
    )
    processed_download_url: str | None = Field(
        default=None, description="TRACE proxy URL of the processed file; null until processed."
    )


class ProductionProfile(LeadModel):
    """Measured or expected output of an asset, stored as an attachment."""

    id: str | None = None
    attachment_id: str | None = Field(default=None, description="The attachment with the data.")
    annual_yield_mwh: Number | None = None


class Location(LeadModel):
    """Where an asset stands; decides grid area and weather-based forecasts."""

    postal_code: str | None = None
    city: str | None = None
    latitude: Number | None = None
    longitude: Number | None = None


class _Asset(LeadModel):
    id: str | None = None
    name: str | None = None
    commissioning_date: date | None = None
    eeg_eligible: bool | None = None
    location: Location | None = None
    production_profiles: list[ProductionProfile] | None = None
    attachments: list[Attachment] | None = None


class SolarAsset(_Asset):
    """A photovoltaic plant the lead operates or plans."""

    installed_capacity_kwp: Number | None = None
    orientation: str | None = None
    tilt_degrees: Number | None = None


class WindAsset(_Asset):
    """A wind farm the lead operates or plans."""

    installed_capacity_kw: Number | None = None
    turbine_count: int | None = None
    turbine_model: str | None = None
    hub_height_m: Number | None = None


class OfferDocument(LeadModel):
    """An offer document TRACE generated for the lead."""

    id: str | None = None
    file_name: str | None = None
    url: str | None = Field(
        default=None,
        description=(
            "Presigned S3 URL, valid only for minutes (see `expires_at`). Use it immediately "
            "and never store it; re-fetch the lead from TRACE for a fresh one."
        ),
    )
    expires_at: datetime | None = None


class Lead(LeadModel):
    """An energy-tariff enquiry, with what the enquirer owns and what they ask for."""

    id: NonEmptyStr
    created_at: datetime
    updated_at: datetime | None = None
    status: str | None = Field(
        default=None, description="Known: New, InProgress, OfferSent, Won, Lost, Archived."
    )
    contact: Contact | None = None
    company: Company | None = None
    tariff_configurations: list[TariffConfiguration] | None = None
    solar_assets: list[SolarAsset] | None = None
    wind_assets: list[WindAsset] | None = None
    offer_documents: list[OfferDocument] | None = None

    @property
    def version(self) -> str:
        """The lead's change stamp: `updated_at`, else `created_at`, as ISO 8601 in UTC.

        Normalised to UTC so that one instant written with different offsets is one version.
        """
        stamp = self.updated_at or self.created_at
        return (stamp.astimezone(UTC) if stamp.tzinfo else stamp).isoformat()
