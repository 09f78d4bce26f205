"""The app's run store (`lenet.store`): opened once per server, shared by every session.

When it cannot be opened (a read-only, damaged or missing database, an unreachable server), the
app keeps working: drawing and inspecting as ever, runs kept in each tab as before there was a
store, and one notice saying why. A store that fails later (a disk filling up) is reported the
same way, by the write that failed.
"""

from __future__ import annotations

import logging
import socket

import streamlit as st

from lenet.recorder import StoreWriter
from lenet.store import RunStore, StoreError, open_store

logger = logging.getLogger(__name__)


def server_owner() -> str:
    """This app server, as the owner of the runs it trains: host and port, the same after a
    restart (so it can mark the runs its previous life lost as interrupted)."""
    port = st.get_option("server.port")
    return f"app:{socket.gethostname()}:{port}"[:120]


@st.cache_resource(show_spinner=False)
def _opened() -> tuple[RunStore | None, StoreWriter | None, str | None]:
    try:
        store = open_store()
    except StoreError as error:
        logger.warning("run store unavailable: %s", error)
        return None, None, str(error)
    try:
        lost = store.interrupt(server_owner())
    except StoreError as error:
        logger.warning("run store: %s", error)
        return store, StoreWriter(store), str(error)
    if lost:
        logger.info("run store: %d runs from before the restart marked interrupted", lost)
    return store, StoreWriter(store), None


def run_store() -> RunStore | None:
    """The store, or None when it could not be opened (`store_problem` says why)."""
    return _opened()[0]


def store_writer() -> StoreWriter | None:
    return _opened()[1]


def store_problem() -> str | None:
    """Why runs are not being stored right now, in one line; None while all is well."""
    _, writer, problem = _opened()
    return problem or (writer.problem if writer is not None else None)


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
