"""The concrete trace-bridge events and `parse_event`, which reads any of them."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Final, Generic, Literal, TypeVar

from pydantic import ConfigDict, Discriminator, Tag, TypeAdapter, ValidationError

from contracts.cloudevents import CloudEvent
from contracts.leads import Lead
from contracts.tariffs import TariffChangedData, TariffRejectedData, TariffUploadedData

LEAD_EVENT_NAMESPACE: Final = uuid.UUID("6e857241-9f0c-5108-a014-97b4002f61ae")
"""uuid5 namespace of lead event ids: uuid5(NAMESPACE_URL, "https://trace-bridge.dev/namespaces/lead-events")."""
OUTCOME_EVENT_NAMESPACE: Final = uuid.UUID("60da25e7-4c60-5bcf-bf7e-77ada4d5c224")
"""uuid5 namespace of outcome event ids: uuid5(NAMESPACE_URL, "https://trace-bridge.dev/namespaces/outcome-events")."""

OutcomeT = TypeVar("OutcomeT", TariffUploadedData, TariffRejectedData)


class TariffChanged(CloudEvent[TariffChangedData]):
    """Consumed: a publisher announces a new revision of a tariff for upload to TRACE."""

    type: Literal["trace.tariff.changed.v1"]

    @classmethod
    def _default_subject(cls, data: TariffChangedData) -> str:
        return data.tariff_id


class _OutcomeEvent(CloudEvent[OutcomeT], Generic[OutcomeT]):
    """An answer to one tariff-changed event.

    Its id is derived from the answered event, so answering a redelivered event twice
    yields the same id and consumers drop the copy.
    """

    @classmethod
    def _default_id(cls, data: OutcomeT) -> str:
        return str(uuid.uuid5(OUTCOME_EVENT_NAMESPACE, f"{cls.event_type}:{data.source_event_id}"))

    @classmethod
    def _default_subject(cls, data: OutcomeT) -> str:
        return data.tariff_id


class TariffUploaded(_OutcomeEvent[TariffUploadedData]):
    """Published: a tariff revision is now live in TRACE."""

    type: Literal["trace.tariff.uploaded.v1"]


class TariffRejected(_OutcomeEvent[TariffRejectedData]):
    """Published: a tariff revision will not reach TRACE; `data.reason` says why."""

    type: Literal["trace.tariff.rejected.v1"]


class _LeadEvent(CloudEvent[Lead]):
    """A lead seen in TRACE's CRM.

    Its id is derived from the lead id and version, so a poller that sees the same lead
    state twice (restart, second replica) publishes the same id and consumers drop the copy.
    """

    @classmethod
    def _default_id(cls, data: Lead) -> str:
        name = f"{cls.event_type}:{data.id}:{data.version}"
        return str(uuid.uuid5(LEAD_EVENT_NAMESPACE, name))

    @classmethod
    def _default_subject(cls, data: Lead) -> str:
        return data.id


class LeadCreated(_LeadEvent):
    """Published: a lead appeared in TRACE's CRM for the first time."""

    type: Literal["trace.lead.created.v1"]


class LeadUpdated(_LeadEvent):
    """Published: a known lead changed in TRACE's CRM; `data` is its full new state."""

    type: Literal["trace.lead.updated.v1"]


EVENT_CLASSES: Final = (TariffChanged, TariffUploaded, TariffRejected, LeadCreated, LeadUpdated)
EVENT_TYPES: Final[dict[str, type[CloudEvent[Any]]]] = {cls.event_type: cls for cls in EVENT_CLASSES}
"""Every event type string, mapped to its model class."""


def _event_type_of(value: Any) -> str | None:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if isinstance(kind, str) else None


AnyEvent = Annotated[
    Annotated[TariffChanged, Tag(TariffChanged.event_type)]
    | Annotated[TariffUploaded, Tag(TariffUploaded.event_type)]
    | Annotated[TariffRejected, Tag(TariffRejected.event_type)]
    | Annotated[LeadCreated, Tag(LeadCreated.event_type)]
    | Annotated[LeadUpdated, Tag(LeadUpdated.event_type)],
    Discriminator(_event_type_of),
]
_ANY_EVENT: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent, config=ConfigDict(title="AnyEvent"))


class UnknownEventType(ValueError):
    """The event is well-formed JSON with a `type` this version of the contract lacks.

    Kept apart from validation errors because the cure differs: an unknown type usually
    means a newer publisher (route it elsewhere or upgrade), not a broken event.
    """

    def __init__(self, event_type: str) -> None:
        super().__init__(f"unknown event type {event_type!r}")
        self.event_type = event_type


def parse_event(raw: bytes | str) -> AnyEvent:
    """Parse any trace-bridge event, choosing the model by its `type` attribute.

    Raises `UnknownEventType` for a string `type` not in `EVENT_TYPES` and
    `pydantic.ValidationError` for everything else that is not a valid event.
    """
    try:
        return _ANY_EVENT.validate_json(raw)
    except ValidationError as error:
        first = error.errors()[0]
        if first["type"] == "union_tag_invalid" and not first["loc"]:
            raise UnknownEventType(str(first["ctx"]["tag"])) from error
        raise
