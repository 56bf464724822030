"""The outbound proxy for TRACE, chosen from the standard variables as curl and pip read them.

httpx honours `HTTPS_PROXY` and friends only on transports it builds itself; the TRACE
client builds its own (a login pool and a rate-limited API pool), so the choice is made
here, once per API URL, and handed to both.
"""

from __future__ import annotations

import urllib.request
from urllib.parse import urlsplit

import httpx

SUPPORTED_SCHEMES = ("http", "https")


class ProxyConfigError(ValueError):
    """A proxy variable names something httpx cannot use; says which, never its value."""


def proxy_for(url: str) -> httpx.Proxy | None:
    """The proxy for `url`: `HTTPS_PROXY`/`HTTP_PROXY` by its scheme, else `ALL_PROXY`,
    and none when `NO_PROXY` names its host (lower-case names win, as in urllib)."""
    proxies = urllib.request.getproxies_environment()
    target = urlsplit(url)
    # in every CPython since 2.x, but not in typeshed
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    if bypass(target.netloc.rpartition("@")[2], proxies):
        return None
    source = target.scheme if proxies.get(target.scheme) else "all"
    chosen = proxies.get(source)
    if not chosen:
        return None
    variable = f"{source.upper()}_PROXY"
    if "://" not in chosen:
        chosen = f"http://{chosen}"  # `host:port`, as curl and requests accept it
    try:
        proxy = httpx.Proxy(chosen)
    except (ValueError, httpx.InvalidURL):
        raise ProxyConfigError(f"{variable} is not a proxy URL (http://host:port)") from None
    if proxy.url.scheme not in SUPPORTED_SCHEMES or not proxy.url.host:
        raise ProxyConfigError(f"{variable}: only http:// and https:// proxies with a host are supported")
    return proxy


def describe(proxy: httpx.Proxy | None) -> str:
    """Where requests go, for logs; `Proxy.url` carries no credentials (they move to `auth`)."""
    return "direct" if proxy is None else str(proxy.url)
