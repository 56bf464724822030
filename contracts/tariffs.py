"""Payloads of the tariff events: what publishers send and what the bridge answers."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts._types import NonEmptyStr, StrictModel
from contracts.offers import Offer, Product

TariffId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        pattern="^[A-Za-z0-9][A-Za-z0-9._:/-]*$",
        description="The publisher's stable key of the tariff; all revisions share it.",
    ),
]
Revision = Annotated[
    int,
    Field(
        ge=0,
        strict=True,
        description=(
            "Grows with every change of the tariff. The bridge never uploads a revision "
            "lower than one it has already uploaded."
        ),
    ),
]
RejectReason = Literal["stale", "rejected_by_trace", "retries_exhausted"]


class TariffChangedData(StrictModel):
    """A complete new revision of a tariff; the newest revision is what TRACE should serve."""

    tariff_id: TariffId
    revision: Revision
    offer: Offer


class _Outcome(BaseModel):
    """What became of one tariff-changed event.

    Read tolerantly (unknown keys are ignored) because the bridge may add fields within
    `.v1`; the bridge itself only ever writes these through the typed models.
    """

    model_config = ConfigDict(frozen=True)

    tariff_id: TariffId
    revision: Revision
    product: Product
    source_event_id: NonEmptyStr = Field(description="`id` of the tariff-changed event.")


class TariffUploadedData(_Outcome):
    """The revision is live in TRACE."""

    trace_offer_ids: list[NonEmptyStr] = Field(
        description="Ids of the offers TRACE stored, one per capacity tier."
    )


class TariffRejectedData(_Outcome):
    """The revision was not uploaded and will not be retried."""

    reason: RejectReason = Field(
        description=(
            "`stale`: a newer revision was already uploaded; `rejected_by_trace`: TRACE "
            "refused the offer; `retries_exhausted`: TRACE stayed unavailable."
        )
    )
    message: str = Field(description="Human-readable detail, e.g. TRACE's error message.")
