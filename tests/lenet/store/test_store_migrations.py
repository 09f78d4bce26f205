"""Schema migrations on real databases: the first release's store file (tests/fixtures/
runs_v1.db, made by scripts/make_old_store.py) opens in today's release with every run and its
weights, on SQLite and on PostgreSQL; down and up again keeps them; two servers starting on a
fresh store at once both open it; the minibatch curves' table (0004) comes and goes alone; the
look-alike keys (0005) find old runs by a look-alike name."""

from __future__ import annotations

import shutil
import sqlite3

import numpy as np
import pytest
import sqlalchemy as sa
import torch
from alembic.config import Config
from alembic.script import ScriptDirectory

from lenet.files.checkpoint import load_checkpoint_bytes
from lenet.model import LeNet5
from lenet.store.engine import MIGRATIONS, VERSION_TABLE, create_engine, parse_url
from lenet.store.runs import open_store
from lenet.training.batch_curve import BatchPoint, to_json
from scripts.make_old_store import RUNS, first_checkpoint, make_old_store, move_schema
from tests.paths import FIXTURES

FIXTURE = FIXTURES / "runs_v1.db"


def head() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def revision(url: str) -> list[str]:
    engine = sa.create_engine(parse_url(url))
    with engine.connect() as conn:
        found = list(conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())
    engine.dispose()
    return found


@pytest.fixture
def old_store_url(store_url) -> str:
    """A store as the first release left it: the fixture file, or the same on PostgreSQL."""
    if store_url.startswith("sqlite"):
        shutil.copy(FIXTURE, store_url.removeprefix("sqlite:///"))
    else:
        make_old_store(store_url, first_checkpoint())
    assert revision(store_url) == ["0001"]
    return store_url


def test_the_fixture_is_the_first_releases_schema():
    with sqlite3.connect(f"file:{FIXTURE}?mode=ro", uri=True) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(runs)")}
        assert conn.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchall() == [("0001",)]
        assert conn.execute("SELECT count(*) FROM run_weights").fetchone() == (1,)
    assert "name_key" not in columns and "owner" not in columns and "name" in columns
    assert FIXTURE.stat().st_size < 400_000


def check_migrated(url: str) -> None:
    """Every run of the first release is there, found by nickname, with its weights."""
    store = open_store(url)
    try:
        assert revision(url) == [head()]
        rows = {row.name: row for row in store.runs(with_curves=True)}
        assert set(rows) == {name for name, *_ in RUNS}
        for name, status, accuracy, message, _keep in RUNS:
            row = rows[name]
            assert (row.status, row.test_accuracy, row.message) == (status, accuracy, message)
            assert row.updated_at == row.finished_at and row.updated_at.tzinfo is not None
            assert row.owner == "" and row.settings["optimizer"] == "adam" and row.curves
        assert [row.name for row in store.runs(name="ZOË")] == ["Zoë"]
        assert [row.name for row in store.runs(name="BOB SMITH ")] == ["bob Smith"]
        assert [row.name for row in store.runs(name="Аlice")] == ["Alice"]  # a Cyrillic А (0005)
        alice = rows["Alice"].id
        assert store.with_weights([r.id for r in rows.values()]) == {alice}
        model, _ = load_checkpoint_bytes(store.checkpoint(alice), "run1")
        torch.manual_seed(0)
        built = LeNet5()
        assert all(torch.equal(model.state_dict()[k], v) for k, v in built.state_dict().items())
        new = store.create("Zoe", {})  # and it takes new runs after the old ones
        assert new > max(r.id for r in rows.values())
        assert store.runs(name="zoe")[0].id == new
    finally:
        store.close()


def test_the_first_releases_store_opens_with_every_run(old_store_url):
    check_migrated(old_store_url)


def test_opening_a_migrated_store_again_changes_nothing(old_store_url):
    open_store(old_store_url).close()
    engine = create_engine(parse_url(old_store_url))
    with engine.connect() as conn:
        schema = sorted(sa.inspect(conn).get_table_names())
        before = conn.execute(sa.text("SELECT id, name_key, updated_at FROM runs")).all()
    open_store(old_store_url).close()
    with engine.connect() as conn:
        assert sorted(sa.inspect(conn).get_table_names()) == schema
        assert conn.execute(sa.text("SELECT id, name_key, updated_at FROM runs")).all() == before
    engine.dispose()
    assert revision(old_store_url) == [head()]


def test_down_to_the_first_schema_and_up_again_keeps_every_run(old_store_url):
    open_store(old_store_url).close()
    engine = create_engine(parse_url(old_store_url))
    move_schema(engine, "0001", down=True)
    assert revision(old_store_url) == ["0001"]
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM run_weights")).scalar() == 1
        columns = {c["name"] for c in sa.inspect(conn).get_columns("runs")}
        if conn.dialect.name == "sqlite":  # a copied table keeps ids from ever coming back
            sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'runs'")
            assert "AUTOINCREMENT" in sql.scalar()
    assert "name_key" not in columns
    engine.dispose()
    check_migrated(old_store_url)


def open_and_count(url: str, barrier) -> None:
    """A server starting: opens the store (migrating it if it is the first) and reads it."""
    barrier.wait(timeout=60)
    store = open_store(url)
    store.runs()
    store.close()


def test_two_servers_starting_on_a_fresh_store_both_open_it(store_url, spawn):
    barrier = spawn.Barrier(3)
    servers = [spawn.Process(target=open_and_count, args=(store_url, barrier)) for _ in range(3)]
    for server in servers:
        server.start()
    for server in servers:
        server.join(timeout=120)
    assert [server.exitcode for server in servers] == [0, 0, 0]
    assert revision(store_url) == [head()]


def test_the_first_releases_store_upgrades_with_no_curves_and_takes_new_ones(old_store_url):
    """Issue 24: old runs have no minibatch curve; new ones keep theirs; one step down loses
    the curves and nothing else."""
    store = open_store(old_store_url)
    try:
        assert revision(old_store_url) == [head()] and head() == "0006"
        assert all(store.batch_curve(row.id) == () for row in store.runs())
        new = store.create("Zoe", {})
        curve = to_json([BatchPoint(s, s / 10, 1.0, 0.1) for s in range(1, 6)])
        store.finish(new, "done", [], {}, None, curve)
        assert [p.step for p in store.batch_curve(new)] == [1, 2, 3, 4, 5]
    finally:
        store.close()
    engine = create_engine(parse_url(old_store_url))
    move_schema(engine, "0003", down=True)  # down one step: the curves go, the runs stay
    with engine.connect() as conn:
        assert "run_batch_curves" not in sa.inspect(conn).get_table_names()
        assert conn.execute(sa.text("SELECT count(*) FROM runs")).scalar() == 4
    engine.dispose()
    store = open_store(old_store_url)
    try:
        assert store.batch_curve(new) == () and len(store.runs()) == 4
    finally:
        store.close()


def test_the_class_digits_table_comes_with_0006_and_goes_alone(old_store_url):
    """Issue 27: the first release's store gains the class's digits and keeps every run; one
    step down drops the digits and nothing else."""
    store = open_store(old_store_url)
    try:
        digit = np.zeros((28, 28), np.uint8)
        digit[4:24, 12:16] = 255  # a 1
        store.add_digit("Alice", 1, digit)
        assert [d.label for d in store.class_digits("alice")] == [1]
    finally:
        store.close()
    check_migrated(old_store_url)
    engine = create_engine(parse_url(old_store_url))
    move_schema(engine, "0005", down=True)
    with engine.connect() as conn:
        assert "class_digits" not in sa.inspect(conn).get_table_names()
        assert conn.execute(sa.text("SELECT count(*) FROM runs")).scalar() == len(RUNS) + 1
    engine.dispose()
    store = open_store(old_store_url)  # and up again: an empty set
    try:
        assert store.class_digits() == [] and store.digit_set().images.shape == (0, 28, 28)
    finally:
        store.close()
