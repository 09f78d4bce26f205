"""The Class page: its plain helpers (demo/classroom/board.py, demo/classroom/teacher.py) and the
page itself through AppTest, over a real SQLite run store filled through RunStore. The leaderboard's
HTML table, the charts' figures and the page's words: tests/demo/classroom/test_class_board.py."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest
from streamlit.testing.v1 import AppTest

import demo.views.class_page.page as class_page
from demo.classroom import board as class_data
from demo.classroom import teacher
from demo.figures import class_charts
from demo.session import teacher_key
from demo.training import slots
from demo.ui import screen
from lenet.store import table as run_table
from lenet.store.engine import parse_url
from lenet.store.runs import RunStore, open_store
from lenet.training.presets import PRESETS

KEY = "owl-42-lantern"


def settings(optimizer: str = "adamw", lr: float = 3e-3, activation: str = "relu") -> dict:
    config = PRESETS["fast"].config
    return replace(
        config, optimizer=optimizer, lr=lr, model=replace(config.model, activation=activation)
    ).to_dict()


def curves(final: float, evals: int = 4) -> list[dict]:
    return [
        {
            "step": 100 * (i + 1),
            "epoch": (i + 1) / 2,
            "train_loss": 0.5 / (i + 1),
            "train_accuracy": final - 0.01 * (evals - i),
            "val_loss": 0.4 / (i + 1),
            "val_accuracy": final - 0.01 * (evals - 1 - i),
            "event": "evaluation",
        }
        for i in range(evals)
    ]


def add_run(store: RunStore, name: str, accuracy: float | None, status: str = "done", **kw) -> int:
    """A run as the app records it: created, then updated or finished with results and weights."""
    run_id = store.create(name, settings(**kw))
    if status in ("queued", "running"):
        store.update(run_id, status=status, curves=curves(0.9, 2) if status == "running" else [])
        return run_id
    result = {"seconds": 12.5, "steps": 1688, "message": None}
    if accuracy is not None:
        result |= {"test_accuracy": accuracy, "per_class": [accuracy] * 10}
    store.finish(run_id, status, curves(accuracy or 0.1), result, checkpoint=b"w" * 64)
    return run_id


@pytest.fixture
def store(tmp_path):
    opened = open_store(f"sqlite:///{tmp_path / 'class.db'}")
    yield opened
    opened.close()


def class_app() -> None:
    """The Class page as demo/app.py runs it: the link read first, the address bar kept after."""
    from demo.views.class_page import page as class_page
    from demo.views.train import settings as train_settings

    train_settings.init_from_link()
    class_page.render()
    train_settings.sync_link()


@pytest.fixture
def page(store, monkeypatch):
    """The Class page over `store`, the server started with the teacher key KEY."""
    monkeypatch.setattr(class_page, "run_store", lambda: store)
    monkeypatch.setenv(teacher.ENV, KEY)
    teacher._gates.clear()  # the server's count of wrong keys starts afresh
    teacher._hidden_for_all.clear()  # and names are shown
    yield AppTest.from_function(class_app, default_timeout=30)
    teacher._hidden_for_all.clear()  # names hidden by a test stay in no other test


class BoardParser(HTMLParser):
    """The leaderboard's body rows: per row, each cell's text by its column (`c-name` -> name),
    and `you`: whether the row is highlighted as the viewer's."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict] = []
        self.body, self.cell, self.copy = False, None, False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        classes = dict(attrs).get("class") or ""
        self.copy = "cb-sub" in classes  # the settings again, under the name on a phone
        if tag == "tbody":
            self.body = True
        elif tag == "tr" and self.body:
            self.rows.append({"you": "cb-you" in classes})
        elif tag == "td":
            self.cell = classes.removeprefix("c-")
            self.rows[-1][self.cell] = ""
        elif self.cell:
            self.rows[-1][self.cell] += " "  # a span inside a cell: its own word

    def handle_endtag(self, tag: str) -> None:
        self.copy = False
        if tag == "td":
            self.rows[-1][self.cell] = " ".join(self.rows[-1][self.cell].split())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell and not self.copy:
            self.rows[-1][self.cell] += data


def board_rows(markup: str) -> list[dict]:
    parser = BoardParser()
    parser.feed(markup)
    return parser.rows


def board_markup(at: AppTest) -> str:
    (html,) = [h.proto.body for h in at.html if 'aria-label="Leaderboard"' in h.proto.body]
    return html


def table(at: AppTest) -> list[dict]:
    """The leaderboard's rows as the page shows them (see BoardParser)."""
    return board_rows(board_markup(at))


def _holds_board(node) -> bool:
    found = node.get("html") if hasattr(node, "get") else [node] if node.type == "html" else []
    return any('aria-label="Leaderboard"' in h.proto.body for h in found)


def column(at: AppTest, key: str) -> list[str]:
    return [row[key] for row in table(at)]


def summary(at: AppTest) -> str:
    """The line above the leaderboard: '**4 runs** by 4 students, ...'."""
    return next(m.value for m in at.markdown if m.value.startswith("**") and "** by " in m.value)


def figure_data(at: AppTest, title: str) -> list[dict]:
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if title in spec["layout"]["title"]["text"]:
            return spec["data"]
    raise AssertionError(f"no chart titled {title!r}")


def unlock(at: AppTest, key: str = KEY) -> AppTest:
    at.text_input(key="class_key").input(key).run()
    return at


def hide_toggle(at: AppTest) -> list:
    return [t for t in at.toggle if t.key == teacher.HIDE]


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label.startswith(label))


# ---- plain helpers ----


def test_short_settings_names_what_students_change():
    text = class_data.short_settings(settings("sgd", 0.1, "tanh"))
    assert text == "sgd lr 0.1 · 2 ep · batch 64 · tanh/max · onecycle"
    assert class_data.short_settings({}) == "lr ? · ? ep · batch ? · ?/?"


def test_ranked_puts_best_first_then_in_progress_then_failures(store):
    ids = {
        "low": add_run(store, "Low", 0.90),
        "best": add_run(store, "Best", 0.99),
        "tie": add_run(store, "Tie", 0.90),
        "stopped": add_run(store, "Stopped", 0.95, status="stopped"),
        "running": add_run(store, "Running", None, status="running"),
        "diverged": add_run(store, "Diverged", None, status="diverged"),
        "queued": add_run(store, "Queued", None, status="queued"),
    }
    order = class_data.ranked(store.runs())
    names = [r.name for r in order]
    assert names == ["Best", "Stopped", "Low", "Tie", "Queued", "Running", "Diverged"]
    assert class_data.ranks(order) == [1, 2, 3, 3, None, None, None]
    assert order[0].id == ids["best"]


def test_hidden_names_are_one_number_per_student_in_order_of_arrival(store):
    for name in ("Zoe", "amir", "Amir", "Zoe", "Bo"):
        add_run(store, name, 0.9)
    rows = store.runs()
    shown = class_data.shown_names(rows, hide=True)
    by_id = sorted(shown.items())
    assert [name for _, name in by_id] == [
        "Student 1", "Student 2", "Student 2", "Student 1", "Student 3",
    ]  # fmt: skip
    assert class_data.shown_names(rows, hide=False)[by_id[1][0]] == "amir"


def test_a_look_alike_name_is_marked_on_the_board(store):
    """Issue 28: "Mаya" (a Cyrillic а) after "Maya" cannot pass for her."""
    for name in ("Maya", "M\u0430ya", "maya", "Maia"):
        add_run(store, name, 0.9)
    shown = [name for _, name in sorted(class_data.shown_names(store.runs(), hide=False).items())]
    assert shown == ["Maya", "M\u0430ya (looks like Maya; \u0430: Cyrillic)", "Maya", "Maia"]
    hidden = [name for _, name in sorted(class_data.shown_names(store.runs(), hide=True).items())]
    assert hidden == ["Student 1", "Student 2", "Student 1", "Student 3"]


def test_when_is_a_time_today_and_a_date_otherwise():
    zone = timezone(timedelta(hours=2))
    stamp = datetime(2025, 3, 3, 12, 5, tzinfo=UTC)
    assert class_data.when(stamp, zone, date(2025, 3, 3)) == "14:05"
    assert class_data.when(stamp, zone, date(2025, 3, 4)) == "3 Mar"
    assert class_data.when(stamp, zone, date(2026, 1, 1)) == "3 Mar 2025"


def test_csv_has_every_column_guards_formulas_and_hides_names(store):
    add_run(store, "Ana", 0.97, optimizer="sgd", lr=0.05)
    add_run(store, "Ben", 0.99)
    rows = store.runs()
    text = class_data.csv_bytes(rows, class_data.shown_names(rows, hide=True)).decode("utf-8-sig")
    table_rows = list(csv.DictReader(io.StringIO(text)))
    assert list(table_rows[0]) == run_table.CSV_COLUMNS
    assert [r["name"] for r in table_rows] == ["Student 2", "Student 1"]  # Ben is best
    assert "Ana" not in text and "Ben" not in text
    assert table_rows[1]["optimizer"] == "sgd" and float(table_rows[1]["lr"]) == 0.05
    assert float(table_rows[0]["accuracy_digit_9"]) == 0.99
    assert table_rows[0]["seconds"] == "12.5" and table_rows[0]["steps"] == "1688"
    assert run_table.cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert run_table.cell("@x") == "'@x" and run_table.cell(-1.5) == -1.5


def test_filters_by_nickname_optimizer_and_text(store):
    add_run(store, "Ana", 0.97, optimizer="sgd", lr=0.05, activation="tanh")
    add_run(store, "Ben", 0.99)
    add_run(store, "Ana", 0.98)
    rows = class_data.ranked(store.runs())
    names = class_data.shown_names(rows, hide=False)
    assert [r.test_accuracy for r in class_data.matching(rows, names, ["Ana"])] == [0.98, 0.97]
    assert [r.name for r in class_data.matching(rows, names, optimizers=["adamw"])] == [
        "Ben",
        "Ana",
    ]
    assert [r.test_accuracy for r in class_data.matching(rows, names, text="TANH")] == [0.97]
    assert class_data.curve_runs(rows, 2) == rows[:2]


def test_key_gate_waits_after_five_wrong_keys():
    gate = teacher_key.KeyGate()
    assert [gate.attempt("nope", KEY, now=0.0) for _ in range(5)] == ["wrong"] * 5
    assert gate.attempt(KEY, KEY, now=1.0) == "wait"  # even the right key waits
    assert gate.wait_s(1.0) == 29
    assert gate.attempt(KEY, KEY, now=31.0) == "open" and gate.failures == 0
    assert teacher_key.key_matches(f" {KEY} ", KEY)
    assert not teacher_key.key_matches(KEY[:-1], KEY)


def test_lr_chart_colours_by_optimizer_and_marks_diverged():
    points = [
        {"lr": 0.1, "accuracy": 0.98, "optimizer": "sgd", "name": "A", "settings": "s"},
        {"lr": 3e-3, "accuracy": 0.99, "optimizer": "adamw", "name": "B", "settings": "s"},
        {"lr": 1.0, "accuracy": None, "optimizer": "sgd", "name": "C", "settings": "s"},
    ]
    fig = class_charts.lr_figure(points)
    assert [t.name for t in fig.data] == ["AdamW", "SGD", "diverged"]
    assert fig.layout.xaxis.type == "log"
    assert list(fig.data[2].y) == [95.0] and fig.data[2].marker.symbol == "x"
    assert list(fig.layout.yaxis.range) == [94.0, 100.5]  # from just below the lowest result


# ---- the page ----


def test_leaderboard_lists_the_class_best_first(store, page):
    add_run(store, "Ana", 0.97, optimizer="sgd", lr=0.05)
    add_run(store, "Ben", 0.99)
    add_run(store, "Cy", None, status="running")
    add_run(store, "Di", None, status="diverged", lr=1.0)
    at = page.run()
    assert not at.exception
    board = table(at)
    assert [row["name"] for row in board] == ["Ben", "Ana", "Cy", "Di"]
    assert [row["status"] for row in board] == ["finished", "finished", "running", "diverged"]
    assert [row["rank"] for row in board] == ["1", "2", "–", "–"]
    assert board[0]["accuracy"] == "99.00%" and board[2]["accuracy"] == "– running"
    assert board[1]["settings"].startswith("SGD, learning rate 0.05, 64 images a step")
    assert board[0]["time"] == "12.5 s" and board[3]["run"] == "#4"
    assert "4 runs** by 4 students, 1 in progress; best 99.00% by Ben" in summary(at)
    curves_drawn = figure_data(at, "Validation accuracy")
    assert [t["name"] for t in curves_drawn] == ["Ben", "Ana", "Cy"]  # diverged: left out
    points = figure_data(at, "What worked")
    assert {t["name"]: len(t["x"]) for t in points} == {"AdamW": 1, "SGD": 1, "diverged": 1}


def test_the_board_follows_the_store(store, page):
    at = page.run()
    assert "No runs yet" in at.info[0].value
    add_run(store, "Ana", 0.97)
    at.run()
    assert column(at, "name") == ["Ana"]


def test_curves_are_capped_and_filtered(store, page):
    for i in range(class_page.CURVE_CAP + 5):
        add_run(store, f"S{i}", 0.5 + i / 200, optimizer="sgd" if i % 2 else "adam")
    at = page.run()
    assert len(figure_data(at, "Validation accuracy")) == class_page.CURVE_CAP
    assert any(f"best {class_page.CURVE_CAP} of the 55" in c.value for c in at.caption)
    at.multiselect(key="class_names").select("S3").select("S54").run()
    assert [t["name"] for t in figure_data(at, "Validation accuracy")] == ["S54", "S3"]
    at.multiselect(key="class_names").unselect("S54").unselect("S3").run()
    at.multiselect(key="class_optimizers").select("adam").run()
    at.text_input(key="class_text").input("Learning rate 0.003").run()
    assert len(figure_data(at, "Validation accuracy")) == 28
    assert any("point at a line to see whose it is" in c.value for c in at.caption)  # 28 names


def test_without_the_key_nothing_can_be_deleted(store, page):
    add_run(store, "Ana", 0.97)
    at = page.run()
    assert not [b for b in at.button if "Delete" in b.label or "Clear" in b.label]
    assert not hide_toggle(at)
    unlock(at, "guess")
    assert [e.value for e in at.error] == ["That is not the teacher key."]
    assert not hide_toggle(at) and len(store.runs()) == 1


def test_the_key_hides_names_for_everyone_until_turned_off(store, page):
    add_run(store, "Ana", 0.97)
    add_run(store, "Ben", 0.99)
    student = page.run()  # a student's tab, open before the teacher hides the names
    at = unlock(AppTest.from_function(class_app, default_timeout=30).run())
    at.toggle(key=teacher.HIDE).set_value(True).run()
    assert teacher.names_hidden_for_all()
    for view in (at, student.run(), AppTest.from_function(class_app).run()):  # reloads too
        assert column(view, "name") == ["Student 2", "Student 1"]
        curves_drawn = figure_data(view, "Validation accuracy")
        assert [t["name"] for t in curves_drawn] == ["Student 2", "Student 1"]
        hovers = [point[0] for t in figure_data(view, "What worked") for point in t["customdata"]]
        assert sorted(hovers) == ["Student 1", "Student 2"]
        charts = json.dumps([json.loads(c.proto.spec) for c in view.get("plotly_chart")])
        assert "Ana" not in charts and "Ana" not in summary(view)
        assert "Ana" not in board_markup(view)
        assert any("hidden by the teacher" in c.value for c in view.caption)
    assert not hide_toggle(student)  # only the key turns it off
    button(at, "Lock").click().run()
    assert column(at, "name") == ["Student 2", "Student 1"]  # locking keeps it on
    unlock(at).toggle(key=teacher.HIDE).set_value(False).run()
    assert column(student.run(), "name") == ["Ben", "Ana"]


def test_the_link_hides_names_without_a_key_and_stays_in_the_address_bar(store, page):
    add_run(store, "Ana", 0.97)
    add_run(store, "Ben", 0.99)
    page.query_params["hide"] = "1"
    at = page.run()
    assert not at.exception and not at.warning
    assert column(at, "name") == ["Student 2", "Student 1"]
    assert any("hidden by this link (hide=1)" in c.value for c in at.caption)
    assert at.query_params["hide"] == "1" and at.query_params["preset"] == "classic"
    at.run()  # a rerun (and every page: sync_link) keeps it
    assert at.query_params["hide"] == "1"
    assert not teacher.names_hidden_for_all()  # this view only
    shown = AppTest.from_function(class_app, default_timeout=30).run()
    assert column(shown, "name") == ["Ben", "Ana"] and "hide" not in shown.query_params


@pytest.mark.parametrize("word", ["0", "off", "No", "maybe"])
def test_the_link_can_say_no_and_a_bad_word_is_a_notice(store, page, word):
    add_run(store, "Ana", 0.97)
    page.query_params["hide"] = word
    at = page.run()
    assert column(at, "name") == ["Ana"] and "hide" not in at.query_params
    if word == "maybe":
        assert [w.value for w in at.warning] == [
            "Ignored `hide=maybe` from the link: it must be 1 (names hidden on the Class page) "
            "or 0."
        ]
    else:
        assert not at.warning


def test_the_teacher_section_comes_first_and_tells_of_hide_1(page, store):
    add_run(store, "Ana", 0.97)
    at = page.run()
    (section,) = at.expander
    assert section.label == "Teacher" and not section.proto.expanded
    assert "/class?hide=1" in section.caption[0].value
    blocks = list(at.main.children.values())
    first = [i for i, block in enumerate(blocks) if block.type == "expander"]
    board = [i for i, b in enumerate(blocks) if _holds_board(b)]
    assert first and board and first[0] < board[0]  # before the board, not after it


def test_delete_and_clear_need_a_confirm(store, page):
    keep = add_run(store, "Ana", 0.97)
    gone = add_run(store, "Ben", 0.99)
    at = unlock(page.run())
    at.selectbox(key="class_delete_choice").set_value(gone).run()
    button(at, "Delete this run").click().run()
    assert len(store.runs()) == 2  # asked, not done
    asked = at.warning[0].value
    assert asked.startswith("Delete this run for good, with its curves and weights? Rank 1 · Ben")
    assert "99.00% · started " in asked and "AdamW, learning rate 0.003" in asked
    button(at, "Yes, delete").click().run()
    assert [r.id for r in store.runs()] == [keep] and store.checkpoint(gone) is None
    assert column(at, "name") == ["Ana"]
    assert at.success[0].value.startswith("Deleted: Rank 1 · Ben · 99.00%")
    button(at, "Clear the class").click().run()
    button(at, "Cancel").click().run()
    assert len(store.runs()) == 1
    button(at, "Clear the class").click().run()
    button(at, "Yes, delete").click().run()
    assert store.runs() == [] and "No runs yet" in at.info[0].value


def test_a_run_chosen_while_running_is_deleted_after_it_finished(store, page):
    running = add_run(store, "Ana", None, status="running")
    at = unlock(page.run())
    at.selectbox(key="class_delete_choice").set_value(running).run()
    assert at.selectbox(key="class_delete_choice").options[0].startswith("Running · Ana · started")
    store.finish(running, "done", curves(0.97), {"test_accuracy": 0.97})  # meanwhile
    late = add_run(store, "Ben", 0.99)  # a run started after the key was given
    at.run()
    choice = at.selectbox(key="class_delete_choice")
    assert choice.value == running and len(choice.options) == 2  # still the same run
    assert choice.options[0].startswith("Rank 1 · Ben · 99.00% · started ")  # as it is now
    assert choice.options[1].startswith("Running · Ana · started ")  # its words when chosen
    assert choice.index == 1 and late == running + 1
    button(at, "Delete this run").click().run()
    assert "Rank 2 · Ana · 97.00% ·" in at.warning[0].value  # its result now, in the confirm
    button(at, "Yes, delete").click().run()
    assert [r.id for r in store.runs()] == [late]


def test_no_teacher_key_says_how_to_set_one(store, page, monkeypatch):
    monkeypatch.delenv(teacher.ENV)
    at = page.run()
    assert any(f"{teacher.ENV}=" in m.value for m in at.markdown)
    assert not at.text_input


def test_a_store_that_cannot_be_read_is_one_notice(tmp_path, page, monkeypatch):
    broken = RunStore(parse_url(f"sqlite:///{tmp_path}"))  # a folder, not a database
    monkeypatch.setattr(class_page, "run_store", lambda: broken)
    at = page.run()
    assert not at.exception
    assert at.warning[0].value.startswith("Runs are not being saved in the class's run store:")
    assert str(tmp_path) in at.warning[0].value


def test_no_store_is_one_notice(page, monkeypatch):
    monkeypatch.setattr(class_page, "run_store", lambda: None)
    monkeypatch.setattr(class_page, "store_problem", lambda: "runs/lenet.db is read-only")
    at = page.run()
    assert not at.exception and len(at.warning) == 1
    assert "runs/lenet.db is read-only" in at.warning[0].value
    assert not [h for h in at.html if "Leaderboard" in h.proto.body]


def test_one_students_wrong_keys_never_lock_the_teachers_tab_out(page):
    """Issue 28: every client has one address (the server's own computer, or a proxy). A
    student's tab and their reloads are slowed; the teacher's tab still opens with the key."""

    def new_tab() -> AppTest:
        return AppTest.from_function(class_app, default_timeout=30).run()

    def try_key(at: AppTest, key: str) -> str:
        next(t for t in at.text_input if t.label == "Teacher key").set_value(key).run()
        return " ".join(e.value for e in at.error)

    teacher_tab = new_tab()
    student = new_tab()
    for _ in range(teacher.FREE_TRIES):
        assert "not the teacher key" in try_key(student, "not the key")
    assert try_key(student, KEY).startswith("Too many wrong keys")  # even the right key waits
    for reloads in range(1, 40):  # noqa: B007 (counted after)  a reload: two tries compared
        tab = new_tab()
        assert "not the teacher key" in try_key(tab, "guess")
        assert "not the teacher key" in try_key(tab, "guess 2")
        if "Too many wrong keys" in try_key(tab, "guess again"):
            break  # the address has been wrong too often: a tab wrong twice waits
    wrong = teacher.FREE_TRIES + 3 * (reloads - 1) + 2  # every wrong key of the address
    assert wrong - 3 < teacher_key.ADDRESS_FREE_TRIES <= wrong
    assert "not the teacher key" in try_key(teacher_tab, "owl-42-lanterm")  # the teacher's typo
    assert try_key(teacher_tab, KEY) == ""  # then the key: compared, opened
    assert any(b.label.startswith("Delete") for b in teacher_tab.button)


def test_a_key_shorter_than_eight_characters_is_refused_in_one_line(store, page, monkeypatch):
    monkeypatch.setenv(teacher.ENV, "owl-42")
    at = page.run()
    assert [w.value for w in at.warning] == [
        f"{teacher.ENV} is shorter than 8 characters: refused, the teacher's tools stay locked "
        "until the server is started with a longer key."
    ]
    assert not at.text_input and teacher.teacher_key() is None
    assert teacher_key.key_problem() in slots.environment_problems()


def test_one_student_is_one_spelling_everywhere(store, page):
    add_run(store, "Maya", 0.97)
    add_run(store, "Ben", 0.95)
    add_run(store, "maya", 0.99)
    at = page.run()
    assert column(at, "name") == ["Maya", "Maya", "Ben"]  # her first run's spelling
    assert "**3 runs** by 2 students" in summary(at)
    assert at.multiselect(key="class_names").options == ["Ben", "Maya"]
    assert [t["name"] for t in figure_data(at, "Validation accuracy")] == ["Maya", "Maya", "Ben"]
    rows = store.runs()
    text = class_data.csv_bytes(rows, class_data.shown_names(rows, hide=False)).decode()
    assert "maya" not in text and text.count("Maya") == 2


def test_identical_runs_are_separate_dots_and_ticks_are_decades():
    same = {"lr": 3e-3, "accuracy": 0.99, "optimizer": "adamw", "settings": "s"}
    points = [{**same, "name": n} for n in ("A", "B", "C")]
    points.append({"lr": 0.1, "accuracy": 0.98, "optimizer": "sgd", "name": "D", "settings": "s"})
    fig = class_charts.lr_figure(points)
    adamw = fig.data[0]
    assert len(set(adamw.x)) == 3 and list(adamw.y) == [99.0] * 3
    assert all(abs(x / 3e-3 - 1) < 0.1 for x in adamw.x)  # side by side, near their rate
    assert [c[2] for c in adamw.customdata] == [3e-3] * 3  # the hover says the real rate
    assert list(class_charts.lr_figure(points).data[0].x) == list(adamw.x)  # the same each time
    assert fig.layout.xaxis.dtick == 1 and fig.layout.xaxis.tickfont.size >= 14
    assert list(fig.layout.xaxis.range) == [-3.05, 0.05]  # 10^-3 .. 10^0: decades labelled
    assert list(fig.data[1].x) == [0.1]  # alone at its rate: where it is


def test_csv_accuracies_are_rounded_fractions_and_statuses_as_stored(store):
    run = store.create("Ana", settings())
    noisy = 0.9532999992370605
    store.finish(run, "stopped", [], {"test_accuracy": noisy, "per_class": [noisy] * 10})
    rows = store.runs()
    (line,) = csv.DictReader(io.StringIO(class_data.csv_bytes(rows, {}).decode("utf-8-sig")))
    assert line["test_accuracy"] == "0.9533" and line["accuracy_digit_0"] == "0.9533"
    assert line["status"] == "stopped"


def test_a_student_finds_their_own_runs_with_names_shown_or_hidden(store, page):
    add_run(store, "Maya", 0.97)
    add_run(store, "Ben", 0.99)
    add_run(store, "maya", 0.98)
    page.session_state["nickname"] = "MAYA"  # any case: one student
    at = page.run()
    assert [(r["name"], r["you"]) for r in table(at)] == [
        ("Ben", False), ("Maya (you)", True), ("Maya (you)", True),
    ]  # fmt: skip
    assert summary(at).endswith("Your best run is rank 2, with 98.00%.")
    assert [t["name"] for t in figure_data(at, "Validation accuracy")] == [
        "Ben", "Maya (you)", "Maya (you)",
    ]  # fmt: skip
    hidden = AppTest.from_function(class_app, default_timeout=30)
    hidden.query_params["hide"] = "1"  # a new tab: the link is read once per session
    hidden.session_state["nickname"] = "maya"
    hidden.run()
    assert column(hidden, "name") == ["Student 2", "Student 1 (you)", "Student 1 (you)"]
    assert "Maya" not in board_markup(hidden) and "Maya" not in summary(hidden)


def test_the_projector_view_has_larger_table_text(store, page):
    add_run(store, "Ana", 0.97)
    assert 'class="cb-box" role="region"' in board_markup(page.run())
    page.session_state[screen.VIEW] = True  # what demo.ui.screen.init_view makes of view=projector
    assert 'class="cb-box cb-big" role="region"' in board_markup(page.run())


def test_every_word_on_the_page_is_plain(store, page):
    """Captions, help texts, notices and placeholders of a sentence or more read at grade 10
    or below (Flesch-Kincaid), in every state of the page and the teacher's tools."""
    textstat = pytest.importorskip("textstat")
    for i in range(class_charts.LEGEND_MOST + 1):  # a class too big for a legend: its caption
        add_run(store, f"S{i}", 0.9 + i / 200)
    add_run(store, "Eli", 0.098)
    texts: list[str] = []
    at = page.run()
    texts += page_texts(at)
    unlock(at).toggle(key=teacher.HIDE).set_value(True).run()
    at.selectbox(key="class_delete_choice").set_value(1).run()
    button(at, "Delete this run").click().run()
    texts += page_texts(at)
    button(at, "Cancel").click().run()
    button(at, "Clear the class").click().run()
    texts += page_texts(at)
    sentences = [t for t in dict.fromkeys(texts) if len(t.split()) >= 4]
    assert len(sentences) > 15
    hard = {t: textstat.flesch_kincaid_grade(t) for t in sentences}
    assert not {t: g for t, g in hard.items() if g > 10}
    assert not [t for t in sentences if re.search(r"\b(lr|ep|imgs)\b|Run column", t)]


def page_texts(at: AppTest) -> list[str]:
    """What the Class page says (not the header's or the glossary's words, tested elsewhere)."""
    texts = [e.value for kind in ("caption", "info", "warning", "success", "error")
             for e in getattr(at, kind)]  # fmt: skip
    texts += [m.value for m in at.markdown if "** by " in m.value]
    widgets = [w for kind in ("button", "toggle", "text_input", "selectbox", "multiselect")
               for w in getattr(at, kind) if w.key != "projector_switch"]  # fmt: skip
    texts += [w.help for w in widgets] + [getattr(w, "placeholder", "") for w in widgets]
    texts += [d.proto.help for d in at.get("download_button")]
    return [re.sub(r"[*`]", "", t) for t in texts if t]
