"""The one way the app calls out over HTTP (data-source pulls, webhooks), guarded against SSRF.

- Only http and https. Proxies and .netrc from the environment are ignored.
- The address is checked where the connection is made: the host name is resolved, and every
  address it resolves to must be public (not loopback, private, link-local — the cloud metadata
  service lives there —, shared, multicast, reserved or unspecified), unless it lies in a network
  of OUTBOUND_ALLOWED_NETWORKS. The socket then connects to the address that was checked, so a
  second DNS answer cannot slip another one in (rebinding); TLS still verifies the host name.
- Redirects are followed here, at most OUTBOUND_MAX_REDIRECTS, each hop through the same check;
  credentials (the Authorization header) are not carried to another origin.
- Errors say what went wrong in a sentence fit for a run log: the host, never the URL (its query
  may hold a token) nor a library's exception text.

Every error is a `requests.RequestException`, so callers that handled requests' errors keep
handling these.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError
from urllib3.util import connection as urllib3_connection

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
REDIRECTS = {301, 302, 303, 307, 308}


class OutboundError(requests.RequestException):
    """An outbound call failed; the message is safe to show and to store."""


class OutboundRefused(OutboundError):
    """The URL or the address it leads to is not one the app may call. Not worth retrying."""


class OutboundUnreachable(OutboundError):
    """The host could not be reached or did not answer in time. Worth retrying."""


class OutboundHTTPError(OutboundError):
    """The host answered with an HTTP error status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(n, strict=False) for n in settings.OUTBOUND_ALLOWED_NETWORKS]


def address_refusal(address: IPAddress) -> str | None:
    """Why the app may not connect to `address`, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if any(address in network for network in _allowed_networks()):
        return None
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    if address.is_private:
        return "a private-network address"
    if not address.is_global or address.is_multicast:
        return "a reserved or non-public address"
    return None


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundUnreachable(f"The host name {host} does not resolve.") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])  # drop a scope id
        if address not in addresses:
            addresses.append(address)
    return addresses


def vetted_addresses(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to, if all of them may be called; else OutboundRefused."""
    addresses = _resolve(host, port)
    for address in addresses:
        reason = address_refusal(address)
        if reason is not None:
            raise OutboundRefused(
                f"{host} leads to {reason}, which outbound requests may not reach. "
                "An internal source must be allowed in OUTBOUND_ALLOWED_NETWORKS."
            )
    return addresses


class _Blocked(Exception):
    """Not an OSError, so urllib3 and requests pass it up untouched instead of retrying it or
    wrapping it in a connection error."""

    def __init__(self, error: OutboundError) -> None:
        super().__init__(str(error))
        self.error = error


def _guarded_socket(conn: HTTPConnection) -> socket.socket:
    """urllib3's connect, to an address checked here rather than to whatever DNS says next."""
    try:
        addresses = vetted_addresses(conn.host, conn.port)
    except OutboundError as exc:
        raise _Blocked(exc) from exc
    last_error: OSError | None = None
    for address in addresses:
        try:
            return urllib3_connection.create_connection(
                (str(address), conn.port),
                conn.timeout,
                source_address=conn.source_address,
                socket_options=conn.socket_options,
            )
        except OSError as exc:
            last_error = exc
    raise NewConnectionError(conn, f"Failed to establish a new connection: {last_error}")


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _guarded_socket(self)


class _GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _guarded_socket(self)


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy or .netrc from the environment: we decide who we call
    adapter = _GuardedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def check_url(url: str) -> str:
    """The URL's host, if the URL is one the app may call (http/https, a host); else refused."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundRefused("Only http:// and https:// URLs with a host can be called.")
    return parts.hostname


def validate_outbound_url(url: str) -> None:
    """For forms and services: refuse, when it is saved, a URL the worker would refuse.

    A host that does not resolve now is let through (DNS may be away for a moment); the
    guarded connection checks it again at every call."""
    try:
        host = check_url(url)
        port = urlsplit(url).port or (443 if url.startswith("https") else 80)
        vetted_addresses(host, port)
    except OutboundUnreachable:
        return
    except OutboundRefused as exc:
        raise ValidationError(str(exc)) from exc
    except ValueError as exc:  # a port that is not a number
        raise ValidationError("This URL cannot be read.") from exc


def _reason(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "it did not answer in time"
    if isinstance(exc, requests.exceptions.SSLError):
        return "its TLS certificate could not be verified"
    if isinstance(exc, requests.ConnectionError):
        return "the connection failed"
    return "the request failed"


@dataclass(frozen=True)
class OutboundResponse:
    status: int
    body: bytes
    host: str

    def raise_for_status(self) -> None:
        if self.status >= 400:
            raise OutboundHTTPError(f"{self.host} answered HTTP {self.status}.", self.status)


def request(
    method: str,
    url: str,
    *,
    timeout: float,
    headers: dict[str, str] | None = None,
    json: Any = None,
    max_bytes: int | None = None,
) -> OutboundResponse:
    """Call `url` through the guard and return its final answer (after redirects), read whole
    up to `max_bytes` (OutboundRefused beyond it)."""
    headers = dict(headers or {})
    origin = urlsplit(url)[:2]
    with _session() as session:
        for _hop in range(settings.OUTBOUND_MAX_REDIRECTS + 1):
            host = check_url(url)
            try:
                response = session.request(
                    method,
                    url,
                    headers=headers,
                    json=json,
                    timeout=timeout,
                    stream=True,
                    allow_redirects=False,
                )
            except _Blocked as blocked:
                raise blocked.error from None
            except requests.RequestException as exc:
                raise OutboundUnreachable(f"Could not reach {host}: {_reason(exc)}.") from exc
            with response:
                location = response.headers.get("Location")
                if response.status_code in REDIRECTS and location:
                    url = urljoin(url, location)
                    if response.status_code == 303 or (
                        response.status_code in (301, 302) and method == "POST"
                    ):
                        method, json = "GET", None
                    if urlsplit(url)[:2] != origin:
                        headers.pop("Authorization", None)  # credentials stay with their origin
                    continue
                limit = max_bytes if max_bytes is not None else settings.SOURCE_MAX_BYTES
                try:
                    body: bytes = response.raw.read(limit + 1, decode_content=True)
                except Exception as exc:  # urllib3's read errors: the connection broke mid-body
                    raise OutboundUnreachable(
                        f"Could not read the answer of {host}: the connection broke."
                    ) from exc
                if len(body) > limit:
                    raise OutboundRefused(f"The answer of {host} is larger than {limit} bytes.")
                return OutboundResponse(status=response.status_code, body=body, host=host)
    raise OutboundRefused(f"More than {settings.OUTBOUND_MAX_REDIRECTS} redirects; not followed.")
