"""`trace-bridge contracts …`: regenerate the published contract artefacts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from contracts.export import DEFAULT_DIR, export

app = typer.Typer(help="Event contracts: JSON Schemas and the AsyncAPI document.", no_args_is_help=True)


@app.command("export")
def export_command(
    out: Annotated[
        Path,
        typer.Option("--out", file_okay=False, help="Directory to write into."),
    ] = DEFAULT_DIR,
) -> None:
    """Write `schemas/<type>.json` and `asyncapi.yaml`, printing each path."""
    for path in export(out):
        typer.echo(str(path))
