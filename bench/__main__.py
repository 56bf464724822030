"""`python -m bench`: run every benchmark, one JSON line each on stdout."""

from __future__ import annotations

import asyncio
import sys

from bench import pipeline
from service.config import LogFormat, LogLevel
from service.logs import configure


def main() -> None:
    # warnings only, and on stderr: stdout carries nothing but the figures, and a debug
    # line per event would measure the logger rather than the pipeline
    configure(LogLevel.WARNING, LogFormat.CONSOLE, sys.stderr)
    asyncio.run(pipeline.main())


main()
