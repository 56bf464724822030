"""Presigned-style file URLs and the deterministic bytes behind them.

TRACE hands out S3 presigned URLs (D) whose lifetime is unknown (U). The sandbox imitates
their shape (`X-Amz-Date`, `X-Amz-Expires`, `X-Amz-Signature`) with an HMAC over the file
id, variant and validity, so a client that edits, keeps or replays a URL too long is
caught with a 403 the way S3 would refuse it.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

DOWNLOAD_LIFETIME = 900  # seconds; the X-Amz-Expires of TRACE's example URLs
DOCUMENT_LIFETIME = 7 * 86400  # S3's longest presigned lifetime
FILES_PATH = "/_sandbox/files"
_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_PROFILE_DAY = "21.06.2025"
_PROFILE_HEADER = "Zeitstempel;Leistung_kW\n"
_PROFILE_ROW_BYTES = len(f"{_PROFILE_DAY} 00:00;0000,000\n")
_STEPS = {"PT15M": 96, "PT1H": 24}


class FileSigner:
    """Signs and checks file URLs with a key derived from the sandbox's JWT key."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"trace-sandbox-files:" + secret.encode()).digest()

    def _signature(self, file_id: str, variant: str, date: str, lifetime: str) -> str:
        message = f"{file_id}\n{variant}\n{date}\n{lifetime}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def path(self, file_id: str, variant: str, issued: datetime, lifetime: int) -> str:
        """Root-relative URL of the file route, valid from `issued` for `lifetime` seconds."""
        date = issued.astimezone(UTC).strftime(_DATE_FORMAT)
        query = {
            "variant": variant,
            "X-Amz-Date": date,
            "X-Amz-Expires": str(lifetime),
            "X-Amz-Signature": self._signature(file_id, variant, date, str(lifetime)),
        }
        return f"{FILES_PATH}/{file_id}?{urlencode(query)}"

    def verify(self, file_id: str, params: Mapping[str, str], now: datetime) -> bool:
        """True if the signature matches and the URL has not expired."""
        variant = params.get("variant", "")
        date, lifetime = params.get("X-Amz-Date", ""), params.get("X-Amz-Expires", "")
        expected = self._signature(file_id, variant, date, lifetime)
        if not hmac.compare_digest(expected, params.get("X-Amz-Signature", "")):
            return False
        try:
            issued = datetime.strptime(date, _DATE_FORMAT).replace(tzinfo=UTC)
            return now < issued + timedelta(seconds=int(lifetime))
        except ValueError:
            return False


@dataclass(frozen=True)
class FileInfo:
    """What the file route needs to know about an attachment or offer document."""

    file_id: str
    file_name: str
    content_type: str
    resolution: str | None = None  # set for production profiles (served as CSV)
    processed: bool = False


def profile_size(resolution: str) -> int:
    """Size of the original CSV of a production profile, without rendering it."""
    return len(_PROFILE_HEADER) + _STEPS.get(resolution, 24) * _PROFILE_ROW_BYTES


def _values(file_id: str, steps: int) -> list[tuple[str, float]]:
    rng = random.Random(file_id)  # noqa: S311 - deterministic sample data
    peak = rng.uniform(50, 900)
    minutes = 24 * 60 // steps
    rows = []
    for step in range(steps):
        hour = step * minutes / 60
        daylight = max(0.0, math.sin(math.pi * (hour - 5) / 15))
        rows.append((f"{int(hour):02d}:{step * minutes % 60:02d}", peak * daylight * rng.uniform(0.85, 1)))
    return rows


def _profile(info: FileInfo, variant: str) -> bytes:
    rows = _values(info.file_id, _STEPS.get(info.resolution or "", 24))
    if variant == "processed":
        lines = ["timestamp,value_kw"]
        lines += [f"2025-06-21T{clock}:00+02:00,{value:.3f}" for clock, value in rows]
        return ("\n".join(lines) + "\n").encode()
    body = "".join(f"{_PROFILE_DAY} {clock};{f'{value:08.3f}'.replace('.', ',')}\n" for clock, value in rows)
    return (_PROFILE_HEADER + body).encode()


def document_bytes(file_id: str) -> bytes:
    return b"%PDF-1.4\n% TRACE sandbox document " + file_id.encode() + b"\n%%EOF\n"


def file_content(info: FileInfo, variant: str) -> tuple[bytes, str]:
    """The bytes and content type of one variant of a file."""
    if info.resolution is None:
        return document_bytes(info.file_id), info.content_type
    if variant == "processed":
        return _profile(info, variant), "text/csv"
    return _profile(info, variant), info.content_type
