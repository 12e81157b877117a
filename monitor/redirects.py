"""Which redirects a fetch may follow: the redirect policy, apart from the HTTP client.

Why: a publisher's server (or whoever took over its DNS) answering ``302`` to another host
made us fetch and diff that host's file, or connect to an address on our own network. A
redirect is followed only when its target is

* on the origin of the URL the source asked for (scheme, host and port; ``http`` to
  ``https`` on the same host is an upgrade and allowed), or
* on a host of ``http.redirect_hosts`` (``host`` or ``host:port``; ``*.example.gov``
  matches every subdomain), and then never on a private, loopback or link-local IP
  address unless the source's own URL is on one (``ecmon demo`` and tests on 127.0.0.1).

https to http is always refused (a downgrade). Names are not resolved here (no DNS in a
policy check): a listed host is trusted as listed.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme)


def _internal(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host == "localhost" or host.endswith(".localhost")
    return address.is_private or address.is_loopback or address.is_link_local


def _listed(host: str, port: int | None, allowed: tuple[str, ...]) -> bool:
    for entry in allowed:
        name, _, wanted = entry.strip().lower().rpartition(":")
        if not name or not wanted.isdigit():
            name, wanted = entry.strip().lower(), ""
        if wanted and int(wanted) != port:
            continue
        if name == host or (name.startswith("*.") and host.endswith(name[1:])):
            return True
    return False


def refusal(source_url: str, target_url: str, allowed: tuple[str, ...] = ()) -> str | None:
    """Why the redirect from a fetch of ``source_url`` to ``target_url`` is refused, or None."""
    scheme, host, port = _origin(source_url)
    t_scheme, t_host, t_port = _origin(target_url)
    if scheme == "https" and t_scheme != "https":
        return f"redirect from https to {target_url} refused (downgrade)"
    if t_scheme not in _DEFAULT_PORTS:
        return f"redirect to {target_url} refused (not http or https)"
    if t_host == host and (t_port == port or (scheme, t_scheme) == ("http", "https")):
        return None
    if not _listed(t_host, t_port, allowed):
        return (
            f"redirect to {target_url} refused: not on {scheme}://{host}:{port}"
            " (add the host to http.redirect_hosts if it is the publisher's)"
        )
    if _internal(t_host) and not _internal(host):
        return f"redirect to {target_url} refused: a private or link-local address"
    return None
