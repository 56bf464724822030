"""Why a publish did not reach a queue; callers decide between retry and alarm by type."""

from __future__ import annotations


class BrokerError(Exception):
    """Base of the AMQP errors trace-bridge raises itself."""


class BrokerUnavailableError(BrokerError):
    """No open connection or channel right now; the supervisor is reconnecting."""


class UnroutableError(BrokerError):
    """The broker returned a mandatory message: no queue is bound for its routing key."""

    def __init__(self, exchange: str, routing_key: str) -> None:
        super().__init__(f"no queue bound to exchange {exchange!r} for routing key {routing_key!r}")
        self.exchange = exchange
        self.routing_key = routing_key


class PublishNackedError(BrokerError):
    """The broker refused the message (nack), e.g. a full queue with reject-publish."""
