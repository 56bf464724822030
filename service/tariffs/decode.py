"""From raw delivery to a validated `TariffChanged`, or a precise reason why not.

Each check names its own error kind so that an operator reading the DLQ knows at once
whether the publisher sent bytes that are not JSON, JSON that is not a CloudEvent, an
event of a type we do not consume, or a tariff whose data breaks the contract.
"""

from __future__ import annotations

from typing import Any

import orjson
from aio_pika.abc import AbstractIncomingMessage
from pydantic import ValidationError

from contracts import CONTENT_TYPE, TariffChanged
from service.tariffs.failures import ErrorKind, PermanentFailure

ACCEPTED_CONTENT_TYPES = frozenset({CONTENT_TYPE, "application/json", ""})
ACCEPTED_ENCODINGS = frozenset({"", "identity", "utf-8", "utf8"})
ENVELOPE_REQUIRED = ("specversion", "id", "source", "type")


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _check_transport(message: AbstractIncomingMessage, max_bytes: int) -> None:
    if len(message.body) > max_bytes:
        raise PermanentFailure(
            ErrorKind.PAYLOAD_TOO_LARGE, f"body has {len(message.body)} bytes, the limit is {max_bytes}"
        )
    media_type = _media_type(message.content_type)
    if media_type not in ACCEPTED_CONTENT_TYPES:
        raise PermanentFailure(
            ErrorKind.UNSUPPORTED_CONTENT_TYPE,
            f"content type {media_type!r} is not {CONTENT_TYPE!r} (CloudEvents structured mode)",
        )
    encoding = (message.content_encoding or "").strip().lower()
    if encoding not in ACCEPTED_ENCODINGS:
        raise PermanentFailure(ErrorKind.INVALID_ENCODING, f"content encoding {encoding!r} is not supported")


def _json(body: bytes) -> Any:
    if not body.strip():
        raise PermanentFailure(ErrorKind.INVALID_JSON, "body is empty")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PermanentFailure(
            ErrorKind.INVALID_ENCODING, f"body is not valid UTF-8 (byte {error.start})"
        ) from None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise PermanentFailure(ErrorKind.INVALID_JSON, f"body is not JSON: {error}") from None


def _envelope(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise PermanentFailure(ErrorKind.INVALID_EVENT, f"not a CloudEvent: JSON {type(document).__name__}")
    missing = [name for name in ENVELOPE_REQUIRED if name not in document]
    if missing:
        raise PermanentFailure(ErrorKind.INVALID_EVENT, f"not a CloudEvent: missing {', '.join(missing)}")
    if document["type"] != TariffChanged.event_type:
        raise PermanentFailure(
            ErrorKind.UNKNOWN_TYPE,
            f"type {document['type']!r} is not consumed here (expected {TariffChanged.event_type!r})",
        )
    return document


def _field(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "(event)"


def _validation_failure(error: ValidationError) -> PermanentFailure:
    problems = error.errors(include_input=False, include_url=False, include_context=False)
    in_data = all(problem["loc"][:1] == ("data",) for problem in problems)
    first = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    reason = f"{_field(first['loc'])}: {first['msg']}{more}"
    detail = orjson.dumps([{"field": _field(p["loc"]), "problem": p["msg"]} for p in problems]).decode()
    return PermanentFailure(ErrorKind.INVALID_DATA if in_data else ErrorKind.INVALID_EVENT, reason, detail)


def decode(message: AbstractIncomingMessage, max_bytes: int) -> TariffChanged:
    """The validated event; raises `PermanentFailure` with the kind that explains the problem."""
    _check_transport(message, max_bytes)
    document = _envelope(_json(message.body))
    try:
        return TariffChanged.model_validate(document)
    except ValidationError as error:
        raise _validation_failure(error) from None
