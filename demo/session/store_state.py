"""The app's run store (`lenet.store`): opened once per server, shared by every session.

When it cannot be opened (a read-only, damaged or missing database, an unreachable server), the
app keeps working: drawing and inspecting as ever, runs kept in each tab as before there was a
store, and one notice saying why; it is tried again every 30 s. A store that fails later (a disk
filling up) is reported the same way, by the write that failed, until the write goes through. A
SQLite file removed, moved or replaced under the server (its device and inode, checked as pages
ask for the store) holds the writes with the same notice until it is back (issue 28).
"""

from __future__ import annotations

import logging
import socket
import threading
import time

import streamlit as st

from lenet.store.digits import DigitSet
from lenet.store.recorder import StoreWriter
from lenet.store.runs import HEARTBEAT_S, RunRow, RunStore, StoreError, open_store

REOPEN_S = 30.0  # a store that could not be opened is tried again after this long

logger = logging.getLogger(__name__)


def server_owner() -> str:
    """This app server, as the owner of the runs it trains: host and port, the same after a
    restart (so it can mark the runs its previous life lost as interrupted)."""
    port = st.get_option("server.port")
    return f"app:{socket.gethostname()}:{port}"[:120]


class ServerStore:
    """The server's store and writer, or why there is none. A store that could not be opened
    is tried again after REOPEN_S (a database server restarting must not cost the lesson). Once
    open, a heartbeat thread says every HEARTBEAT_S that this server's runs in progress are
    still training, and marks as interrupted the runs nobody has spoken for in STALE_S (a
    server or CLI that died, a server restarted on another port)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.store: RunStore | None = None
        self.writer: StoreWriter | None = None
        self.problem: str | None = None
        self._failed_at = float("-inf")
        self._reopening = False
        self._identity: tuple[int, int] | None = None  # the SQLite file's (device, inode)
        self._lost: str | None = None  # why the file it opened is not the one at its path
        self._lost_at = 0.0

    def get(self) -> tuple[RunStore | None, StoreWriter | None, str | None]:
        """The first call opens the store (callers wait for it: no run may start unrecorded);
        a later retry runs in one caller while the others go on with the notice (an unreachable
        server can take seconds to say so)."""
        with self._lock:
            first = self._failed_at == float("-inf") and self.store is None
            if first:
                self._open()
            if self.store is not None and self.store.has_file:
                self._follow_file()
            due = self.store is None and time.monotonic() - self._failed_at >= REOPEN_S
            if not due or self._reopening:
                return self.store, self.writer, self.problem
            self._reopening = True
        try:
            self._open()
        finally:
            self._reopening = False
        return self.store, self.writer, self.problem

    def file_problem(self) -> str | None:
        """Why the store's file is not the one the server opened (the writer's check)."""
        return self._lost

    def _follow_file(self) -> None:
        """The file removed, moved or replaced under the server (device and inode): writes wait
        and the pages say so; the same file back carries on; after REOPEN_S a file that stays
        gone or other is opened afresh (a new one made if none), the waiting writes going there."""
        found = self.store.file_identity()
        if found == self._identity:
            if self._lost:
                logger.warning("run store: its file is back")
            self._lost = None
            return
        if self._lost is None:
            self._lost = (
                f"the run store's file {self.store.url.database} was removed, moved or replaced "
                "while the server ran"
            )
            self._lost_at = time.monotonic()
            logger.warning("run store: %s", self._lost)
        if time.monotonic() - self._lost_at >= REOPEN_S:
            self._lost_at = time.monotonic()  # still lost after this try: the next in REOPEN_S
            self._open()

    def _open(self) -> None:
        try:
            store = open_store()
            lost = store.interrupt(server_owner()) + store.expire()
        except StoreError as error:
            logger.warning("run store unavailable: %s", error)
            self.problem, self._failed_at = str(error), time.monotonic()
            return
        if lost:
            logger.info("run store: %d runs lost by a previous server marked interrupted", lost)
        # the writer first: a reader that sees the store (opened outside the lock) has it too
        if self.writer is None:
            self.writer = StoreWriter(store, check=self.file_problem)
        else:  # a fresh file after the old one was lost: the waiting writes go to it
            self.writer.store = store
        self.problem, self._lost = None, None
        self._identity = store.file_identity()
        self.store = store
        owner = server_owner()
        threading.Thread(target=self._beat, args=(store, owner), name="lenet-heartbeat",
                         daemon=True).start()  # fmt: skip

    @staticmethod
    def _beat(store: RunStore, owner: str) -> None:
        while True:
            time.sleep(HEARTBEAT_S)
            try:
                store.touch(owner)
                store.expire()
            except StoreError as error:  # the writes say so to the students
                logger.info("run store heartbeat: %s", error)


@st.cache_resource(show_spinner=False)
def server_store() -> ServerStore:
    return ServerStore()


def run_store() -> RunStore | None:
    """The store, or None when it could not be opened (`store_problem` says why)."""
    return server_store().get()[0]


def store_writer() -> StoreWriter | None:
    return server_store().get()[1]


def store_problem() -> str | None:
    """Why runs are not being stored right now, in one line; None while all is well."""
    server = server_store()
    _, writer, problem = server.get()
    return problem or server.file_problem() or (writer.problem if writer is not None else None)


@st.cache_data(max_entries=4, ttl=3600, show_spinner=False)
def _summaries(_store: RunStore, where: str, changed: tuple) -> list[RunRow]:
    return _store.runs()


def class_runs(store: RunStore) -> tuple[tuple, list[RunRow]]:
    """(the store's change marker, every run's summary, newest first): read again only when
    the store changed, however many Class pages poll it. Raises StoreError."""
    changed = store.changed()
    return changed, _summaries(store, store.where, changed)


@st.cache_resource(max_entries=4, show_spinner=False)
def _digit_set(_store: RunStore, where: str, version: str) -> DigitSet:
    return _store.digit_set()


def class_digit_set(store: RunStore) -> DigitSet:
    """The class's digits as they are now (`lenet.store.digits`): their ids are read on each
    call, the pixels again only when the set changed. Raises StoreError."""
    return _digit_set(store, store.where, store.digit_version())


def store_notice(problem: str) -> str:
    return (
        f"Runs are not being saved in the class's run store: {problem}. Your runs stay in this "
        "tab until you close it; drawing and inspecting work as usual."
    )


def store_line() -> str:
    """What the server says at start-up about where runs are kept."""
    store, problem = run_store(), store_problem()
    if store is None:
        return f"Runs: not stored ({problem}); each tab keeps its own runs until it closes."
    return f"Runs: stored in {store.where} ({store.url.get_backend_name()})."
