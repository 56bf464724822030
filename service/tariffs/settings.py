"""Tuning of the tariff pipeline: AMQP names, retry ladder, batching, back-pressure."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from service.config import Section


def delay_label(seconds: float) -> str:
    """A short, stable queue-name suffix for a delay: 0.5 → 500ms, 10 → 10s, 600 → 10m, 3600 → 1h."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


class TariffSettings(Section):
    """Everything about how tariff-changed events are consumed, retried and dead-lettered."""

    model_config = SettingsConfigDict(env_prefix="TRACE_BRIDGE_TARIFFS_")
    title: ClassVar[str] = "Tariff pipeline"

    exchange: str = Field(
        default="trace.tariffs", min_length=1, description="Topic exchange of tariff events."
    )
    queue: str = Field(default="trace-bridge.tariffs", min_length=1, description="Quorum work queue.")
    binding_key: str = Field(
        default="tariff.changed.#", min_length=1, description="Binding of the work queue."
    )
    dead_letter_exchange: str = Field(
        default="trace-bridge.tariffs.dlx", min_length=1, description="Fanout exchange in front of the DLQ."
    )
    dead_letter_queue: str = Field(
        default="trace-bridge.tariffs.dlq", min_length=1, description="Quorum DLQ."
    )
    retry_queue_prefix: str = Field(
        default="trace-bridge.tariffs.retry",
        min_length=1,
        description="Retry tier queues are `<prefix>.<delay>`.",
    )
    retry_delays: Annotated[list[float], NoDecode] = Field(
        default=[1.0, 10.0, 60.0, 600.0, 3600.0],
        min_length=1,
        max_length=20,
        description="Retry ladder: comma-separated delays in seconds, one quorum queue each.",
    )
    max_age: float = Field(
        default=86400.0, gt=0, description="Dead-letter an event retried for longer, seconds."
    )
    delivery_limit: int = Field(
        default=20, ge=2, description="Broker-side `x-delivery-limit` crash-loop backstop."
    )
    prefetch: int = Field(default=64, ge=1, le=1000, description="Unacked deliveries per consumer.")
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Larger messages are dead-lettered.")
    upload_concurrency: int = Field(default=4, ge=1, le=64, description="TRACE upload requests in flight.")
    batch_enabled: bool = Field(default=True, description="Gather events into one upload file per endpoint.")
    batch_max_size: int = Field(default=50, ge=1, le=500, description="Most offers in one batch.")
    batch_linger: float = Field(
        default=0.02, ge=0, le=5, description="Longest wait to fill a batch, seconds."
    )
    lease_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Per-tariff upload lease, renewed while an upload runs; a crashed holder's lapses after this.",
    )
    ordering_wait: float = Field(
        default=30.0, ge=0, description="How long to wait for another replica's lease before retrying later."
    )
    breaker_threshold: int = Field(
        default=5,
        ge=1,
        description="Consecutive failed uploads (after client retries) that open the breaker.",
    )
    breaker_open_initial: float = Field(default=5.0, gt=0, description="First pause before a probe, seconds.")
    breaker_open_max: float = Field(default=60.0, gt=0, description="Longest pause between probes, seconds.")
    breaker_max_hold: float = Field(
        default=900.0, gt=0, description="A held event goes up the retry ladder after this long, seconds."
    )
    shutdown_grace: float = Field(
        default=30.0, ge=0, description="Time to finish in-flight events on SIGTERM."
    )
    settled_retention: float = Field(
        default=7 * 86400.0, gt=0, description="Keep settled event ids (for idempotency) this long, seconds."
    )
    source: str = Field(
        default="urn:trace-bridge", min_length=1, description="CloudEvents `source` of outcomes."
    )

    @field_validator("retry_delays", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("retry_delays")
    @classmethod
    def _positive_and_distinct(cls, value: list[float]) -> list[float]:
        if any(delay <= 0 for delay in value):
            raise ValueError("every retry delay must be > 0")
        if len({delay_label(delay) for delay in value}) != len(value):
            raise ValueError("retry delays must be distinct")
        return value

    def retry_queue(self, tier: int) -> str:
        """Queue name of retry tier `tier` (0-based)."""
        return f"{self.retry_queue_prefix}.{delay_label(self.retry_delays[tier])}"
