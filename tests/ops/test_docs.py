"""The README and docs/operations.md keep up with the metrics and the error kinds."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import Counter, Gauge, Histogram

from service import metrics
from service.tariffs.failures import ErrorKind

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "operations.md").read_text()
README = (ROOT / "README.md").read_text()


def test_every_metric_is_documented() -> None:
    names = [
        m._name + ("_total" if isinstance(m, Counter) else "")
        for m in vars(metrics).values()
        if isinstance(m, Counter | Gauge | Histogram)
    ]
    assert names
    assert [name for name in names if f"`{name}`" not in GUIDE] == []
    assert [name for name in names if f"`{name}`" not in README] == []


def test_every_error_kind_is_explained() -> None:
    assert [kind.value for kind in ErrorKind if f"`{kind.value}`" not in GUIDE] == []
