"""How dead letters look in a terminal: a table for many, every detail for one."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

import orjson
from rich.table import Table

from service.ops.dead_letters import DeadLetter, plain

HEX_PREVIEW = 512


def age_text(seconds: float | None) -> str:
    """`45s`, `12m`, `3h`, `2d`; `?` when nothing recorded the time."""
    if seconds is None:
        return "?"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{max(int(seconds), 0)}s"


def letters_table(letters: Iterable[DeadLetter], now: datetime) -> Table:
    table = Table(title=None, show_lines=False)
    for column in ("#", "event id", "type", "tariff id", "error kind", "reason", "attempts", "age"):
        table.add_column(column, overflow="fold")
    for letter in letters:
        table.add_row(
            str(letter.position),
            letter.event_id or "-",
            letter.event_type or "-",
            letter.tariff_id or "-",
            letter.kind,
            letter.reason,
            str(letter.attempts),
            age_text(letter.age(now)),
        )
    return table


def _pretty_json(raw: bytes | str) -> str | None:
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode()


def body_text(body: bytes) -> str:
    """Pretty JSON, else UTF-8 text, else a hex dump of the first bytes."""
    if not body:
        return "(empty)"
    pretty = _pretty_json(body)
    if pretty is not None:
        return pretty
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        shown = body[:HEX_PREVIEW]
        lines = [
            f"{offset:08x}  {shown[offset : offset + 16].hex(' ')}" for offset in range(0, len(shown), 16)
        ]
        more = [f"… {len(body) - HEX_PREVIEW} more bytes"] if len(body) > HEX_PREVIEW else []
        return "\n".join(["(binary, hex)", *lines, *more])


def details(letter: DeadLetter, now: datetime) -> Iterator[str]:
    """Every line of `dlq show`: summary, all headers, the detail and the body."""
    for key, value in letter.summary(now).items():
        yield f"{key}: {'' if value is None else value}"
    yield f"content_type: {letter.content_type or '-'}"
    yield ""
    yield "headers:"
    for key in sorted(letter.headers):
        value = plain(letter.headers[key])
        shown = value if isinstance(value, str) else orjson.dumps(value).decode()
        yield f"  {key}: {shown}"
    yield ""
    yield "detail:"
    yield (_pretty_json(letter.detail) or letter.detail) if letter.detail else "(none)"
    yield ""
    yield "body:"
    yield body_text(letter.body)
