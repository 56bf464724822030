"""`python -m bench` keeps its contract: one JSON line on stdout, an in-run baseline."""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_the_benchmark_prints_one_json_line_with_its_baseline() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--events", "40", "--latency-ms", "5"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    [line] = done.stdout.splitlines()
    figures = orjson.loads(line)
    assert figures["events"] == 40
    assert figures["baseline_unbatched"]["trace_requests"] == 40
    assert 0 < figures["batched"]["trace_requests"] <= 40
    assert figures["speedup"] > 0
    assert figures["peak_rss_mb"] > 0
