"""Tariff pipeline throughput: batched uploads against one-offer-per-request as the baseline.

Both runs use the same broker, sandbox (with a fixed added latency standing in for the
network to TRACE) and event set, in the same process, so the ratio is meaningful on any
machine. Prints one JSON line: events/s of each mode, the speed-up, TRACE requests per
mode and the peak RSS of the process.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

import aio_pika
import orjson

from service.tariffs.settings import TariffSettings
from tests.support.amqp import AMQP_URL, delete_tariff_topology, tariff_settings_for, unique
from tests.support.sandbox import SandboxServer
from tests.tariffs.factory import event
from tests.tariffs.harness import Pipeline, start_pipeline


@asynccontextmanager
async def running(settings: TariffSettings, sandbox: SandboxServer, state: Path) -> AsyncIterator[Pipeline]:
    connection = await aio_pika.connect_robust(AMQP_URL)
    try:
        async for pipeline in start_pipeline(settings, sandbox, f"sqlite:///{state}", connection):
            yield pipeline
    finally:
        async with connection.channel() as channel:
            await delete_tariff_topology(channel, settings)
        await connection.close()


async def measure(batched: bool, count: int, latency_ms: float, workdir: Path) -> dict[str, float]:
    settings = tariff_settings_for(unique("bench")).model_copy(
        update={"batch_enabled": batched, "prefetch": 200, "upload_concurrency": 4, "batch_linger": 0.02}
    )
    with SandboxServer(latency_ms=latency_ms).start() as sandbox:
        async with running(settings, sandbox, workdir / f"{batched}.db") as pipeline:
            events = [event(index) for index in range(count)]
            started = time.perf_counter()
            await pipeline.publish(events)
            await pipeline.outcomes(count, timeout=600)
            elapsed = time.perf_counter() - started
            requests = sandbox.requests_to("POST upload")
    return {
        "events_per_s": round(count / elapsed, 1),
        "trace_requests": requests,
        "seconds": round(elapsed, 2),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=600)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args, _ = parser.parse_known_args()
    with TemporaryDirectory() as tmp:
        baseline = await measure(False, args.events, args.latency_ms, Path(tmp))
        batched = await measure(True, args.events, args.latency_ms, Path(tmp))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        orjson.dumps(
            {
                "benchmark": "tariff_pipeline_throughput",
                "events": args.events,
                "trace_latency_ms": args.latency_ms,
                "baseline_unbatched": baseline,
                "batched": batched,
                "speedup": round(batched["events_per_s"] / baseline["events_per_s"], 2),
                "peak_rss_mb": round(peak_mb, 1),
            }
        ).decode()
    )
