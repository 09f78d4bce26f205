"""The Class page's part on the class's own handwriting (lenet.store.digits): how many of each
digit, a grid of them, each run's accuracy on them beside its MNIST test accuracy (a column of
the leaderboard, measured in the background by `demo.classroom.class_scores`), a chart of one
against the other, and the confusion matrix of a chosen run with its cells' digits."""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from demo.classroom.board import FINISHED
from demo.classroom.board import learned_nothing as class_data_nothing
from demo.classroom.class_scores import MEASURING, ClassScores, Score, measured_on
from demo.figures import digit_charts, inspect_charts
from demo.figures.reading_html import png_url
from demo.session.store_state import class_digit_set
from demo.ui.screen import chart
from lenet.store.digits import DigitSet
from lenet.store.runs import RunRow, RunStore

GRID_MOST = 120  # the newest digits drawn in the grid
CELL = "class_digits_cell"  # the clicked (true, predicted) cell of the confusion matrix
EMPTY = (
    "No class digits yet. On the Draw page, draw a digit, say which one it is (**This is a**) "
    "and press **Add it**: the class's own handwriting becomes a test set for every model here."
)


@st.cache_resource(show_spinner=False)
def scorer() -> ClassScores:
    return ClassScores()


def class_digits(store: RunStore, rows: list[RunRow]) -> tuple[DigitSet, dict]:
    """The set as it is now (read again only when it changed) and every finished run's score
    on it: a Score, None (no weights) or MEASURING."""
    digits = class_digit_set(store)
    if not digits.ids:
        return digits, {}
    finished = [r.id for r in rows if r.status in FINISHED and r.test_accuracy is not None]
    return digits, scorer().scores(store, finished, digits)


def column(digits: DigitSet, scores: dict) -> dict[int, str]:
    """The leaderboard's "Class digits" cells by run."""
    on = measured_on(digits, scores)
    return {run: shown(score, digits, on) for run, score in scores.items()}


def shown(score: Score | None | str, digits: DigitSet, on: np.ndarray) -> str:
    if score == MEASURING:
        return "measuring..."
    if score is None:
        return "–"
    right = score.accuracy(digits.labels, on)
    return "none kept aside yet" if right is None else f"{right:.1%}"


def digits_section(digits: DigitSet, scores: dict, rows: list[RunRow], labels: dict, hide: bool):
    st.subheader("The class's own digits")
    if not digits.ids:
        st.info(EMPTY, icon=":material/draw:")
        return
    counts = np.bincount(digits.labels, minlength=10)
    writers = len({name.casefold() for name in digits.names})
    on = measured_on(digits, scores)
    fair = (
        f" A run has learned from some of them, so every run is measured on the {int(on.sum())} "
        "kept aside (every fifth digit added: numbers 5, 10, 15 and so on), which no run "
        "learned from."
        if not on.all()
        else ""
    )
    st.markdown(
        f"**{len(digits.ids):,} digits** by {writers} student{'s' if writers != 1 else ''}: "
        + ", ".join(f"{d}: {n}" for d, n in enumerate(counts.tolist()))
        + ". The leaderboard's *Class digits* column is each run's accuracy on them."
        + fair
    )
    newest = slice(-GRID_MOST, None)  # the key: the newest digits' pixels, labels and names
    key = (digits.images[newest].tobytes(), digits.labels[newest].tobytes(), digits.names[newest])
    st.html(newest_grid(key, hide, digits))
    measured = {r: s for r, s in scores.items() if isinstance(s, Score)}
    right = {r: s.accuracy(digits.labels, on) for r, s in measured.items()}
    measured = {r: s for r, s in measured.items() if right[r] is not None}
    points = [
        {"mnist": row.test_accuracy, "class": right[row.id], "name": labels[row.id]}
        for row in rows
        if row.id in measured and not class_data_nothing(row)
    ]
    if points:
        chart(st, digit_charts.digits_figure(points), key="class_digits_chart")
        st.caption(
            "Each dot is a finished run. Right is better on MNIST's test set, up is better on "
            "the class's own digits. Dots under the grey line read the class's hand worse."
        )
        confusion(digits, measured, right, on, labels, hide)


@st.cache_data(max_entries=8, show_spinner=False)
def newest_grid(newest: tuple, hide: bool, _digits: DigitSet) -> str:
    """The newest GRID_MOST digits, drawn once per `newest` (their pixels, labels and names):
    every Class page refreshes each 5 s, and encoding 120 PNGs each time was most of the
    part's work."""
    return grid_html(_digits, range(len(_digits.ids))[-GRID_MOST:][::-1], hide)


def grid_html(digits: DigitSet, order, hide: bool) -> str:
    """The digits as small pictures (newest first), each with its label under it (a drawing
    labelled wrong shows at a glance, on a phone or a projector too) and titled with who drew
    it (unless names are hidden)."""
    cells = []
    for i in order:
        label = int(digits.labels[i])
        who = "" if hide else f" by {digits.names[i]}"
        title = html.escape(f"a {label}{who}")
        cells.append(
            '<figure style="margin:0;text-align:center;font-size:0.85rem;line-height:1.2">'
            f'<img src="{png_url(digits.images[i])}" width="42" height="42" title="{title}" '
            f'alt="{title}" style="image-rendering:pixelated;background:#000;display:block">'
            f'<figcaption aria-hidden="true">{label}</figcaption></figure>'
        )
    return f'<div style="display:flex;flex-wrap:wrap;gap:4px 6px">{"".join(cells)}</div>'


def confusion(
    digits: DigitSet, measured: dict, right: dict, on: np.ndarray, labels: dict, hide: bool
) -> None:
    kept = "" if on.all() else " kept aside"
    run = st.selectbox(
        "Confusion matrix of",
        list(measured),
        format_func=lambda r: f"{labels[r]}: {right[r]:.1%} on the class's digits{kept}",
        key="class_digits_run",
        help="Which run's readings of the class's digits to count: rows are the digit the "
        "student meant, columns what the run read. Click a cell to see its digits.",
    )
    predicted = np.array(measured[run].predicted)
    matrix = np.zeros((10, 10), np.int64)
    np.add.at(matrix, (digits.labels[on], predicted[on]), 1)
    cell = st.session_state.get(CELL)
    matrix_side, cells_side = st.columns([1.1, 1])
    chart(
        matrix_side,
        inspect_charts.confusion_figure(matrix, cell),
        key="class_confusion",
        on_select=_pick_cell,
        selection_mode="points",
    )
    with cells_side:
        if cell is None:
            st.info("Click a cell to see the class's digits in it.")
            return
        true, read = cell
        inside = np.nonzero(on & (digits.labels == true) & (predicted == read))[0]
        many = "digit" if len(inside) == 1 else "digits"
        st.markdown(f"**{len(inside)} {many} meant as {true}, read as {read}:**")
        st.html(grid_html(digits, inside[::-1][:GRID_MOST], hide))


def _pick_cell() -> None:
    points = st.session_state["class_confusion"]["selection"]["points"]
    if (cell := inspect_charts.cell_from_points(points)) is not None:
        st.session_state[CELL] = cell
