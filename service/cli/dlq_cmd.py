"""`trace-bridge dlq …`: look at dead-lettered tariff events, replay or purge them.

The queue comes from TRACE_BRIDGE_TARIFFS_DEAD_LETTER_QUEUE and the broker from AMQP_URL.
Filters are applied by this tool after reading; the queue keeps its order and content.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import aiormq
import orjson
import rich.progress
import typer
from rich.console import Console

import service.cli as cli
from service import logs
from service.amqp.errors import BrokerUnavailableError
from service.config import AmqpSettings, LogFormat, LogLevel, load
from service.ops.broker import broker_connection
from service.ops.dead_letters import DeadLetter, Selection, parse_duration
from service.ops.dlq import DeadLetterQueue, Progress, QueueMissingError
from service.ops.dlq_view import details, letters_table
from service.tariffs.failures import ErrorKind
from service.tariffs.settings import TariffSettings

T = TypeVar("T")
PROGRESS_EVERY = 100
EXIT_CODES = (
    "Exit codes: 0 done, 1 failure (see message), 2 configuration or usage error, 3 RabbitMQ unreachable."
)

app = typer.Typer(
    help=f"Dead-lettered tariff events: list, show, replay, purge.\n\n{EXIT_CODES}", no_args_is_help=True
)


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


Ids = Annotated[list[str] | None, typer.Option("--id", help="Only this event id (repeatable).")]
Kinds = Annotated[list[ErrorKind] | None, typer.Option("--kind", help="Only this error kind (repeatable).")]
Types = Annotated[
    list[str] | None,
    typer.Option("--type", help="Only this event type, e.g. trace.tariff.changed.v1 (repeatable)."),
]
OlderThan = Annotated[
    float | None,
    typer.Option(
        "--older-than",
        parser=_duration,
        metavar="DURATION",
        help="Dead-lettered longer ago than 10m, 2h, 1d…",
    ),
]
NewerThan = Annotated[
    float | None,
    typer.Option(
        "--newer-than", parser=_duration, metavar="DURATION", help="Dead-lettered more recently than this."
    ),
]
Limit = Annotated[int | None, typer.Option("--limit", min=1, help="Act on at most N matching messages.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do it without asking.")]


def _selection(
    ids: list[str] | None,
    kinds: list[ErrorKind] | None,
    types: list[str] | None,
    older: float | None,
    newer: float | None,
) -> Selection:
    return Selection(
        ids=frozenset(ids or ()),
        kinds=frozenset(kind.value for kind in kinds or ()),
        types=frozenset(types or ()),
        older_than=older,
        newer_than=newer,
    )


def _run(operation: Callable[[DeadLetterQueue], Coroutine[Any, Any, T]]) -> T:
    """Run `operation` on the configured DLQ; map an unreachable broker to exit 3."""
    amqp, tariffs = load(AmqpSettings), load(TariffSettings)
    logs.configure(LogLevel.WARNING, LogFormat.CONSOLE)

    async def main() -> T:
        async with broker_connection(amqp, "trace-bridge dlq") as connection:
            return await operation(DeadLetterQueue(connection, tariffs.dead_letter_queue))

    try:
        return asyncio.run(main())
    except (BrokerUnavailableError, aiormq.exceptions.AMQPConnectionError, ConnectionError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(cli.EXIT_UNAVAILABLE) from None
    except QueueMissingError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(cli.EXIT_FAILURE) from None
    except KeyboardInterrupt:
        typer.echo("interrupted: unsettled messages were returned to the queue", err=True)
        raise typer.Exit(cli.EXIT_FAILURE) from None


def _browse(selection: Selection, limit: int | None, now: datetime) -> list[DeadLetter]:
    return _run(lambda dlq: dlq.browse(selection, limit, now))


@app.command("list")
def list_letters(
    ids: Ids = None,
    kinds: Kinds = None,
    types: Types = None,
    older_than: OlderThan = None,
    newer_than: NewerThan = None,
    limit: Limit = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array (for scripts).")] = False,
) -> None:
    """List dead letters in queue order without removing or reordering them.

    Columns: event id, type, tariff id, error kind, reason, attempts, age since dead-lettered.
    Broker dead letters (delivery limit) show as `delivery_limit`.

    Exit codes: 0 listed, 1 queue missing, 2 usage/configuration error, 3 RabbitMQ unreachable.
    """
    now = datetime.now(UTC)
    letters = _browse(_selection(ids, kinds, types, older_than, newer_than), limit, now)
    if as_json:
        typer.echo(orjson.dumps([letter.summary(now) for letter in letters]).decode())
        return
    Console(soft_wrap=False).print(letters_table(letters, now))
    typer.echo(f"{len(letters)} message(s)")


@app.command("show")
def show(
    event_id: Annotated[str, typer.Argument(help="Event id: the AMQP message_id or the CloudEvents id.")],
) -> None:
    """Print one dead letter: every header, the reason, the detail and the body.

    Exit codes: 0 shown, 1 no such message (or queue missing), 2 usage/configuration error,
    3 RabbitMQ unreachable.
    """
    now = datetime.now(UTC)
    found = _browse(Selection(ids=frozenset({event_id})), 1, now)
    if not found:
        typer.echo(f"no dead letter with event id {event_id!r}", err=True)
        raise typer.Exit(cli.EXIT_FAILURE)
    for line in details(found[0], now):
        typer.echo(line)


@contextmanager
def _progress() -> Iterator[Progress]:
    """A progress bar on a terminal, a line every PROGRESS_EVERY messages otherwise."""
    console = Console(stderr=True)
    if console.is_terminal:
        with rich.progress.Progress(console=console, transient=True) as bar:
            task = bar.add_task("replaying", total=None)
            yield lambda done, total: bar.update(task, completed=done, total=total)
        return

    def line(done: int, total: int) -> None:
        if done % PROGRESS_EVERY == 0 or done == total:
            typer.echo(f"examined {done}/{total}", err=True)

    yield line


@app.command("replay")
def replay(
    ids: Ids = None,
    kinds: Kinds = None,
    types: Types = None,
    older_than: OlderThan = None,
    newer_than: NewerThan = None,
    limit: Limit = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be replayed; change nothing.")
    ] = False,
    yes: Yes = False,
    rate: Annotated[
        float | None, typer.Option("--rate", min=0.01, help="At most this many messages per second.")
    ] = None,
) -> None:
    """Re-publish matching dead letters to their original exchange and routing key.

    Retry and failure headers are removed and `trace-bridge-replayed` is set, so the
    pipeline processes them afresh. Each message leaves the DLQ only after the broker
    confirmed its copy; non-matching messages stay where they are.

    Exit codes: 0 all replayed, 1 some could not be replayed (they stay in the DLQ) or
    the confirmation was declined, 2 usage/configuration error, 3 RabbitMQ unreachable.
    """
    selection = _selection(ids, kinds, types, older_than, newer_than)
    if dry_run:
        letters = _browse(selection, limit, datetime.now(UTC))
        for letter in letters:
            target = f"{letter.original_exchange!r} / {letter.original_routing_key!r}"
            typer.echo(f"{letter.event_id}  {letter.kind}  → {target}")
        typer.echo(f"{len(letters)} message(s) would be replayed")
        return
    if not yes:
        count = len(_browse(selection, limit, datetime.now(UTC)))
        if not count:
            typer.echo("0 message(s) match")
            return
        typer.confirm(f"Replay {count} message(s)?", abort=True)
    with _progress() as progress:
        report = _run(lambda dlq: dlq.replay(selection, limit, rate=rate, progress=progress))
    for letter, problem in report.failed:
        typer.echo(f"not replayed: {letter.event_id}: {problem}", err=True)
    typer.echo(f"replayed {len(report.replayed)} message(s), {len(report.failed)} failed")
    if report.failed:
        raise typer.Exit(cli.EXIT_FAILURE)


@app.command("purge")
def purge(
    ids: Ids = None,
    kinds: Kinds = None,
    types: Types = None,
    older_than: OlderThan = None,
    newer_than: NewerThan = None,
    limit: Limit = None,
    yes: Yes = False,
) -> None:
    """Delete matching dead letters for good; non-matching ones stay untouched.

    Without --yes only prints how many match. Exit codes: 0 deleted, 1 nothing deleted
    because --yes was missing (or queue missing), 2 usage/configuration error,
    3 RabbitMQ unreachable.
    """
    selection = _selection(ids, kinds, types, older_than, newer_than)
    if not yes:
        count = len(_browse(selection, limit, datetime.now(UTC)))
        typer.echo(f"{count} message(s) match; run again with --yes to delete them")
        raise typer.Exit(cli.EXIT_FAILURE)
    deleted = _run(lambda dlq: dlq.purge(selection, limit))
    typer.echo(f"{deleted} message(s) matched and were deleted")
