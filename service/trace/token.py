"""The process-wide TRACE access token: one login at a time, renewed before it expires."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Self

import httpx
import stamina

from service import metrics
from service.logs import get_logger, secrets
from service.trace.errors import CredentialsError, TokenUnavailableError, TraceError
from service.trace.login import ENDPOINT, Clock, Token, login
from service.trace.settings import TraceSettings

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class TokenStatus:
    """What readiness needs to know; `last_error` is a `TraceError.kind` or None."""

    has_valid_token: bool
    expires_in: float | None
    last_error: str | None
    credentials_rejected: bool


class TokenManager:
    """Owns the one token of the process, shared by every coroutine.

    A single background task does every login, on a schedule ahead of expiry or at once
    when there is no usable token, so concurrent callers never log in twice and a TRACE
    outage costs a bounded number of login attempts (stamina's backoff), not one per
    caller. Callers only wait when no valid token exists, and never longer than
    `token_wait_timeout`.
    """

    def __init__(
        self, settings: TraceSettings, http: httpx.AsyncClient, *, clock: Clock = time.monotonic
    ) -> None:
        self._settings = settings
        self._http = http
        self._clock = clock
        self._token: Token | None = None
        self._retired: list[Token] = []
        self._generation = 0
        self._last_error: TraceError | None = None
        self._wake = asyncio.Event()
        self._attempted = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        secrets.add(settings.client_secret.get_secret_value())

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    def start(self) -> None:
        """Start the background renewer; it logs in right away."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="trace-token-renewer")
            self._task.add_done_callback(_report_crash)
            metrics.token_expiry.set_function(self._expires_in_or_zero)

    async def aclose(self) -> None:
        """Stop renewing; the current token stays usable until it expires."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    @property
    def status(self) -> TokenStatus:
        token = self._usable()
        return TokenStatus(
            has_valid_token=token is not None,
            expires_in=None if token is None else token.expires_at - self._clock(),
            last_error=None if self._last_error is None else self._last_error.kind,
            credentials_rejected=isinstance(self._last_error, CredentialsError),
        )

    async def get(self) -> Token:
        """A valid token, waiting for a login only when there is none.

        Raises `CredentialsError` as soon as TRACE rejected our credentials, and
        `TokenUnavailableError` (carrying the last failure) after `token_wait_timeout`.
        """
        token = self._usable()
        return token if token is not None else await self._wait_for_login()

    def invalidate(self, generation: int) -> None:
        """Drop the current token if it is still `generation` (TRACE answered 401 to it).

        Many requests failing with the same token cause one renewal, not one each."""
        token = self._token
        if token is not None and token.generation == generation:
            log.info("token.invalidated", generation=generation)
            self._retired.append(token)
            self._token = None
            self._wake.set()

    def _usable(self) -> Token | None:
        token = self._token
        return token if token is not None and self._clock() < token.expires_at else None

    def _expires_in_or_zero(self) -> float:
        token = self._usable()
        return 0.0 if token is None else token.expires_at - self._clock()

    async def _wait_for_login(self) -> Token:
        if self._task is None or self._task.done():
            raise RuntimeError("TokenManager is not running; use start() or `async with`")
        metrics.token_waits.inc()
        timeout = self._settings.token_wait_timeout
        deadline = self._clock() + timeout
        while (token := self._usable()) is None:
            if isinstance(rejected := self._last_error, CredentialsError):
                raise CredentialsError(str(rejected), endpoint=ENDPOINT, status=rejected.status)
            self._wake.set()
            try:
                await asyncio.wait_for(self._attempted.wait(), deadline - self._clock())
            except TimeoutError:
                reason = "no login attempt finished" if self._last_error is None else str(self._last_error)
                raise TokenUnavailableError(
                    f"no TRACE token within {timeout} s: {reason}", last_error=self._last_error
                ) from None
        return token

    async def _run(self) -> None:
        while True:
            await self._until_due()
            await self._renew()

    async def _until_due(self) -> None:
        while (token := self._token) is not None and (delay := token.refresh_at - self._clock()) > 0:
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except TimeoutError:
                return

    async def _renew(self) -> None:
        """Log in until it works; a failure while the old token is valid keeps serving it."""
        settings = self._settings
        async for attempt in stamina.retry_context(
            on=self._login_backoff,
            attempts=None,
            timeout=None,
            wait_initial=settings.token_retry_initial,
            wait_max=settings.token_retry_max,
            wait_jitter=settings.token_retry_initial,
        ):
            with attempt:
                await self._login_once()

    def _login_backoff(self, error: Exception) -> bool | float:
        """Rejected credentials will not fix themselves: try again only rarely."""
        if isinstance(error, CredentialsError):
            return self._settings.token_retry_max
        return isinstance(error, TraceError)

    async def _login_once(self) -> None:
        started = time.perf_counter()
        try:
            token = await login(
                self._http, self._settings, generation=self._generation + 1, clock=self._clock
            )
        except TraceError as error:
            self._failed(error)
            raise
        self._publish(token, duration_ms=round((time.perf_counter() - started) * 1000, 1))

    def _publish(self, token: Token, *, duration_ms: float) -> None:
        secrets.add(token.value)
        if self._token is not None:
            self._retired.append(self._token)
        self._token, self._generation, self._last_error = token, token.generation, None
        self._forget_expired()
        metrics.token_refreshes.inc()
        log.info(
            "token.renewed", generation=token.generation, expires_in=token.lifetime, duration_ms=duration_ms
        )
        self._notify()

    def _failed(self, error: TraceError) -> None:
        first_rejection = isinstance(error, CredentialsError) and not isinstance(
            self._last_error, CredentialsError
        )
        self._last_error = error
        metrics.token_failures.labels(reason=error.kind).inc()
        if first_rejection:
            log.error(
                "token.credentials_rejected",
                client_id=self._settings.client_id,
                status=error.status,
                hint="check TRACE_CLIENT_ID, TRACE_CLIENT_SECRET and TRACE_AUDIENCE",
                retry_every_s=self._settings.token_retry_max,
            )
        elif not isinstance(error, CredentialsError):
            log.warning(
                "token.login_failed",
                reason=error.kind,
                error=str(error),
                has_valid_token=self._usable() is not None,
            )
        self._notify()

    def _notify(self) -> None:
        """Wake everyone waiting for the outcome of this login attempt."""
        attempted, self._attempted = self._attempted, asyncio.Event()
        attempted.set()

    def _forget_expired(self) -> None:
        now = self._clock()
        for token in [token for token in self._retired if token.expires_at <= now]:
            secrets.discard(token.value)
            self._retired.remove(token)


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("token.renewer_crashed", error=task.exception())
