"""Tariff offers as publishers describe them: TRACE's upload formats, in snake_case.

Every field of TRACE's Direct Marketing and PPA offer files has a counterpart here; the
bridge translates to TRACE's camelCase at upload time. The rules that TRACE leaves
undocumented (tier overlap, period grammar) follow the project's simulator profile, so an
offer that passes here is one the bridge can actually upload.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from contracts._countries import COUNTRY_CODES
from contracts._types import JsonObject, NonEmptyStr, Numeric, StrictModel

Product = Literal["direct_marketing", "ppa_upstream", "ppa_downstream"]


def _known_country(code: str) -> str:
    if code not in COUNTRY_CODES:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return code


CountryCode = Annotated[
    str,
    Field(
        pattern="^[A-Z]{2}$",
        description="ISO 3166-1 alpha-2 country code, upper case (e.g. `DE`).",
        json_schema_extra={"enum": sorted(COUNTRY_CODES)},
    ),
    AfterValidator(_known_country),
]


class CapacityTier(StrictModel):
    """One capacity band; TRACE stores each band of an offer as a separate offer."""

    min: Annotated[float, Numeric(ge=0), Field(description="Lower bound in kW (inclusive).")]
    max: Annotated[float, Numeric(gt=0), Field(description="Upper bound in kW (exclusive).")]

    @model_validator(mode="after")
    def _min_below_max(self) -> Self:
        if self.min >= self.max:
            raise ValueError(f"min ({self.min}) must be less than max ({self.max})")
        return self


def _disjoint(tiers: list[CapacityTier]) -> list[CapacityTier]:
    for later, tier in enumerate(tiers):
        for earlier, other in enumerate(tiers[:later]):
            if tier.min < other.max and other.min < tier.max:
                raise ValueError(f"capacity_tiers[{later}] overlaps capacity_tiers[{earlier}]")
    return tiers


CapacityTiers = Annotated[
    list[CapacityTier],
    Field(
        min_length=1,
        description=(
            "Optional capacity bands, half-open intervals [min, max) in kW that must not "
            "overlap. Omit the list for one offer covering every capacity."
        ),
    ),
    AfterValidator(_disjoint),
]


class PriceEntry(StrictModel):
    """The prices of one contract: a start period and a duration (tenor)."""

    start: Annotated[
        str,
        Field(
            pattern="^[0-9]{4}(M(0[1-9]|1[0-2])|Q[1-4])?$",
            description="First delivery period: year `2027`, month `2026M02` or quarter `2026Q1`.",
        ),
    ]
    tenor: Annotated[
        str,
        Field(
            pattern="^[1-9][0-9]*[MQY]$",
            description="Contract length from `start`: months `11M`, quarters `2Q`, years `3Y`.",
        ),
    ]
    prices: Annotated[
        JsonObject,
        Field(
            min_length=1,
            description="TRACE price object, passed through unchanged (its shape is undocumented).",
        ),
    ]


def _unique_periods(entries: list[PriceEntry]) -> list[PriceEntry]:
    first_seen: dict[tuple[str, str], int] = {}
    for index, entry in enumerate(entries):
        earlier = first_seen.setdefault((entry.start, entry.tenor), index)
        if earlier != index:
            raise ValueError(
                f"price_matrix[{index}] repeats start {entry.start!r} and tenor "
                f"{entry.tenor!r} of price_matrix[{earlier}]"
            )
    return entries


PriceMatrix = Annotated[
    list[PriceEntry],
    Field(min_length=1, description="One entry per (start, tenor) pair; pairs are unique."),
    AfterValidator(_unique_periods),
]
Fees = Annotated[JsonObject | None, Field(description="TRACE fee object, passed through unchanged.")]


class DirectMarketingConfiguration(StrictModel):
    """How a Direct Marketing offer sells: subsidy regime, price basis and service fee."""

    direct_marketing_type: Literal["EEG", "Other"]
    enumeration_type: Literal["Spot", "MarketValue"] = Field(
        description="Price basis: spot market or monthly market value (Marktwert)."
    )
    service_fee_type: Literal["Relative", "Absolute"] = Field(
        description="Relative = percentage fee; Absolute = fixed EUR/MWh."
    )
    capacity_tiers: CapacityTiers | None = None


class PpaConfiguration(StrictModel):
    """How a PPA settles volumes, certificates, negative prices and the hedged share."""

    ppa_structure: Literal["PayAsProduced", "PayAsForecasted"]
    guarantee_of_origin: Literal["Provider"] = Field(
        description="Who provides the guarantees of origin; `Provider` is the only known value."
    )
    negative_prices: Literal["Included", "Excluded"]
    hedge_share_percent: Annotated[
        float,
        Numeric(gt=0, le=100),
        Field(description="Share of the volume hedged, in percent (0 < x ≤ 100)."),
    ]
    capacity_tiers: CapacityTiers | None = None


class _Offer(StrictModel):
    """Fields common to every product; subclasses narrow the typed ones."""

    product: str
    name: NonEmptyStr
    country_code: CountryCode
    technology: str
    configuration: DirectMarketingConfiguration | PpaConfiguration
    fees: Fees = None
    price_matrix: PriceMatrix

    _tariff_type: ClassVar[int]

    @property
    def tariff_type(self) -> int:
        """TRACE's numeric `tariffType` for this product (3, 5 or 6); never serialized."""
        return self._tariff_type


class DirectMarketingOffer(_Offer):
    """Direct marketing of Solar or Wind power (TRACE tariff type 3)."""

    product: Literal["direct_marketing"]
    technology: Literal["Solar", "Wind"]
    configuration: DirectMarketingConfiguration
    other_price_components: Annotated[
        JsonObject | None,
        Field(description="TRACE price-component object, passed through unchanged."),
    ] = None

    _tariff_type = 3


class _PpaOffer(_Offer):
    technology: Literal["Solar", "Wind", "Biomass"]
    configuration: PpaConfiguration


class PpaUpstreamOffer(_PpaOffer):
    """A PPA under which the customer sells power (TRACE tariff type 5)."""

    product: Literal["ppa_upstream"]

    _tariff_type = 5


class PpaDownstreamOffer(_PpaOffer):
    """A PPA under which the customer buys power (TRACE tariff type 6)."""

    product: Literal["ppa_downstream"]

    _tariff_type = 6


Offer = Annotated[
    DirectMarketingOffer | PpaUpstreamOffer | PpaDownstreamOffer,
    Field(discriminator="product"),
]
