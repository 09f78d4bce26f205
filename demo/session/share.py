"""The address students open: the link a teacher shares is built from it, not from the address
in the teacher's own bar (opened as localhost, that handed students `http://127.0.0.1:8501/...`,
which only ever reaches their own computer).

`network_base()` reads the server's settings the way Streamlit does when it prints its "Network
URL" at start; `student_link()` is plain (tested without a server).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

LOOPBACK = ("localhost",)
WILDCARD = ("", "0.0.0.0", "::")


NO_NETWORK = (
    "Students can't open this server from their computers: it listens on this computer only, "
    "or this computer has no network address now. Start it with `make classroom` on a computer "
    "connected to the class's network."
)


@dataclass(frozen=True)
class StudentLink:
    """The link to hand out, and a sentence when the teacher's own address is not it."""

    url: str | None  # None: this server cannot be reached from another computer
    note: str | None


def is_loopback(host: str | None) -> bool:
    """Whether `host` reaches only the computer it is typed on: localhost, 127.x, ::1 (also as
    ::ffff:127.0.0.1), and 0.0.0.0, which a browser reads as this computer."""
    if not host:
        return False
    name = host.strip("[]").lower()
    if name in LOOPBACK or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback or address.is_unspecified


def network_base() -> str | None:
    """The server's scheme and host on the network, as Streamlit prints them ("Network URL");
    None when it listens on this computer only."""
    from streamlit import config, net_util
    from streamlit.web.server import server_util

    if config.is_manually_set("browser.serverAddress"):
        host = config.get_option("browser.serverAddress")
    elif (address := config.get_option("server.address") or "") not in WILDCARD:
        host = None if is_loopback(address) else address
    else:
        host = net_util.get_internal_ip()
    if not host:
        return None
    url = urlsplit(server_util.get_url(host))
    return f"{url.scheme}://{url.netloc}"  # the page's own path brings any base path


def student_link(page_url: str, network: str | None, query: dict[str, str]) -> StudentLink:
    """The Train page's link with `query`: the teacher's own address when students can use it
    too, else the server's network address (`network`), with a note saying so."""
    page = urlsplit(page_url or "")
    path = page.path.rstrip("/")
    if not page_url:  # no browser page (a script test): the network address as it is
        return StudentLink(network and f"{network.rstrip('/')}?{urlencode(query)}", None)
    if page.hostname and not is_loopback(page.hostname):
        return StudentLink(f"{page.scheme}://{page.netloc}{path}?{urlencode(query)}", None)
    if network is None:
        return StudentLink(None, NO_NETWORK)
    return StudentLink(
        f"{network.rstrip('/')}{path}?{urlencode(query)}",
        "You opened this page as localhost, which only works on this computer. Students use "
        "the server's network address, as in these links.",
    )
