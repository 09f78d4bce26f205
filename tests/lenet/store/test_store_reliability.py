"""The run store under load and in trouble: 30 writers at once lose nothing, a locked database
is waited for and retried, and every database it cannot use (read-only, missing, damaged, not a
database, unreachable, newer) is one StoreError line, never a traceback.

Tests run as root here and in CI, and root writes to any chmod-ed file: a read-only file or
folder is made with `chattr +i` (immutable, which stops root too) when running as root."""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from lenet.store import engine as store_engine
from lenet.store.runs import RunStore, StoreError, open_store
from tests.paths import ROOT

# the writers' processes import this module: it keeps torch out (lenet.store.recorder imports it)
IN_CI = os.environ.get("CI") == "true"
PROCESSES, THREADS, UPDATES = 6, 5, 5
CHECKPOINT_BYTES = 250_000
PNG = ROOT / "docs" / "screenshots"


def checkpoint_of(writer: int) -> bytes:
    """A writer's 250 kB of weights, different for every writer."""
    return random.Random(writer).randbytes(CHECKPOINT_BYTES)


def write_runs(url: str, barrier, first: int) -> None:
    """One process of the crowd: THREADS writers, each a whole run, all let go at once."""
    store = open_store(url)
    failures: list[BaseException] = []

    def one_run(writer: int) -> None:
        try:
            barrier.wait(timeout=120)
            run_id = store.create(f"student {writer}", {"writer": writer}, owner=f"p{first}")
            store.update(run_id, status="running")
            curves: list[dict] = []
            for step in range(UPDATES):
                curves.append({"step": step, "val_accuracy": step / UPDATES})
                store.update(run_id, curves=list(curves))
            result = {"test_accuracy": writer / 100, "seconds": 1.0, "steps": UPDATES}
            store.finish(run_id, "done", curves, result, checkpoint_of(writer))
        except BaseException as error:  # reported by the exit code, shown on stderr
            failures.append(error)
            raise

    threads = [threading.Thread(target=one_run, args=(first + i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.close()
    if failures:
        raise SystemExit(f"{len(failures)} writers failed: {failures[0]!r}")


def test_thirty_writers_finishing_at_once_lose_no_row(store_url, spawn):
    open_store(store_url).close()  # migrated before the crowd arrives
    barrier = spawn.Barrier(PROCESSES * THREADS)
    processes = [
        spawn.Process(target=write_runs, args=(store_url, barrier, p * THREADS))
        for p in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=240)
    assert [p.exitcode for p in processes] == [0] * PROCESSES
    store = open_store(store_url)
    try:
        rows = store.runs(with_curves=True)
        assert len(rows) == PROCESSES * THREADS
        assert {row.status for row in rows} == {"done"}
        assert sorted(row.settings["writer"] for row in rows) == list(range(30))
        assert all(len(row.curves) == UPDATES for row in rows)
        assert store.with_weights([row.id for row in rows]) == {row.id for row in rows}
        for row in rows:
            assert store.checkpoint(row.id) == checkpoint_of(row.settings["writer"])
    finally:
        store.close()


@contextmanager
def write_lock(path: Path):
    """Another program holding the SQLite file's write lock (an open write transaction)."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.rollback()
        other.close()


def release_later(seconds: float, path: Path) -> threading.Thread:
    """Holds the write lock for `seconds` from now, on a thread of its own."""
    taken = threading.Event()

    def hold() -> None:
        with write_lock(path):
            taken.set()
            time.sleep(seconds)

    thread = threading.Thread(target=hold)
    thread.start()
    assert taken.wait(10)
    return thread


def test_a_write_waits_for_a_lock_another_program_holds(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'lenet.db'}")
    holder = release_later(1.0, tmp_path / "lenet.db")
    began = time.perf_counter()
    run_id = store.create("Alice", {})
    assert time.perf_counter() - began > 0.8
    holder.join()
    assert store.run(run_id).name == "Alice"
    store.close()


def test_a_lock_held_past_the_busy_timeout_is_retried(tmp_path, monkeypatch):
    monkeypatch.setattr(store_engine, "BUSY_S", 0.1)  # SQLite alone would give up after 0.1 s
    store = open_store(f"sqlite:///{tmp_path / 'lenet.db'}")
    holder = release_later(1.0, tmp_path / "lenet.db")
    run_id = store.create("Alice", {})
    holder.join()
    assert store.run(run_id).name == "Alice"
    store.close()


def test_a_lock_never_released_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(store_engine, "BUSY_S", 0.05)
    path = tmp_path / "lenet.db"
    store = open_store(f"sqlite:///{path}")
    with write_lock(path), pytest.raises(StoreError) as caught:
        store.create("Alice", {})
    assert_one_line(caught.value, str(path))
    assert "locked" in str(caught.value)
    assert store.runs() == []
    store.close()


def assert_one_line(error: StoreError, names: str) -> None:
    text = str(error)
    assert text and "\n" not in text and "Traceback" not in text, text
    assert names in text, text
    assert "secretpw" not in text, text


@contextmanager
def read_only(*paths: Path):
    """Files or folders nobody may write to, root included (root: chattr +i)."""
    modes = {path: path.stat().st_mode for path in paths}
    as_root = os.geteuid() == 0
    for path in paths:
        if as_root:
            done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
            if done.returncode != 0:
                if IN_CI:
                    pytest.fail(f"chattr +i is refused under CI: {done.stderr.strip()}")
                pytest.skip(f"cannot make a file read-only for root here: {done.stderr.strip()}")
        else:
            path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        yield
    finally:
        for path in paths:
            if as_root:
                subprocess.run(["chattr", "-i", str(path)], check=True)
            path.chmod(modes[path])


def a_stored_run(path: Path) -> None:
    store = open_store(f"sqlite:///{path}")
    store.create("Alice", {})
    store.close()


def test_a_read_only_file_is_one_line(tmp_path):
    path = tmp_path / "lenet.db"
    a_stored_run(path)
    with read_only(path), pytest.raises(StoreError) as caught:
        open_store(f"sqlite:///{path}")
    assert_one_line(caught.value, str(path))
    assert "read-only" in str(caught.value)


@pytest.mark.parametrize("with_file", [True, False])
def test_a_read_only_folder_is_one_line(tmp_path, with_file):
    folder = tmp_path / "runs"
    folder.mkdir()
    if with_file:
        a_stored_run(folder / "lenet.db")
    with read_only(folder), pytest.raises(StoreError) as caught:
        open_store(f"sqlite:///{folder / 'lenet.db'}")
    assert_one_line(caught.value, str(folder))
    assert "read-only" in str(caught.value)
    assert sorted(p.name for p in folder.iterdir()) == (["lenet.db"] if with_file else [])


def damaged(tmp_path: Path, kind: str) -> Path:
    """A file that is not a run store, in one of several ways."""
    path = tmp_path / "lenet.db"
    if kind == "random bytes":
        path.write_bytes(random.Random(0).randbytes(20_000))
    elif kind == "a PNG":
        shutil.copy(next(PNG.glob("*.png")), path)
    elif kind == "a folder":
        path.mkdir()
    else:  # a real store cut short: the header says more pages than there are
        real = tmp_path / "real.db"
        a_stored_run(real)
        path.write_bytes(real.read_bytes()[: 3 * 4096 + 100])
    return path


@pytest.mark.parametrize("kind", ["random bytes", "a PNG", "a folder", "truncated"])
def test_a_file_that_is_not_a_run_store_is_one_line(tmp_path, kind):
    path = damaged(tmp_path, kind)
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(StoreError) as caught:
        open_store(f"sqlite:///{path}")
    assert_one_line(caught.value, str(path))
    if before is not None:
        assert path.read_bytes() == before  # left as it was, for the teacher to look at


@pytest.mark.parametrize(
    ("url", "names"),
    [
        ("sqlite:///{tmp}/no/such/folder/lenet.db", "{tmp}/no/such/folder"),
        ("postgresql://lenet:secretpw@localhost:1/lenet_test", "localhost:1"),
        ("mysql://lenet:secretpw@localhost/runs", "mysql"),
        ("postgresql://lenet:secretpw@localhost:port/runs", "not a database URL"),
    ],
)
def test_a_database_that_cannot_be_reached_is_one_line(tmp_path, url, names):
    began = time.perf_counter()
    with pytest.raises(StoreError) as caught:
        open_store(url.format(tmp=tmp_path))
    assert_one_line(caught.value, names.format(tmp=tmp_path))
    assert time.perf_counter() - began < 15
    assert not (tmp_path / "no").exists()


def test_a_store_from_a_newer_release_is_refused(store_url):
    open_store(store_url).close()
    engine = sa.create_engine(store_engine.parse_url(store_url))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE lenet_schema_version SET version_num = '0099_future'"))
    engine.dispose()
    with pytest.raises(StoreError) as caught:
        open_store(store_url)
    assert "\n" not in str(caught.value)
    assert "newer LeNet-5 Lab" in str(caught.value) and "0099_future" in str(caught.value)


@contextmanager
def unwritable(store: RunStore, path: Path | None):
    """The store stops taking writes while inside: SQLite's files made immutable, or the
    PostgreSQL role's right to change the runs table taken away."""
    if path is not None:
        with read_only(path, Path(f"{path}-wal")):
            yield
        return
    with store.engine.begin() as conn:
        conn.exec_driver_sql("REVOKE INSERT, UPDATE ON runs FROM CURRENT_USER")
    try:
        yield
    finally:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("GRANT INSERT, UPDATE ON runs TO CURRENT_USER")


def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_store_that_fails_later_says_so_and_takes_the_write_when_fixed(store_url, monkeypatch):
    from lenet.store import recorder
    from lenet.store.recorder import StoreWriter

    monkeypatch.setattr(store_engine, "RETRIES", 1)
    monkeypatch.setattr(recorder, "RETRY_S", 0.1)
    store = open_store(store_url)
    sqlite = store.engine.dialect.name == "sqlite"
    if sqlite and os.geteuid() != 0:
        store.close()
        pytest.skip("only root can stop writes to a file already open (chattr +i)")
    writer = StoreWriter(store)
    run_id = store.create("Alice", {})
    with unwritable(store, Path(store.url.database) if sqlite else None):
        writer.submit(lambda s: s.update(run_id, status="running"))
        writer.submit(lambda s: s.finish(run_id, "done", [], checkpoint=b"weights"))
        wait_for(lambda: writer.problem is not None)
        assert "\n" not in writer.problem and store.where in writer.problem, writer.problem
        assert not writer.flush(0.5)  # the writes wait, in order, for the store to come back
    assert writer.flush(60)
    assert writer.problem is None
    assert store.run(run_id).status == "done" and store.checkpoint(run_id) == b"weights"
    store.close()


def test_a_writer_that_meets_a_lock_says_so_and_carries_on(tmp_path, monkeypatch):
    from lenet.store import recorder
    from lenet.store.recorder import StoreWriter

    monkeypatch.setattr(store_engine, "BUSY_S", 0.05)
    monkeypatch.setattr(recorder, "RETRY_S", 0.1)
    path = tmp_path / "lenet.db"
    store = open_store(f"sqlite:///{path}")
    writer = StoreWriter(store)
    run_id = store.create("Alice", {})
    with write_lock(path):
        writer.submit(lambda s: s.update(run_id, status="running"))
        writer.submit(lambda s: s.update(run_id, curves=[{"step": 1}]))
        wait_for(lambda: writer.problem is not None)
        assert "locked" in writer.problem and str(path) in writer.problem
    assert writer.flush(60) and writer.problem is None
    assert store.run(run_id).status == "running"  # the write that met the lock, replayed
    assert store.curves([run_id]) == {run_id: [{"step": 1}]}
    store.close()
