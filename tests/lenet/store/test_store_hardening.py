"""The run store against what the attacker review tried: passwords in odd places, URLs that are
no file, look-alike and invisible nicknames, runs whose trainer died, rows of the wrong shape
(another release, a hand edit), orphaned weights, and CSV cells that start a formula anyway."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from lenet.cli import runs
from lenet.store import table as run_table
from lenet.store.engine import parse_url, shown
from lenet.store.rows import now
from lenet.store.runs import StoreError, check_name, open_store, process_owner
from tests.demo.views.test_class_page import class_app, table


@pytest.mark.parametrize(
    "url",
    ["sqlite:///:memory:", "sqlite://", "postgresql+asyncpg://a@localhost/db", "mysql://a@b/c"],
)
def test_a_url_that_is_no_run_store_is_one_line(url):
    with pytest.raises(StoreError) as error:
        open_store(url)
    assert "\n" not in str(error.value) and "LENET_DATABASE_URL" in str(error.value)


def test_no_password_is_shown_not_even_one_in_the_query():
    url = parse_url("postgresql://lenet:pw1@localhost/db?password=TOPSECRET&sslmode=require")
    assert "TOPSECRET" not in shown(url) and "pw1" not in shown(url)
    assert shown(url) == "postgresql://lenet:***@localhost/db"


@pytest.mark.parametrize(
    ("given", "stored"),
    [("Ａlice", "Alice"), ("𝐀lice", "Alice"), ("  Zoë   K ", "Zoë K"), ("O'Neil", "O'Neil")],
)
def test_look_alike_letters_are_the_plain_ones(given, stored):
    assert check_name(given) == stored


@pytest.mark.parametrize(
    "given", ["\u3164", "Alice\u3164", "A\u115fb", "\ufb03" * 24, "ß" * 21, "a\u200bb", "_x"]
)
def test_invisible_or_too_long_nicknames_are_refused(given):
    with pytest.raises(StoreError, match="^A nickname is 1 to 24"):
        check_name(given)


def test_a_run_whose_trainer_went_silent_is_interrupted_and_a_beating_one_kept(store):
    silent = store.create("ada", {}, owner="cli:gone:1", status="running")
    beating = store.create("alan", {}, owner="app:here:8501", status="running")
    with store.engine.begin() as conn:  # ten minutes without a word from either
        conn.exec_driver_sql(
            "UPDATE runs SET updated_at = ? " if store.url.get_backend_name() == "sqlite"
            else "UPDATE runs SET updated_at = %s ", ((now() - timedelta(minutes=10)),)
        )  # fmt: skip
    assert store.touch("app:here:8501") == 1  # alan's server says it still trains
    assert store.expire(stale_s=300) == 1
    assert store.run(silent).status == "interrupted" and "stopped" in store.run(silent).message
    assert store.run(beating).status == "running"


def test_finished_runs_with_weights_newest_or_best(store):
    ids = {}
    for name, accuracy in [("ada", 0.9), ("ada", 0.95), ("bo", 0.99), ("cy", 0.5)]:
        ids[name, accuracy] = run_id = store.create(name, {"optimizer": "sgd"})
        store.finish(run_id, "done", [], {"test_accuracy": accuracy}, checkpoint=b"w")
    no_weights = store.create("ada", {})
    store.finish(no_weights, "done", [], {"test_accuracy": 1.0})
    own = store.with_weights_of("ADA", best=False, limit=5)
    assert [r.id for r in own] == [ids["ada", 0.95], ids["ada", 0.9]]
    best = store.with_weights_of(None, best=True, limit=2)
    assert [r.id for r in best] == [ids["bo", 0.99], ids["ada", 0.95]]


CRAFTED = [
    ("curves", '"notalist"'),
    ("curves", '[1, "x", {"step": 1, "epoch": 1, "val_accuracy": 0.5}]'),
    ("settings", "null"),
    ("per_class", "5"),
    ("app_settings", '{"preset": "quick"}'),
    ("app_settings", '"a string"'),
    ("test_accuracy", "high"),
    ("status", "weird"),
]


@pytest.fixture
def crafted(tmp_path, monkeypatch):
    """A SQLite store with one run of each crafted field, as another release or a hand edit
    might leave it."""
    url = f"sqlite:///{tmp_path / 'odd.db'}"
    monkeypatch.setenv("LENET_DATABASE_URL", url)
    store = open_store(url)
    for column, value in CRAFTED:
        run_id = store.create("odd", {"lr": 0.1, "optimizer": "sgd"}, owner=process_owner())
        store.finish(run_id, "done", [], {"test_accuracy": 0.9}, checkpoint=b"x")
        with sqlite3.connect(tmp_path / "odd.db") as conn:
            conn.execute(f"UPDATE runs SET {column} = ? WHERE id = ?", (value, run_id))
    yield store
    store.close()


def test_rows_of_the_wrong_shape_are_read_as_missing(crafted):
    rows = crafted.runs(with_curves=True)
    assert len(rows) == len(CRAFTED)
    for row in rows:
        assert isinstance(row.settings, dict) and all(isinstance(p, dict) for p in row.curves)
        assert row.per_class is None or isinstance(row.per_class, list)
        assert row.test_accuracy is None or isinstance(row.test_accuracy, float)
    assert {row.status for row in rows} <= {"done", "failed"}


def test_rows_of_the_wrong_shape_break_no_page_and_no_cli(crafted, monkeypatch, tmp_path, capsys):
    from demo.views.class_page import page as class_page
    from demo.views.train.runs import stored_run

    monkeypatch.setattr(class_page, "run_store", lambda: crafted)
    at = AppTest.from_function(class_app, default_timeout=30).run()
    assert not at.exception and len(table(at)) == len(CRAFTED)
    for row in crafted.runs(with_curves=True):
        run = stored_run(row, True)  # the Train page's "Your runs" entry
        assert run["values"]["epochs"] >= 1 and run["label"]
    for args in (["list"], ["list", "--json"], ["export", "--csv", str(tmp_path / "o.csv")]):
        assert runs.main(args) == 0
    for row in crafted.runs():
        assert runs.main(["show", str(row.id)]) == 0
    assert "Traceback" not in capsys.readouterr().err


def test_orphaned_weights_do_not_lock_the_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'o.db'}"
    store = open_store(url)
    run_id = store.create("ada", {})
    store.finish(run_id, "done", [], checkpoint=b"w")
    store.close()
    with sqlite3.connect(tmp_path / "o.db") as conn:  # the sqlite3 tool: foreign keys off
        conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
    again = open_store(url)
    assert again.create("bo", {}) > run_id
    again.close()


@pytest.mark.parametrize("text", [" =1+2", "＝1+2", "\t=1", "  @SUM(A1)"])
def test_a_cell_that_starts_a_formula_anyway_is_quoted(text):
    assert run_table.cell(text) == "'" + text
