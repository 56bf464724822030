"""All in-memory state of one sandbox, in one object.

The harness restarts the HTTP server on the same port to simulate a refused connection;
keeping the state outside the server lets offers, leads and tokens survive that restart,
and lets tests read it directly (`SandboxServer.app_state`).
"""

from __future__ import annotations

from service.sandbox.auth import TokenIssuer
from service.sandbox.config import SandboxConfig
from service.sandbox.faults import FaultInjector
from service.sandbox.files import FileSigner
from service.sandbox.leadgen import LeadFactory
from service.sandbox.leads import LeadStore
from service.sandbox.offers import OfferStore
from service.sandbox.ratelimit import FixedWindowLimiter
from service.sandbox.stats import Stats
from service.sandbox.times import utcnow


class SandboxState:
    """Tokens, faults, rate windows, stats, offers and leads of one sandbox."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.tokens = TokenIssuer(config)
        self.faults = FaultInjector(config.faults, config.outage, config.seed)
        self.limiter = FixedWindowLimiter(config.rate_limit, config.rate_window)
        self.stats = Stats(config.request_log_size)
        self.offers = OfferStore()
        self.signer = FileSigner(config.jwt_secret.get_secret_value())
        factory = LeadFactory(config.seed, config.base_time or utcnow(), self.signer)
        self.leads = LeadStore(factory, config.lead_count)

    def reset(self) -> None:
        """Forget offers, stats, rate windows and run-time faults; tokens and leads stay."""
        self.offers.reset()
        self.stats.reset()
        self.faults.reset()
        self.limiter.reset()
