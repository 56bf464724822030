"""Stop and restart the real RabbitMQ node, for tests of broker loss.

The whole node is restarted, as in a real broker restart: `rabbitmqctl stop_app` /
`start_app` on RabbitMQ 3.10 leaves quorum queues without their at-least-once
dead-letter supervisor, which would break every later test on this machine.

A second 3.10 bug needs care after a restart: deleting an at-least-once quorum queue
while its dead-letter worker is still attaching to the new leader crashes the worker
in a restart loop until `rabbit_fifo_dlx_sup` gives up and exits. Every later declare
of such a queue then fails with INTERNAL_ERROR. So after a restart we wait until every
worker has attached, and the suite checks the supervisor once at start-up.
"""

from __future__ import annotations

import asyncio
import glob
import subprocess
import time
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

# {at-least-once quorum queues, attached dead-letter workers}; sys:get_state answers
# only once a worker's handle_continue (its checkout at the queue leader) is done.
_DEAD_LETTER_WORKERS = """
Arg = fun(Q, K) -> case lists:keyfind(K, 1, amqqueue:get_arguments(Q)) of
    {_, _, V} -> V; false -> undefined end end,
Queues = [Q || Q <- rabbit_amqqueue:list(), amqqueue:get_type(Q) =:= rabbit_quorum_queue,
    Arg(Q, <<"x-dead-letter-strategy">>) =:= <<"at-least-once">>,
    Arg(Q, <<"x-overflow">>) =:= <<"reject-publish">>,
    Arg(Q, <<"x-dead-letter-exchange">>) =/= undefined],
Workers = [P || {_, P, _, _} <- supervisor:which_children(rabbit_fifo_dlx_sup), is_pid(P)],
[sys:get_state(P, 30000) || P <- Workers],
io:format("~b ~b~n", [length(Queues), length(Workers)]).
"""


def _run(*command: str) -> str:
    done = subprocess.run(command, check=True, capture_output=True, text=True, timeout=180)
    return done.stdout


def _stop() -> None:
    pid_files = glob.glob("/var/lib/rabbitmq/mnesia/*.pid")
    _run("rabbitmqctl", "stop", *pid_files[:1])  # with the pid file it waits for the exit


def _start(timeout: float = 120.0) -> None:
    _run("rabbitmq-server", "-detached")
    deadline = time.monotonic() + timeout
    while True:  # await_startup fails at once until the new node answers at all
        try:
            _run("rabbitmqctl", "await_startup", "--timeout", "30")
            return
        except subprocess.CalledProcessError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _await_dead_letter_workers(timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        queues, workers = map(int, _run("rabbitmqctl", "-q", "eval", _DEAD_LETTER_WORKERS).split()[:2])
        if queues == workers:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{workers} of {queues} dead-letter workers attached after {timeout} s")
        time.sleep(0.2)


def ensure_dead_letter_supervisor() -> None:
    """Restart `rabbit_fifo_dlx_sup` if an earlier run on this node left it dead."""
    if "undefined" in _run("rabbitmqctl", "-q", "eval", "whereis(rabbit_fifo_dlx_sup)."):
        warnings.warn("RabbitMQ had lost rabbit_fifo_dlx_sup (3.10 bug); restarting it", stacklevel=1)
        _run("rabbitmqctl", "-q", "eval", "supervisor:restart_child(rabbit_sup, rabbit_fifo_dlx_sup).")


@asynccontextmanager
async def broker_stopped() -> AsyncIterator[None]:
    """RabbitMQ is down inside the block and up again (and accepting) after it."""
    await asyncio.to_thread(_stop)
    try:
        yield
    finally:
        await asyncio.to_thread(_start)
        await asyncio.to_thread(_await_dead_letter_workers)
