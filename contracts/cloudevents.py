"""The CloudEvents 1.0 envelope in structured JSON mode, shared by every trace-bridge event.

A standard envelope lets other teams use their own CloudEvents SDKs and brokers' tooling
instead of a home-grown header format; only `data` is trace-bridge specific.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Final, Generic, Literal, Self, TypeVar, get_args

import orjson
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from contracts._types import AbsoluteUri, NonEmptyStr, UriReference

CONTENT_TYPE: Final = "application/cloudevents+json"
"""Media type of a whole event in structured mode (AMQP `content_type`)."""
SPEC_VERSION: Final = "1.0"
EXTENSION_NAME_PATTERN: Final = "^[a-z0-9]{1,20}$"

_EXTENSION_NAME = re.compile(EXTENSION_NAME_PATTERN)

DataT = TypeVar("DataT")


class CloudEvent(BaseModel, Generic[DataT]):
    """A CloudEvents 1.0 event whose `data` is a typed payload.

    `time` and `subject` are optional in CloudEvents but required here: consumers order and
    route by them. Extension attributes are kept so that tracing context (`traceparent`) or
    partitioning keys from other tooling survive a round trip through trace-bridge.
    """

    model_config = ConfigDict(
        extra="allow",
        frozen=True,
        json_schema_extra={
            "propertyNames": {"pattern": EXTENSION_NAME_PATTERN},
            "additionalProperties": {"type": ["string", "integer", "boolean"]},
        },
    )

    specversion: Literal["1.0"] = Field(description="CloudEvents specification version.")
    id: NonEmptyStr = Field(
        description="Unique per `source`; a repeated (source, id) pair is a duplicate delivery."
    )
    source: UriReference = Field(description="URI reference of the producer of the event.")
    type: str = Field(description="Event type, versioned by its `.vN` suffix.")
    time: AwareDatetime = Field(description="When the occurrence happened (RFC 3339, with offset).")
    subject: NonEmptyStr = Field(description="What the event is about: a tariff id or a lead id.")
    datacontenttype: Literal["application/json"] = Field(
        default="application/json", description="Media type of `data`."
    )
    dataschema: AbsoluteUri | None = Field(default=None, description="URI of the schema `data` adheres to.")
    data: DataT

    event_type: ClassVar[str]
    """The `type` literal of a concrete event class (unset on generic parametrisations)."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        literal = get_args(cls.model_fields["type"].annotation)
        if len(literal) == 1 and isinstance(literal[0], str):
            cls.event_type = literal[0]

    @model_validator(mode="after")
    def _check_extensions(self) -> Self:
        for name, value in (self.model_extra or {}).items():
            if not _EXTENSION_NAME.fullmatch(name):
                raise ValueError(f"extension attribute {name!r} must be 1-20 lower-case letters or digits")
            if not isinstance(value, str | int):
                raise ValueError(f"extension attribute {name!r} must be a string, integer or boolean")
        return self

    @classmethod
    def build(
        cls,
        data: DataT,
        *,
        source: str,
        subject: str | None = None,
        id: str | None = None,
        time: datetime | None = None,
    ) -> Self:
        """Wrap `data` in a new event of this class; id, time and subject have defaults."""
        return cls(
            specversion=SPEC_VERSION,
            id=cls._default_id(data) if id is None else id,
            source=source,
            type=cls.event_type,
            time=datetime.now(UTC) if time is None else time,
            subject=cls._default_subject(data) if subject is None else subject,
            data=data,
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> Self:
        """Parse one structured-mode event; raises `pydantic.ValidationError`."""
        return cls.model_validate_json(raw)

    def to_json(self) -> bytes:
        """Serialize in structured mode; absent optional attributes are left out."""
        return orjson.dumps(self.model_dump(mode="json", by_alias=True, exclude_none=True))

    @classmethod
    def _default_id(cls, data: DataT) -> str:
        return str(uuid.uuid4())

    @classmethod
    def _default_subject(cls, data: DataT) -> str:
        raise TypeError(f"{cls.__name__}.build() needs an explicit subject")
