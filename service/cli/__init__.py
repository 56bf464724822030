"""The `trace-bridge` command line: one entry point, a sub-command per job.

Exit codes: 0 success, 1 runtime failure, 2 configuration or usage error,
3 a dependency (RabbitMQ, TRACE, state store) could not be reached.
"""

from __future__ import annotations

import sys

import typer

from service.cli import (
    config_cmd,
    contracts_cmd,
    demo_cmd,
    dlq_cmd,
    run_cmd,
    sandbox_cmd,
    token_cmd,
    topology_cmd,
)
from service.config import ConfigError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2
EXIT_UNAVAILABLE = 3

app = typer.Typer(
    name="trace-bridge",
    help="Bridge between RabbitMQ and the TRACE energy-tariff platform.",
    epilog="Exit codes: 0 success, 1 failure, 2 configuration or usage error, 3 RabbitMQ/TRACE/state store unavailable.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(config_cmd.app, name="config")
app.add_typer(contracts_cmd.app, name="contracts")
app.command("run")(run_cmd.run)
app.command("sandbox")(sandbox_cmd.sandbox)
app.command("demo")(demo_cmd.demo)
app.add_typer(topology_cmd.app, name="topology")
app.add_typer(dlq_cmd.app, name="dlq")
app.add_typer(token_cmd.app, name="token")


def main() -> None:
    """Console-script entry point: maps configuration problems to exit code 2."""
    try:
        app()
    except ConfigError as error:
        for problem in error.problems:
            print(f"configuration error: {problem}", file=sys.stderr)
        sys.exit(EXIT_CONFIG)
