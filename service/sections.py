"""The registry of settings sections, for `config show` and the README's variable table."""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum

from pydantic import SecretStr
from pydantic_core import PydanticUndefined

from service.config import AmqpSettings, Section, ServiceSettings
from service.leads.settings import LeadSettings
from service.logs import secrets
from service.tariffs.settings import TariffSettings
from service.trace.profile import TraceProfile
from service.trace.settings import TraceSettings

ALL_SECTIONS: list[type[Section]] = [
    ServiceSettings,
    AmqpSettings,
    TraceSettings,
    TraceProfile,
    TariffSettings,
    LeadSettings,
]


def _show(value: object) -> str:
    if isinstance(value, SecretStr):
        raw = value.get_secret_value()
        return secrets.scrub(raw) if "://" in raw else "***"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, list | tuple):
        return ",".join(_show(item) for item in value)
    return str(value)


def masked_items(section: Section) -> Iterator[tuple[str, str]]:
    """(variable, value) pairs of a loaded section with every secret masked."""
    for field in type(section).model_fields:
        yield type(section).env_name(field), _show(getattr(section, field))


def markdown_table() -> str:
    """The README table of every variable: name, default, meaning."""
    lines = ["| Variable | Default | Meaning |", "| --- | --- | --- |"]
    for section in ALL_SECTIONS:
        lines.append(f"| **{section.title}** | | |")
        for field, info in section.model_fields.items():
            default = "*required*" if info.default is PydanticUndefined else f"`{_show(info.default)}`"
            lines.append(f"| `{section.env_name(field)}` | {default} | {info.description or ''} |")
    return "\n".join(lines)
