"""Constrained field types shared by the event models.

They exist so that every model states its wire rules the same way and the generated JSON
Schema carries the same rules as the Python validation (pattern, format, bounds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    JsonValue,
    ValidatorFunctionWrapHandler,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

NonEmptyStr = Annotated[str, Field(min_length=1)]


def _check_uri_reference(value: str) -> str:
    if any(char.isspace() for char in value):
        raise ValueError("must be a URI reference without whitespace")
    urlsplit(value)  # raises ValueError on malformed authorities such as "http://[::1"
    return value


def _check_absolute_uri(value: str) -> str:
    if not urlsplit(_check_uri_reference(value)).scheme:
        raise ValueError("must be an absolute URI with a scheme")
    return value


UriReference = Annotated[
    str,
    Field(min_length=1, json_schema_extra={"format": "uri-reference"}),
    AfterValidator(_check_uri_reference),
]
AbsoluteUri = Annotated[
    str,
    Field(min_length=1, json_schema_extra={"format": "uri"}),
    AfterValidator(_check_absolute_uri),
]


def _check_finite(value: JsonValue) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("NaN and Infinity are not valid JSON numbers")
    if isinstance(value, dict):
        for item in value.values():
            _check_finite(item)
    elif isinstance(value, list):
        for item in value:
            _check_finite(item)


def _finite_object(value: dict[str, JsonValue]) -> dict[str, JsonValue]:
    _check_finite(value)
    return value


JsonObject = Annotated[dict[str, JsonValue], AfterValidator(_finite_object)]
"""An opaque JSON object passed through unchanged (only non-finite numbers are refused)."""


def _keep_int(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    checked = handler(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else checked


def _as_given(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Numeric:
    """A finite JSON number that keeps integers as integers.

    A plain `float` field turns the publisher's `100` into `100.0` on the way out, and
    strictly typed receivers (TRACE is a .NET service) may refuse `100.0` for an integer.
    `strict` refuses strings and booleans; lead data from TRACE is parsed leniently.
    """

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    strict: bool = True

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        checked = core_schema.float_schema(
            strict=self.strict, allow_inf_nan=False, ge=self.ge, gt=self.gt, le=self.le
        )
        return core_schema.no_info_wrap_validator_function(
            _keep_int,
            checked,
            serialization=core_schema.plain_serializer_function_ser_schema(
                _as_given, return_schema=core_schema.any_schema()
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        bounds = {"minimum": self.ge, "exclusiveMinimum": self.gt, "maximum": self.le}
        return {"type": "number", **{key: v for key, v in bounds.items() if v is not None}}


class StrictModel(BaseModel):
    """Base of the tariff contract: immutable, and unknown keys are errors.

    Publishers write these events by hand in many languages; refusing unknown keys turns a
    typo such as `hedge_share_percnt` into an error that names the key instead of a silently
    dropped value.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
