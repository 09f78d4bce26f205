"""The app's connection to a Ray cluster (`LENET_RAY_ADDRESS`); the class's line on it is
`demo.training.cluster.line`.

The app is always a Ray *client* of the cluster (`ray://HOST:PORT`; `auto` is the client server of
a `ray start --head` on this machine): a client outlives its cluster, where an app that were a Ray
driver itself would be ended by Ray when the cluster's head goes away (measured: after
`gcs_rpc_server_reconnect_timeout_s`), taking drawing and inspecting with it. A process that called
`ray.init` itself (the tests, with a head of their own) keeps that connection.

Before it connects, the address is tried with a plain TCP connection (3 s), so a cluster that is
not there fails a new run in seconds with one line (`ClusterError`), not after Ray's own retries.

Ray is imported only here, in `demo.training.cluster.line` and `demo.training.cluster.jobs`, only
when a run is started or a page shows the cluster with the variable set.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time

from demo.ui.text import shorten
from lenet.errors import LenetError

ENV_ADDRESS = "LENET_RAY_ADDRESS"  # ray://HOST:10001, or auto (a `ray start --head` here)
ENV_CLIENT_PORT = "LENET_RAY_CLIENT_PORT"  # the client server's port for `auto` (10001)
NAMESPACE = "lenet"
REACH_S = 3.0  # the TCP check before connecting
TRIES = 5  # connecting to the cluster, 0.5, 1, 2 and 4 s apart
GRACE_S = 5  # how long Ray's client tries to reconnect to a cluster that stopped answering
FAILED_S = 30.0  # a failed connect is the answer for this long
_lock = threading.Lock()
logger = logging.getLogger(__name__)
_generation = 0  # bumped by each new connection
_client: str | None = None  # the address this process is a Ray client of (None: not a client)
_stale = False  # that client's cluster has been found gone: connect again before the next call
_failed: tuple[str, float, str] | None = None  # (address, when, why) of the last failed connect
# A call to Ray without a connection fails: by default Ray would start a cluster of its own inside
# the app server (a run's thread calling Ray after its connection was dropped). Read by Ray when it
# is imported, which is only after this module.
os.environ.setdefault("RAY_ENABLE_AUTO_CONNECT", "0")


class ClusterError(LenetError):
    """The Ray cluster cannot take runs now, in one line for the student."""


def ray_address() -> str | None:
    return os.environ.get(ENV_ADDRESS, "").strip() or None


def address_problem(address: str | None = None) -> str | None:
    """Why `LENET_RAY_ADDRESS` is unusable as written (None: it is usable, or unset)."""
    address = address or ray_address()
    if address is None or address == "auto":
        return None
    host, port = _host_port(address)
    if not address.startswith("ray://") or not host or port is None:
        return (
            f"{ENV_ADDRESS}={address[:80]} is neither ray://HOST:PORT (a Ray cluster's client "
            "server, port 10001 by default) nor auto (a `ray start --head` on this machine)"
        )
    return None


def _host_port(address: str) -> tuple[str, int | None]:
    rest = address.removeprefix("ray://").split("/", 1)[0]
    host, _, port = rest.rpartition(":")
    number = int(port) if port.isascii() and port.isdigit() else 0
    return host.strip("[]"), number if 0 < number < 65536 else None


def client_address(address: str | None = None) -> str:
    """The `ray://HOST:PORT` to connect to; `auto`: this machine's head's client server."""
    address = address or ray_address() or "auto"
    if problem := address_problem(address):
        raise ClusterError(problem)
    if address != "auto":
        return address
    from ray._private.services import canonicalize_bootstrap_address

    try:
        head = canonicalize_bootstrap_address("auto")
    except Exception as error:  # noqa: BLE001 - Ray's "could not find any running Ray instance"
        raise ClusterError(
            "no Ray cluster is running on this machine (LENET_RAY_ADDRESS=auto): start one with "
            "`ray start --head` (docs/cluster.md); drawing and inspecting still work"
        ) from error
    port = os.environ.get(ENV_CLIENT_PORT, "").strip() or "10001"
    return f"ray://{head.rpartition(':')[0]}:{port}"


def reachable(address: str) -> str | None:
    """None when something answers at the address's host and port; else why not, briefly."""
    host, port = _host_port(address)
    try:
        with socket.create_connection((host, port), timeout=REACH_S):
            return None
    except (OSError, UnicodeError, ValueError) as error:  # refused, unknown host, a bad name
        return getattr(error, "strerror", None) or type(error).__name__


def unavailable(address: str, why: str) -> ClusterError:
    first = (why.strip().splitlines() or ["no answer"])[0][:160]
    return ClusterError(
        f"the Ray cluster at {shorten(address, 80)} cannot take training runs now ({first}); "
        "drawing and inspecting still work"
    )


def connect():
    """The `ray` module, connected to the cluster: once per process, and again after the cluster
    went away and came back. A failure is remembered for `FAILED_S`: a class pressing Start
    together meets one wait, not one each."""
    import ray

    global _client, _stale, _failed
    with _lock:
        if _client is None and ray.is_initialized():
            return ray  # this process's own head (the tests)
        address = client_address()
        if _failed and _failed[0] == address and time.monotonic() - _failed[1] < FAILED_S:
            raise ClusterError(_failed[2])
        if why := reachable(address):
            raise _remember(unavailable(address, why), address)
        # a failed probe alone never drops a live client: that would end every run it owns
        if _client == address and ray.is_initialized() and (not _stale or _answers(ray)):
            _stale = False
            return ray
        if _client is not None:  # a client whose cluster went away (or moved): start again
            with contextlib.suppress(Exception):
                ray.shutdown()
            _client = None
        # Ray's client retries a lost connection for 30 s within every call by default: a run's
        # student would wait that long to learn the cluster has gone (and its app thread with it)
        os.environ.setdefault("RAY_CLIENT_RECONNECT_GRACE_PERIOD", str(GRACE_S))
        began = time.monotonic()
        for attempt in range(1, TRIES + 1):
            try:
                ray.init(address=address, namespace=NAMESPACE, log_to_driver=False)
                break
            except Exception as error:  # noqa: BLE001 - anything at all: one line for the page
                # measured: now and then the client server's process for a new client dies as
                # it starts ("Initialization failure from server"); a later try works (on a
                # busy machine three tries 0.5 s apart all failed once). A timeout (something
                # that is not Ray answers there) is not tried again.
                logger.warning("connecting to the Ray cluster at %s: %s", address, error)
                with contextlib.suppress(Exception):
                    ray.shutdown()
                if attempt == TRIES or "timeout" in str(error).lower():
                    why = str(error) or type(error).__name__
                    raise _remember(unavailable(address, why), address) from error
                time.sleep(0.5 * 2 ** (attempt - 1))
        global _generation
        _client, _stale, _failed, _generation = address, False, None, _generation + 1
        logger.info(
            "connected to the Ray cluster at %s in %.1f s", address, time.monotonic() - began
        )
        return ray


def _answers(ray) -> bool:
    try:
        ray.cluster_resources()
        return True
    except Exception:  # noqa: BLE001 - a client whose cluster has gone
        return False


def _remember(error: ClusterError, address: str) -> ClusterError:
    global _failed
    _failed = (address, time.monotonic(), str(error))
    return error


def cluster_gone() -> str | None:
    """Why the cluster this process is a client of cannot be reached (None: it can, or this
    process runs its own head). Asked only after a call to the cluster failed or hung: then a
    cluster that is gone means connecting again for the next run."""
    global _stale
    why = reachable(_client) if _client else None
    _stale = _stale or why is not None
    return why


def generation() -> tuple[int, bool]:
    """(which connection this is: bumped by each new one, whether this process is a client)."""
    return _generation, _client is not None
