"""The Class page: every run of the class from the run store, for the teacher's projector and the
students' phones: a leaderboard that updates as runs finish, everyone's validation curves, what
worked as a class, and a CSV. The teacher key unlocks hiding names for everyone, deleting a run
and clearing the class; without it nothing here changes a run. The link's `hide=1` hides names in
one view without a key (a projector's bookmark)."""

from __future__ import annotations

import functools
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from demo import class_charts, class_data
from demo.store_state import class_runs, run_store, store_notice, store_problem
from demo.teacher import (
    REFRESH_S,
    hidden_names,
    names_hidden_for_all,
    teacher_section,
)
from demo.text import plain
from demo.views.class_cluster import cluster_line
from lenet.store import ACTIVE, RunRow, RunStore, StoreError

ROWS_SHOWN, ROW_PX = 35, 35  # the leaderboard shows this many rows before it scrolls
CURVE_CAP = 50  # curves drawn at most: the best of those the filters leave
EMPTY = "No runs yet: runs from the Train page and `python -m lenet.train --name NAME` appear here."
COLUMNS_SHOWN = (
    "Rank", "Nickname", "Test accuracy", "Status", "Settings", "Training time", "When", "Run",
)  # fmt: skip
COLUMNS = {
    "Rank": st.column_config.NumberColumn(width=60, help="Best test accuracy first"),
    "Nickname": st.column_config.TextColumn(width=220, help="A student's runs: one spelling"),
    "Test accuracy": st.column_config.NumberColumn(
        format="%.2f%%", help="Share of the 10,000 MNIST test images read right"
    ),
    "Training time": st.column_config.NumberColumn(format="%.1f s", help="Pauses excluded"),
    "When": st.column_config.TextColumn(help="When the run started (your local time)"),
    "Run": st.column_config.NumberColumn(format="%d", help="The run's id in the run store"),
}


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def _curves(_store: RunStore, where: str, changed: tuple, ids: tuple) -> dict[int, list]:
    return _store.curves(list(ids))


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def _table(_rows: list[RunRow], _names: dict, _zone: tzinfo | None, view: tuple) -> pd.DataFrame:
    """The leaderboard as shown, built once per `view` (the store's change, names hidden or
    not, the time zone and the day)."""
    records = class_data.leaderboard(_rows, _names, _zone, date.fromisoformat(view[-1]))
    return pd.DataFrame.from_records(records, columns=list(COLUMNS_SHOWN))


def browser_zone() -> tzinfo | None:
    """The viewer's time zone (None: the server's)."""
    try:
        return ZoneInfo(st.context.timezone) if st.context.timezone else None
    except (KeyError, ValueError):
        return None


def render() -> None:
    st.title("Class")
    st.caption(
        f"Every run of the class, from the Train page and the command line; this page looks "
        f"for new and finished runs every {REFRESH_S} seconds."
    )
    if notice := st.session_state.get("hide_notice"):
        st.warning(notice, icon=":material/link_off:")  # Markdown built safely: demo.link_values
    store = run_store()
    if store is None:
        st.warning(store_notice(store_problem() or "the run store could not be opened"))
        return
    teacher_section(store)
    board(store)


@st.fragment(run_every=REFRESH_S)
def board(store: RunStore) -> None:
    """The leaderboard, the CSV, the curves and what worked: rebuilt when the store changed."""
    try:
        changed, rows = class_runs(store)
    except StoreError as error:
        st.warning(store_notice(str(error)))
        return
    if not rows:
        st.info(EMPTY, icon=":material/groups:")
        return
    hide = hidden_names()
    if hide:
        why = "by the teacher, for everyone" if names_hidden_for_all() else "by this link (hide=1)"
        st.caption(f"Names are hidden {why}: each student is a number.")
    names = class_data.shown_names(rows, hide)
    zone = browser_zone()
    day = datetime.now(zone).date().isoformat()
    board = _table(rows, names, zone, (store.where, changed, hide, str(zone), day))
    cluster_line(rows, names)
    leaderboard_table(board, rows, names)
    try:
        curves_section(store, changed, rows, names)
    except StoreError as error:
        st.warning(store_notice(str(error)))
    st.plotly_chart(class_charts.lr_figure(lr_points(rows, names)), key="class_lr")
    st.caption(
        "Each dot is a finished run: which learning rates worked with which optimizer? "
        "Grey crosses along the bottom are runs that diverged."
    )


def leaderboard_table(board: pd.DataFrame, rows: list[RunRow], names: dict[int, str]) -> None:
    ranked = board[board["Rank"].notna()]
    active = sum(r.status in ACTIVE for r in rows)
    best = ""
    if len(ranked):
        leader = plain(ranked["Nickname"].iloc[0])
        best = f"; best {ranked['Test accuracy'].iloc[0]:.2f}% by {leader}"
    students = len({name.casefold() for name in names.values()})
    st.markdown(f"**{len(rows)} runs** by {students} students, {active} in progress{best}.")
    st.dataframe(
        board,
        hide_index=True,
        column_config=COLUMNS,
        height=table_height(len(board)),
        placeholder="–",
        key="class_table",
    )
    st.download_button(
        "Download the table (CSV)",
        data=functools.partial(class_data.csv_bytes, rows, names),
        file_name="class_runs.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        help="Every run with all its settings, test accuracy per digit, time and steps, "
        "for a spreadsheet (names as shown here).",
    )


def table_height(rows: int) -> int:
    """Pixels for the header and up to ROWS_SHOWN rows (a class on a projector), then it
    scrolls."""
    return ROW_PX * (min(rows, ROWS_SHOWN) + 1) + 3


def curves_section(store: RunStore, changed: tuple, rows: list[RunRow], names: dict) -> None:
    st.subheader("Everyone's validation curves")
    left, middle, right = st.columns(3)
    picked = left.multiselect(
        "Nicknames",
        sorted(set(names.values()), key=str.casefold),
        key="class_names",
        placeholder="everyone",
        help="Show only these students' runs.",
    )
    chosen = middle.multiselect(
        "Optimizers",
        class_data.optimizers(rows),
        key="class_optimizers",
        placeholder="all",
        help="Show only runs trained with these optimizers.",
    )
    text = right.text_input(
        "Settings contain",
        key="class_text",
        placeholder="e.g. relu or lr 0.01",
        help="Show only runs whose short settings (or name) contain this text.",
    )
    matched = class_data.matching(class_data.ranked(rows), names, picked, chosen, text)
    drawn = class_data.curve_runs(matched, CURVE_CAP)
    curves = _curves(store, store.where, changed, tuple(sorted(r.id for r in drawn)))
    series = [
        (names[r.id], class_data.short_settings(r.settings), curves[r.id])
        for r in drawn
        if curves.get(r.id)
    ]
    st.plotly_chart(class_charts.curves_figure(series), key="class_curves")
    if len(matched) > CURVE_CAP:
        st.caption(
            f"Showing the best {CURVE_CAP} of the {len(matched)} runs that match: choose "
            "nicknames or settings to see others."
        )
    else:
        st.caption(
            f"{len(series)} of the {len(matched)} runs that match have curves so far (runs that "
            "diverged are left out)."
        )


def lr_points(rows: list[RunRow], names: dict[int, str]) -> list[dict]:
    return [
        {
            "lr": row.settings.get("lr"),
            "accuracy": row.test_accuracy if row.status != "diverged" else None,
            "optimizer": row.settings.get("optimizer", "?"),
            "name": names[row.id],
            "settings": class_data.short_settings(row.settings),
        }
        for row in rows
        if row.settings.get("lr")
        and ((row.status in class_data.FINISHED and row.test_accuracy) or row.status == "diverged")
    ]
