"""`python -m bench`: run every benchmark, one JSON line each."""

from __future__ import annotations

import asyncio

from bench import pipeline


def main() -> None:
    asyncio.run(pipeline.main())


main()
