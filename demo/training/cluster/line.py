"""The class's line on the Ray cluster, and the pages' view of the cluster.

Ray starts a run's actor when the cluster has a CPU for it, but cannot say where a waiting run
stands. Every app server's waiting runs are registered, in the order they asked, on one small
named actor (`QueueBoard`, no CPU, detached: it outlives the servers), which each waiting run
visits every second; a run not seen for `STALE_S` (its server died) drops out of the line.
`watch` is what the Train and Class pages show: the cluster's CPUs and the line as last seen,
asked on a thread of its own so that a page never waits for the cluster.
"""

from __future__ import annotations

import functools
import threading
import time

from demo.training.cluster.connection import (
    NAMESPACE,
    ClusterError,
    client_address,
    connect,
    generation,
    ray_address,
    unavailable,
)

BOARD = "lenet-queue"
STALE_S = 20.0  # a waiting run not seen for this long has left the line (its server is gone)
_board_lock = threading.Lock()
_board = None  # (the connection's generation, the board's handle)


class QueueBoard:
    """The class's line of waiting runs, in the order they asked (a Ray actor's state: plain
    Python, so it is tested without a cluster). A token is "server:job"; a label is what the Class
    page shows (the run's number in the store, else empty)."""

    def __init__(self) -> None:
        self._line: dict[str, tuple[str, float]] = {}  # token -> (label, last seen); in order
        self._since: dict[str, float] = {}  # token -> when its run asked

    def _tidy(self) -> None:
        now = time.monotonic()
        for token in [t for t, (_, seen) in self._line.items() if now - seen > STALE_S]:
            self.leave(token)

    def join(self, token: str, label: str = "", since: float = 0.0) -> tuple[int, int]:
        """Take a place by when the run asked (`since`, the app server's clock): a run taking
        its place again after the line was lost goes back where it was."""
        if token not in self._line:
            self._since[token] = since or time.time()
            self._line[token] = (label, 0.0)
            order = sorted(self._line, key=lambda t: self._since.get(t, 0.0))
            self._line = {t: self._line[t] for t in order}
        return self.seen(token)

    def seen(self, token: str) -> tuple[int, int]:
        """(this run's place in line from 1, or 0 when it is not in line; how many wait)."""
        if token in self._line:
            self._line[token] = (self._line[token][0], time.monotonic())
        self._tidy()
        place = list(self._line).index(token) + 1 if token in self._line else 0
        return place, len(self._line)

    def leave(self, token: str) -> None:
        self._line.pop(token, None)
        self._since.pop(token, None)

    def labels(self) -> list[str]:
        self._tidy()
        return [label for label, _ in self._line.values()]


@functools.cache
def _board_class():
    import ray

    return ray.remote(num_cpus=0, max_restarts=-1)(QueueBoard)


def board():
    """The cluster's one `QueueBoard`: made by the first app server that needs it, kept by every
    server's connection (made twice at once, Ray refuses the second when it is first used, so a
    new one is tried once before it is kept)."""
    global _board
    ray = connect()
    with _board_lock:
        made_for, client = generation()
        if _board is not None and _board[0] == made_for and client:
            return _board[1]  # (a process with its own head asks again: the tests' heads change)
        try:
            handle = ray.get_actor(BOARD, namespace=NAMESPACE)
        except ValueError:  # not made yet
            handle = (
                _board_class()
                .options(name=BOARD, namespace=NAMESPACE, lifetime="detached", get_if_exists=True)
                .remote()
            )
            try:
                ray.get(handle.labels.remote(), timeout=30)
            except Exception:  # noqa: BLE001 - ActorAlreadyExistsError: another server's won
                handle = ray.get_actor(BOARD, namespace=NAMESPACE)
        _board = (made_for, handle)
        return handle


def forget_board() -> None:
    """The board's handle failed (its actor died or its node went away): look it up again, or
    make a new one, at the next `board()`."""
    global _board
    _board = None


def cluster_view() -> tuple[float, float, list[str]]:
    """(the cluster's CPUs, those free, the labels of the runs waiting in line), for the Train and
    Class pages; raises `ClusterError` when the cluster cannot be asked."""
    ray = connect()
    try:
        try:
            waiting = ray.get(board().labels.remote(), timeout=10)
        except Exception:  # noqa: BLE001 - the board's actor died: a new one, once
            forget_board()
            waiting = ray.get(board().labels.remote(), timeout=10)
        return (
            ray.cluster_resources().get("CPU", 0.0),
            ray.available_resources().get("CPU", 0.0),
            waiting,
        )
    except Exception as error:  # noqa: BLE001 - one line for the page
        raise unavailable(client_address(), str(error) or type(error).__name__) from error


class _Watch:
    """The cluster's CPUs and line as last seen, for pages: a page never waits for the cluster
    (connecting can take seconds, a cluster gone longer); a read older than `max_age_s` asks
    again on a thread of its own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: tuple[float, float, list[str]] | str | None = None
        self._at, self._asking = float("-inf"), False

    def latest(self, max_age_s: float = 2.0) -> tuple[float, float, list[str]] | str | None:
        """(CPUs, free CPUs, labels in line), or why the cluster cannot be asked, or None
        before the first answer."""
        with self._lock:
            now = time.monotonic()
            if now - self._at > max_age_s and not self._asking:
                self._asking = True
                threading.Thread(target=self._ask, name="lenet-ray-watch", daemon=True).start()
            return self._value

    def _ask(self) -> None:
        try:
            value = cluster_view()
        except ClusterError as error:
            value = str(error)
        except Exception as error:  # noqa: BLE001 - a watcher never dies silently mid-class
            value = unavailable(ray_address() or "auto", str(error)).args[0]
        with self._lock:
            self._value, self._at, self._asking = value, time.monotonic(), False


watch = _Watch()
