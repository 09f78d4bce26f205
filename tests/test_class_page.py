"""The Class page: its plain helpers (demo/class_data.py, demo/teacher.py) and the page itself
through AppTest, over a real SQLite run store filled through RunStore."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from streamlit.testing.v1 import AppTest

import demo.views.class_page as class_page
from demo import class_charts, class_data, teacher
from lenet import run_table
from lenet.presets import PRESETS
from lenet.store import RunStore, open_store
from lenet.store_engine import parse_url

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
    from demo.views import class_page

    class_page.render()


@pytest.fixture
def page(store, monkeypatch):
    """The Class page over `store`, the server started with the teacher key KEY."""
    monkeypatch.setattr(class_page, "run_store", lambda: store)
    monkeypatch.setenv(teacher.ENV, KEY)
    return AppTest.from_function(class_app, default_timeout=30)


def table(at: AppTest):
    return at.dataframe[0].value


def figure_data(at: AppTest, title: str) -> list[dict]:
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if title in spec["layout"]["title"]["text"]:
            return spec["data"]
    raise AssertionError(f"no chart titled {title!r}")


def unlock(at: AppTest, key: str = KEY) -> AppTest:
    at.text_input(key="class_key").input(key).run()
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label.startswith(label))


# ---- plain helpers ----


def test_short_settings_names_what_students_change():
    text = class_data.short_settings(settings("sgd", 0.1, "tanh"))
    assert text == "sgd lr 0.1 · 4 ep · batch 128 · tanh/max · onecycle"
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
    gate = teacher.KeyGate()
    assert [gate.attempt("nope", KEY, now=0.0) for _ in range(5)] == ["wrong"] * 5
    assert gate.attempt(KEY, KEY, now=1.0) == "wait"  # even the right key waits
    assert gate.wait_s(1.0) == 29
    assert gate.attempt(KEY, KEY, now=31.0) == "open" and gate.failures == 0
    assert teacher.key_matches(f" {KEY} ", KEY) and not teacher.key_matches(KEY[:-1], KEY)


def test_lr_chart_colours_by_optimizer_and_marks_diverged():
    points = [
        {"lr": 0.1, "accuracy": 0.98, "optimizer": "sgd", "name": "A", "settings": "s"},
        {"lr": 3e-3, "accuracy": 0.99, "optimizer": "adamw", "name": "B", "settings": "s"},
        {"lr": 1.0, "accuracy": None, "optimizer": "sgd", "name": "C", "settings": "s"},
    ]
    fig = class_charts.lr_figure(points)
    assert [t.name for t in fig.data] == ["adamw", "sgd", "diverged"]
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
    assert list(board["Nickname"]) == ["Ben", "Ana", "Cy", "Di"]
    assert list(board["Status"]) == ["finished", "finished", "running", "diverged"]
    assert board["Test accuracy"][0] == pytest.approx(99.0)
    assert board["Settings"][1].startswith("sgd lr 0.05")
    assert "4 runs** by 4 students, 1 in progress; best 99.00% by Ben" in at.markdown[0].value
    curves_drawn = figure_data(at, "Validation accuracy")
    assert [t["name"] for t in curves_drawn] == ["Ben", "Ana", "Cy"]  # diverged: left out
    points = figure_data(at, "What worked")
    assert {t["name"]: len(t["x"]) for t in points} == {"adamw": 1, "sgd": 1, "diverged": 1}


def test_the_board_follows_the_store(store, page):
    at = page.run()
    assert "No runs yet" in at.info[0].value
    add_run(store, "Ana", 0.97)
    at.run()
    assert list(table(at)["Nickname"]) == ["Ana"]


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
    at.text_input(key="class_text").input("lr 0.003").run()
    assert len(figure_data(at, "Validation accuracy")) == 28


def test_without_the_key_nothing_can_be_deleted(store, page):
    add_run(store, "Ana", 0.97)
    at = page.run()
    assert not [b for b in at.button if "Delete" in b.label or "Clear" in b.label]
    assert not at.toggle
    unlock(at, "guess")
    assert [e.value for e in at.error] == ["That is not the teacher key."]
    assert not at.toggle and len(store.runs()) == 1


def test_the_key_unlocks_hidden_names_everywhere(store, page):
    add_run(store, "Ana", 0.97)
    add_run(store, "Ben", 0.99)
    at = unlock(page.run())
    at.toggle(key=teacher.HIDE).set_value(True).run()
    assert list(table(at)["Nickname"]) == ["Student 2", "Student 1"]
    assert [t["name"] for t in figure_data(at, "Validation accuracy")] == ["Student 2", "Student 1"]
    hovers = [point[0] for t in figure_data(at, "What worked") for point in t["customdata"]]
    assert sorted(hovers) == ["Student 1", "Student 2"]
    assert "Ana" not in json.dumps([json.loads(c.proto.spec) for c in at.get("plotly_chart")])
    button(at, "Lock").click().run()
    assert list(table(at)["Nickname"]) == ["Ben", "Ana"]


def test_delete_and_clear_need_a_confirm(store, page):
    keep = add_run(store, "Ana", 0.97)
    gone = add_run(store, "Ben", 0.99)
    at = unlock(page.run())
    at.selectbox(key="class_delete_choice").set_value(gone).run()
    button(at, "Delete this run").click().run()
    assert len(store.runs()) == 2  # asked, not done
    button(at, "Yes, delete").click().run()
    assert [r.id for r in store.runs()] == [keep] and store.checkpoint(gone) is None
    assert list(table(at)["Nickname"]) == ["Ana"]
    assert at.success[0].value == f"Run #{gone} deleted."
    button(at, "Clear the class").click().run()
    button(at, "Cancel").click().run()
    assert len(store.runs()) == 1
    button(at, "Clear the class").click().run()
    button(at, "Yes, delete").click().run()
    assert store.runs() == [] and "No runs yet" in at.info[0].value


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
    assert not at.dataframe
