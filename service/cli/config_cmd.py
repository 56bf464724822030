"""`trace-bridge config …`: inspect the effective configuration."""

from __future__ import annotations

import typer

from service.config import load_all
from service.sections import ALL_SECTIONS, markdown_table, masked_items

app = typer.Typer(help="Inspect the effective configuration.", no_args_is_help=True)


@app.command("show")
def show() -> None:
    """Print every variable with its effective value; secrets are masked."""
    loaded = load_all(ALL_SECTIONS)
    for section in ALL_SECTIONS:
        typer.echo(f"# {section.title}")
        for name, value in masked_items(loaded[section]):
            typer.echo(f"{name}={value}")


@app.command("table")
def table() -> None:
    """Print the Markdown table of every variable and its default (used in the README)."""
    typer.echo(markdown_table())
