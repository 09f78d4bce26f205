"""The Class page: every run of the class from the run store, for the teacher's projector and the
students' phones: a leaderboard that updates as runs finish (an HTML table that fits any screen,
`demo.figures.class_table`, the viewer's own runs marked "you"), everyone's validation curves (a
colour per student), what worked as a class, and a CSV. The teacher key unlocks hiding names for
everyone, deleting a run and clearing the class; without it nothing here changes a run. The link's
`hide=1` hides names in one view without a key (a projector's bookmark)."""

from __future__ import annotations

import functools
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

import streamlit as st

from demo.classroom import board as class_data
from demo.classroom.teacher import REFRESH_S, hidden_names, names_hidden_for_all, teacher_section
from demo.figures import class_charts, class_table
from demo.session.nickname import nickname
from demo.session.store_state import class_runs, run_store, store_notice, store_problem
from demo.ui.screen import chart, header, projector
from demo.ui.text import plain
from demo.views.class_page.cluster import cluster_line
from demo.views.class_page.digits import class_digits, column, digits_section
from lenet.store import table as run_table
from lenet.store.runs import ACTIVE, RunRow, RunStore, StoreError

ROWS_MOST = 300  # leaderboard rows sent to the browser (and the viewer's own); the CSV has all
CURVE_CAP = 50  # curves drawn at most: the best of those the filters leave
EMPTY = "No runs yet. Runs from the Train page and `python -m lenet.train --name NAME` show here."


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def _curves(_store: RunStore, where: str, changed: tuple, ids: tuple) -> dict[int, list]:
    return _store.curves(list(ids))


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def _board(
    _rows: list[RunRow], _names: dict, _zone: tzinfo | None, view: tuple
) -> list[class_data.BoardRow]:
    """The leaderboard's rows, built once per `view` (the store's change, names hidden or not,
    the time zone, the viewer's nickname and the day)."""
    return class_data.leaderboard(_rows, _names, _zone, date.fromisoformat(view[-1]), view[-2])


def browser_zone() -> tzinfo | None:
    """The viewer's time zone (None: the server's)."""
    try:
        return ZoneInfo(st.context.timezone) if st.context.timezone else None
    except (KeyError, ValueError):
        return None


def render() -> None:
    header(
        "Class",
        f"Every run of the class, from the Train page and the command line. This page looks "
        f"for new and finished runs every {REFRESH_S} seconds.",
    )
    if notice := st.session_state.get("hide_notice"):
        # Markdown built safely: demo.session.link_values
        st.warning(notice, icon=":material/link_off:")
    store = run_store()
    if store is None:
        st.warning(store_notice(store_problem() or "the run store could not be opened"))
        return
    teacher_section(store, browser_zone())
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
        cluster_line([], {})  # a cluster that cannot train says so before the first run
        return
    hide = hidden_names()
    if hide:
        who = "the teacher, for everyone" if names_hidden_for_all() else "this link (hide=1)"
        st.caption(f"Names are hidden by {who}. Each student is a number.")
    names, me = class_data.shown_names(rows, hide), nickname()
    zone = browser_zone()
    day = datetime.now(zone).date().isoformat()
    lines = _board(rows, names, zone, (store.where, changed, hide, str(zone), me.casefold(), day))
    cluster_line(rows, names)
    try:
        digits, scores = class_digits(store, rows)
    except StoreError as error:
        st.warning(store_notice(str(error)))
        digits, scores = None, {}
    leaderboard_table(lines, rows, names, column(digits, scores) if digits and digits.ids else None)
    labels = class_data.you_labels(rows, names, me)
    try:
        curves_section(store, changed, rows, names, labels)
    except StoreError as error:
        st.warning(store_notice(str(error)))
    what_worked(rows, labels)
    if digits is not None:
        digits_section(digits, scores, rows, labels, hide)


def leaderboard_table(
    lines: list[class_data.BoardRow],
    rows: list[RunRow],
    names: dict[int, str],
    digit_cells: dict[int, str] | None = None,
) -> None:
    """The line above the table, the table (every column that fits the screen; the class's
    digits once it has some) and the CSV."""
    st.markdown(summary(lines, rows, names))
    shown = class_table.shown_rows(lines, ROWS_MOST)
    with st.container(key="class_leaderboard"):
        table = class_table.board_html(shown, big=projector(), class_digits=digit_cells)
        st.html(class_table.STYLE + table)
    if len(shown) < len(lines):
        st.caption(
            f"The best {ROWS_MOST} runs are here, and all of yours. The CSV has all "
            f"{len(lines)} runs."
        )
    st.download_button(
        "Download the table (CSV)",
        data=functools.partial(class_data.csv_bytes, rows, names),
        file_name="class_runs.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        help="Every run with all its settings, its test accuracy on each digit, its time and "
        "its steps, for a spreadsheet. Names are as shown here.",
    )


def summary(lines: list[class_data.BoardRow], rows: list[RunRow], names: dict[int, str]) -> str:
    """'**4 runs** by 3 students, 1 in progress; best 99.00% by Ben. Your best run is rank 2,
    with 98.50%.' (the last sentence for a student with a finished run)"""
    active = sum(r.status in ACTIVE for r in rows)
    students = len({name.casefold() for name in names.values()})
    text = f"**{_count(len(rows), 'run')}** by {_count(students, 'student')}, {active} in progress"
    ranked = [line for line in lines if line.rank is not None]
    if ranked:
        text += f"; best {ranked[0].accuracy:.2f}% by {plain(ranked[0].name)}"
    if mine := [line for line in ranked if line.you]:
        text += f". Your best run is rank {mine[0].rank}, with {mine[0].accuracy:.2f}%"
    return text + "."


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'s' * (n != 1)}"


def curves_section(
    store: RunStore, changed: tuple, rows: list[RunRow], names: dict, labels: dict
) -> None:
    """The filters and everyone's curves: one colour per student, `labels` as the names."""
    st.subheader("Everyone's validation curves")
    picked, chosen, text = curve_filters(rows, names)
    matched = class_data.matching(class_data.ranked(rows), names, picked, chosen, text)
    drawn = class_data.curve_runs(matched, CURVE_CAP)
    curves = _curves(store, store.where, changed, tuple(sorted(r.id for r in drawn)))
    colours = class_data.student_numbers(names)
    series = [
        class_charts.CurveRun(
            labels[r.id],
            colours[names[r.id]],
            r.id,
            run_table.settings_in_words(r.settings),
            curves[r.id],
        )
        for r in drawn
        if curves.get(r.id)
    ]
    chart(st, class_charts.curves_figure(series), key="class_curves")
    st.caption(curves_caption(series, matched))


def curves_caption(series: list, matched: list[RunRow]) -> str:
    """What the curves chart shows, and how to read it."""
    students = len({run.name for run in series})
    if len(matched) > CURVE_CAP:
        text = (
            f"Showing the best {CURVE_CAP} of the {len(matched)} runs that match. Choose "
            "nicknames or settings to see others."
        )
    else:
        text = (
            f"{len(series)} of the {len(matched)} runs that match have curves so far. Runs "
            "that blew up or learned nothing are left out."
        )
    if students > class_charts.LEGEND_MOST:
        return text + " Too many students to list by colour: point at a line to see whose it is."
    return text + " Each student has one colour. Their runs differ by the dashes."


def curve_filters(rows: list[RunRow], names: dict[int, str]) -> tuple[list, list, str]:
    """The three filters above the curves: nicknames, optimizers, and text in the settings."""
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
        help="Show only runs that used these optimizers.",
    )
    text = right.text_input(
        "Settings contain",
        key="class_text",
        placeholder="e.g. ReLU or learning rate 0.01",
        help="Show only runs whose settings or name have this text in them.",
    )
    return picked, chosen, text


def what_worked(rows: list[RunRow], labels: dict[int, str]) -> None:
    chart(st, class_charts.lr_figure(lr_points(rows, labels)), key="class_lr")
    st.caption(
        "Each dot is a finished run. Its colour is the optimizer it used. Which learning rates "
        "worked with which optimizer? Along the bottom: hollow circles learned nothing, and "
        "crosses blew up (diverged)."
    )


def lr_points(rows: list[RunRow], labels: dict[int, str]) -> list[dict]:
    """The finished and diverged runs for the 'What worked' chart, named as `labels` says."""
    return [
        {
            "lr": row.settings.get("lr"),
            "accuracy": row.test_accuracy if row.status != "diverged" else None,
            "nothing": class_data.learned_nothing(row),
            "optimizer": row.settings.get("optimizer", "?"),
            "name": labels[row.id],
            "settings": run_table.settings_in_words(row.settings),
        }
        for row in rows
        if row.settings.get("lr")
        and ((row.status in class_data.FINISHED and row.test_accuracy) or row.status == "diverged")
    ]
