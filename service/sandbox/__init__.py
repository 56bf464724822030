"""A local stand-in for the TRACE APIs, independent of our own TRACE client.

It implements TRACE as documented and, where the docs are silent, the SIM choices of
`shared/trace-api/`, so tests and demos run without credentials and catch translation
mistakes the client and the contracts would otherwise share.
"""

from service.sandbox.app import build_app
from service.sandbox.config import ClientConfig, Faults, Outage, RejectRule, SandboxConfig
from service.sandbox.server import build_server, serve
from service.sandbox.state import SandboxState

__all__ = [
    "ClientConfig",
    "Faults",
    "Outage",
    "RejectRule",
    "SandboxConfig",
    "SandboxState",
    "build_app",
    "build_server",
    "serve",
]
