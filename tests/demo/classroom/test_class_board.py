"""The Class page's pieces in plain Python: the leaderboard's HTML table
(demo/figures/class_table.py), the rows it is built from (demo/classroom/board.py), the curves and
"What worked" figures (demo/figures/class_charts.py) and the teacher's list of runs to delete
(demo/classroom/teacher.py)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from demo.classroom import board as class_data
from demo.classroom import tools as teacher_tools
from demo.classroom.board import BoardRow
from demo.figures import class_charts, class_table
from tests.demo.views.test_class_page import (  # noqa: F401 (a fixture)
    add_run,
    board_rows,
    curves,
    store,
)

TODAY = date(2025, 3, 3)


def line(name: str = "Ana", **changes) -> BoardRow:
    values = dict(
        rank=1, name=name, you=False, accuracy=99.12, status="finished",
        settings="AdamW, learning rate 0.003, 64 images a step, one pass over 10,000 images",
        seconds=12.5, when="14:05", run=7,
    )  # fmt: skip
    return BoardRow(**(values | changes))


# ---- the table ----


def test_the_table_has_every_column_with_headers_a_caption_and_a_region():
    markup = class_table.board_html([line()])
    heads = re.findall(r'<th scope="col" class="c-(\w+)">([^<]+)</th>', markup)
    assert [key for key, _ in heads] == [
        "rank", "name", "accuracy", "status", "settings", "time", "when", "run",
    ]  # fmt: skip
    assert dict(heads)["accuracy"] == "Test accuracy"
    assert "<caption" in markup and 'role="region" aria-label="Leaderboard"' in markup
    (row,) = board_rows(markup)
    assert row == {
        "you": False, "rank": "1", "name": "Ana", "accuracy": "99.12%", "status": "finished",
        "settings": "AdamW, learning rate 0.003, 64 images a step, one pass over 10,000 images",
        "time": "12.5 s", "when": "14:05", "run": "#7",
    }  # fmt: skip
    assert "tabindex" not in markup  # a table that does not scroll is no tab stop


def test_every_value_is_escaped():
    markup = class_table.board_html([line("<b>x</b>", settings='<img src=x onerror="1">')])
    assert "<b>x</b>" not in markup and "&lt;b&gt;x&lt;/b&gt;" in markup
    assert "<img" not in markup and "&lt;img src=x onerror=&quot;1&quot;&gt;" in markup
    assert board_rows(markup)[0]["name"] == "<b>x</b>"
    assert "\n" not in board_rows(class_table.board_html([line("a\nb")]))[0]["name"]


def test_narrow_screens_hide_the_least_needed_columns_and_stack_the_rest():
    rule = r"max-width: (\d+)em\) \{ \.cb \.c-(\w+) \{ display: none"
    hidden = {key: int(width) for width, key in re.findall(rule, class_table.STYLE)}
    assert hidden == {"status": 44, "settings": 44, "time": 50, "run": 58}  # rank, name, ... stay
    stacked = (
        f"max-width: {class_table.STACK_BELOW}em) {{ .cb .cb-why, .cb .cb-sub {{ display: block"
    )
    assert stacked in class_table.STYLE  # settings under the name, status under the accuracy
    assert "white-space: nowrap" in re.search(r"td\.c-accuracy[^}]*}", class_table.STYLE)[0]
    markup = class_table.board_html([line(status="learned nothing", accuracy=9.8)])
    assert '<span class="cb-sub">AdamW, learning rate 0.003' in markup
    assert '<span class="cb-why"><span class="cb-bad">learned nothing</span></span>' in markup


def test_a_long_class_scrolls_in_a_box_the_keyboard_reaches():
    rows = [line(rank=i + 1, run=i + 1) for i in range(class_table.SCROLL_FROM + 1)]
    markup = class_table.board_html(rows, big=True)
    assert markup.startswith('<div class="cb-box cb-big cb-scroll" role="region" ')
    assert 'tabindex="0"' in markup and ".cb-box.cb-scroll { max-height:" in class_table.STYLE
    assert len(board_rows(markup)) == class_table.SCROLL_FROM + 1
    mine = line(rank=90, you=True)
    assert class_table.shown_rows([*rows, mine], 5) == [*rows[:5], mine]


def test_settings_of_the_wrong_shape_do_not_break_the_board():
    from lenet.store.table import settings_in_words

    assert settings_in_words({"train_size": "x"}).endswith("over all 54,000 images")
    assert settings_in_words({"model": "x"}, full=True).startswith("?, learning rate ?")


def test_a_run_that_learned_the_class_digits_says_so_in_its_settings():
    from lenet.store.table import settings_in_words

    words = settings_in_words({"epochs": 1, "train_size": 10_000, "class_digits": "3f2a9c01b7de"})
    assert words.endswith("one pass over 10,000 images and the class's digits")
    assert "class" not in settings_in_words({"epochs": 1, "class_digits": None})


def test_durations_read_as_words():
    assert [class_table.duration(s) for s in (None, 12.54, 245, 3720)] == [
        "–", "12.5 s", "4 min 05 s", "1 h 02 min",
    ]  # fmt: skip


def _contrast(one: str, two: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(one), luminance(two)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_every_text_colour_passes_wcag_aa():
    t = class_table
    for text in (t.TEXT, t.SUBTEXT, t.WARN):
        for background in ("#ffffff", t.HEAD_BG, t.YOU_BG):
            assert _contrast(text, background) >= 4.5, (text, background)
    assert _contrast(class_charts.FAILED_GREY, "#ffffff") >= 4.5


# ---- the rows ----


def test_you_are_marked_with_names_hidden_and_runs_that_learned_nothing_say_so(store):  # noqa: F811
    add_run(store, "Maya", 0.98)
    add_run(store, "Ben", 0.099)  # finished at chance
    add_run(store, "maya", 0.101, status="stopped")
    add_run(store, "Cy", None, status="diverged")
    rows = store.runs()
    names = class_data.shown_names(rows, hide=True)
    board = class_data.leaderboard(rows, names, UTC, TODAY, me="MAYA")
    assert [(b.name, b.you, b.status) for b in board] == [
        ("Student 1", True, "finished"),
        ("Student 1", True, "learned nothing"),
        ("Student 2", False, "learned nothing"),
        ("Student 3", False, "diverged"),
    ]
    shown = board_rows(class_table.board_html(board))
    assert [(r["name"], r["you"]) for r in shown[:3]] == [
        ("Student 1 (you)", True), ("Student 1 (you)", True), ("Student 2", False),
    ]  # fmt: skip
    assert board[0].settings.startswith("AdamW, learning rate 0.003, 64 images a step")
    assert class_data.leaderboard(rows, names, UTC, TODAY)[0].you is False  # nobody: no mark
    assert [r.name for r in class_data.curve_runs(class_data.ranked(rows), 10)] == ["Maya"]


# ---- the figures ----


def curve(name: str, student: int, run: int, final: float = 0.95) -> class_charts.CurveRun:
    return class_charts.CurveRun(name, student, run, "Adam, learning rate 0.001", curves(final))


def test_one_legend_entry_and_one_colour_per_student_and_dashes_per_run():
    series = [curve(f"S{i % 5}", i % 5, i, 0.9 + i / 100) for i in range(11)]  # 11 runs, 5 people
    fig = class_charts.curves_figure(series)
    assert fig.layout.showlegend is True
    shown = [t.name for t in fig.data if t.showlegend]
    assert shown == ["S0", "S1", "S2", "S3", "S4"]
    for student in range(5):
        theirs = [t for t in fig.data if t.name == f"S{student}"]
        assert len({t.line.color for t in theirs}) == 1 and theirs[0].legendgroup == f"S{student}"
        assert len({t.line.dash for t in theirs}) == len(theirs)  # each run its own dashes
    assert len({t.line.color for t in fig.data}) == 5


def test_identical_curves_all_show_and_each_hover_names_the_others():
    fig = class_charts.curves_figure([curve("Ana", 0, 1), curve("Ben", 1, 2), curve("Ana", 0, 3)])
    first, second, third = fig.data
    assert "Same curve: Ben (run 2), Ana (run 3)" in first.hovertemplate
    assert "Same curve: Ana (run 1), Ana (run 3)" in second.hovertemplate
    assert len({first.line.dash, second.line.dash, third.line.dash}) == 3
    assert first.line.width > third.line.width == second.line.width  # Ana's 1st: a halo round
    assert first.opacity == 0.5 and third.opacity is None  # her 3rd, in the same colour
    legend = sorted((t.legendrank, t.name, t.line.width) for t in fig.data if t.showlegend)
    assert legend == [(1, "Ana", 2.5), (2, "Ben", 2.5)]  # drawn plainly, in order of rank


def test_a_class_too_big_for_a_legend_is_named_on_hover():
    fig = class_charts.curves_figure(
        [curve(f"S{i}", i, i) for i in range(class_charts.LEGEND_MOST + 1)]
    )
    assert fig.layout.showlegend is False
    assert all(t.hovertemplate.startswith(f"<b>S{i}</b>") for i, t in enumerate(fig.data))
    escaped = class_charts.curves_figure([curve("<b>x</b>", 0, 1)]).data[0].hovertemplate
    assert escaped.startswith("<b>&lt;b>x&lt;/b></b>")


def test_what_worked_marks_runs_that_learned_nothing_apart():
    points = [
        {"lr": 3e-3, "accuracy": 0.99, "optimizer": "adamw", "name": "A", "settings": "s"},
        {"lr": 0.5, "accuracy": 0.098, "nothing": True, "optimizer": "sgd", "name": "B",
         "settings": "s"},
        {"lr": 2.0, "accuracy": None, "optimizer": "sgd", "name": "C", "settings": "s"},
    ]  # fmt: skip
    fig = class_charts.lr_figure(points)
    assert [t.name for t in fig.data] == ["AdamW", class_charts.NOTHING_LABEL, "diverged"]
    nothing, diverged = fig.data[1], fig.data[2]
    assert nothing.marker.symbol == "circle-open" and diverged.marker.symbol == "x"
    assert list(nothing.y) == list(diverged.y) == [96.0]  # along the bottom, not at 9.8%
    assert "learned nothing, %{customdata[3]:.2f}%" in nothing.hovertemplate
    assert fig.layout.yaxis.ticktext[0] == "failed" and fig.layout.yaxis.tickvals[0] == 96.0


# ---- the teacher's list ----


def test_the_delete_list_names_runs_as_the_table_shows_them(store):  # noqa: F811
    add_run(store, "Maya", 0.9812)
    add_run(store, "Ben", 0.99)
    add_run(store, "Cy", None, status="running")
    rows = class_data.ranked(store.runs())
    labels = teacher_tools.run_labels(rows, hide=False, me="maya", zone=UTC)
    started = class_data.when(rows[0].created_at, UTC, datetime.now(UTC).date())
    assert list(labels.values()) == [
        f"Rank 1 · Ben · 99.00% · started {started} · AdamW, learning rate 0.003, 64 images a "
        "step, two passes over all 54,000 images",
        f"Rank 2 · Maya (you) · 98.12% · started {started} · AdamW, learning rate 0.003, 64 "
        "images a step, two passes over all 54,000 images",
        f"Running · Cy · started {started} · AdamW, learning rate 0.003, 64 images a step, two "
        "passes over all 54,000 images",
    ]
    assert list(labels) == [r.id for r in rows]  # chosen by run id
    hidden = teacher_tools.run_labels(rows, hide=True, me="maya", zone=UTC)
    assert hidden[rows[1].id].startswith("Rank 2 · Student 1 (you) · 98.12%")
    assert not any("Run column" in label for label in labels.values())
    twin = add_run(store, "Cy", None, status="running")  # the same words as Cy's first run
    labels = teacher_tools.run_labels(class_data.ranked(store.runs()), hide=False, me="", zone=UTC)
    assert labels[twin].endswith(f"passes over all 54,000 images · run {twin}")
    assert len(set(labels.values())) == 4


@pytest.mark.parametrize("accuracy, status", [(0.199, "learned nothing"), (0.2, "finished")])
def test_chance_ends_at_20_percent(store, accuracy, status):  # noqa: F811
    add_run(store, "Ana", accuracy)
    assert class_data.status_words(store.runs()[0]) == status
