"""The Class page's line about the Ray cluster (`LENET_RAY_ADDRESS`): its CPUs, and the runs waiting
for one, in the order they will start, from every app server (`demo.training.cluster.connection`).
Without the variable there is no line and Ray is never imported."""

from __future__ import annotations

import streamlit as st

from demo.training.cluster.connection import ray_address
from demo.ui.text import plain
from lenet.store.runs import RunRow

SHOWN = 8  # waiting runs named; the rest counted


def cluster_line(rows: list[RunRow], names: dict[int, str]) -> None:
    if ray_address() is None:
        return
    from demo.training.cluster.connection import address_problem
    from demo.training.cluster.line import watch  # imports no Ray itself; the watcher's thread does

    if problem := address_problem():  # written wrong: no run ever started, none was lost
        st.warning(
            f"Training is unavailable: {plain(problem)}. Set it right and restart the server. "
            "Drawing and inspecting work.",
            icon=":material/cloud_off:",
        )
        return
    view = watch.latest()
    if view is None:
        st.markdown("**Ray cluster:** asking it how busy it is...")
        return
    if isinstance(view, str):
        st.warning(
            f"Training is unavailable: the Ray cluster does not answer ({plain(view)}). Runs "
            "that need it stop with a message; students can start again when it is back. "
            "Drawing and inspecting work.",
            icon=":material/cloud_off:",
        )
        return
    total, free, waiting = view
    who = {f"#{row.id}": plain(names.get(row.id, "")) for row in rows}
    line = [f"{label} {who.get(label, '')}".strip() for label in waiting if label]
    named = ", ".join(line[:SHOWN]) + (
        f" and {len(line) - SHOWN} more" if len(line) > SHOWN else ""
    )
    queue = f"{len(waiting)} waiting, next first: {named}" if named else f"{len(waiting)} waiting"
    st.markdown(
        f"**Ray cluster:** {total - free:g} of {total:g} CPUs in use · "
        f"{queue if waiting else 'nobody waiting'}",
        help="Every app server of the class sends its runs to this cluster. A run waits in "
        "line until a CPU is free. Runs start in the order they were asked for.",
    )
