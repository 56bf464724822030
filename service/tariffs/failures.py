"""The two ways an event can fail, and the kinds an operator sees on dead letters."""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    """Value of the `trace-bridge-error-kind` header on every dead letter."""

    INVALID_ENCODING = "invalid_encoding"
    INVALID_JSON = "invalid_json"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_CONTENT_TYPE = "unsupported_content_type"
    INVALID_EVENT = "invalid_event"
    UNKNOWN_TYPE = "unknown_type"
    INVALID_DATA = "invalid_data"
    REJECTED_BY_TRACE = "rejected_by_trace"
    RETRIES_EXHAUSTED = "retries_exhausted"
    DELIVERY_LIMIT = "delivery_limit"


class PermanentFailure(Exception):
    """Retrying cannot help: the event goes straight to the DLQ with this kind and reason."""

    def __init__(self, kind: ErrorKind, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.detail = detail


class TransientFailure(Exception):
    """Retrying later may help: the event goes up the retry ladder."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
