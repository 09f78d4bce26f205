"""The run store's connection: which database, how it is opened, migrated and retried.

SQLite by default (`runs/lenet.db`: WAL mode, so readers never wait for a writer; writers take
the lock up front with BEGIN IMMEDIATE and wait for it up to `BUSY_S`), any SQLAlchemy URL from
`LENET_DATABASE_URL` otherwise (`postgresql://...` is served by psycopg 3). Every failure becomes
one `StoreError` line that names the database without its password. The schema is Alembic's
(`lenet/migrations`), brought to the newest version when a store opens, under a lock so that
several servers starting together migrate once.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Connection, Engine, make_url

from lenet.errors import LenetError

DATABASE_ENV = "LENET_DATABASE_URL"
DRIVERS = ("sqlite", "sqlite+pysqlite", "postgresql+psycopg")  # what requirements.txt installs
DEFAULT_DB = Path(__file__).resolve().parents[2] / "runs" / "lenet.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_S = 30.0  # how long a SQLite writer waits for the lock before a retry
RETRIES = 5  # whole-transaction retries on "database is locked" and dropped connections
MIGRATION_LOCK = 0x4C654E6574  # a PostgreSQL advisory lock id ("LeNet")
VERSION_TABLE = "lenet_schema_version"  # Alembic's, named so it cannot meet another app's

T = TypeVar("T")


class StoreError(LenetError):
    """The run store cannot be opened, read or written: one line saying why. `later`: the
    database may take the same write later (it was locked, read-only, unreachable, out of
    space), unlike a write it refused for its content."""

    def __init__(self, message: str, later: bool = False) -> None:
        super().__init__(message)
        self.later = later


def database_url() -> str:
    """`LENET_DATABASE_URL`, else the SQLite file runs/lenet.db of this checkout."""
    return os.environ.get(DATABASE_ENV, "").strip() or f"sqlite:///{DEFAULT_DB}"


def parse_url(raw: str) -> URL:
    """The URL SQLAlchemy opens: plain postgresql:// goes through psycopg 3."""
    try:
        url = make_url(raw)
    except (exc.ArgumentError, ValueError) as error:
        hidden = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", raw)  # never show a password
        raise StoreError(f"{DATABASE_ENV} is not a database URL: {hidden!r}") from error
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.drivername not in DRIVERS:
        raise StoreError(
            f"{DATABASE_ENV}: only sqlite:///FILE and postgresql://... are supported, "
            f"not {url.drivername}"
        )
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        raise StoreError(
            f"{DATABASE_ENV}: a SQLite run store is a file (sqlite:///path/to/runs.db): one in "
            "memory would forget every run"
        )
    return url


def shown(url: URL) -> str:
    """The database as messages name it: the file for SQLite, the URL without its password."""
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    plain = url.set(drivername=url.get_backend_name(), query={})  # a query may hold a password
    return plain.render_as_string(hide_password=True)


def sqlite_file_problem(url: URL) -> str | None:
    """Why a SQLite file cannot hold runs (its folder is missing, it or the folder read-only)."""
    if not url.database or url.database == ":memory:":
        return None
    path = Path(url.database)
    folder = path.parent
    if path.resolve() == DEFAULT_DB.resolve():
        folder.mkdir(parents=True, exist_ok=True)
    if not folder.is_dir():
        return f"{path}: the folder {folder} does not exist"
    if path.exists() and not path.is_file():
        return f"{path} is not a database file (a folder?): choose a file name"
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return f"{path} is read-only: runs cannot be saved"
    if not os.access(folder, os.W_OK):  # WAL mode writes two files beside it
        return f"{path}: the folder {folder} is read-only, so runs cannot be saved"
    return None


def create_engine(url: URL) -> Engine:
    if url.get_backend_name() == "postgresql":
        return sa.create_engine(
            url,
            pool_size=5,
            max_overflow=20,
            pool_pre_ping=True,
            connect_args={"connect_timeout": 5},
        )
    engine = sa.create_engine(
        url, connect_args={"timeout": BUSY_S, "check_same_thread": False}, pool_size=5,
        max_overflow=20,
    )  # fmt: skip

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # transactions begin as `on_begin` says
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_S * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        # A writer that began as a reader could not take the lock later without a deadlock:
        # writes ask for it at BEGIN, where busy_timeout waits for it.
        immediate = connection.get_execution_options().get("write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def retrying(work: Callable[[], T], what: str, url: URL) -> T:
    """`work()` (one whole transaction), again after a short wait when the database was locked
    or the connection dropped; any other failure, or the last, as one StoreError line."""
    for attempt in range(RETRIES + 1):
        try:
            return work()
        except exc.OperationalError as error:
            if attempt == RETRIES or not transient(error):
                raise StoreError(problem(error, what, url), later=True) from error
            time.sleep(0.05 * 2**attempt)
        except exc.SQLAlchemyError as error:  # refused: the same write will not do, unless
            denied = "permission denied" in str(error).lower()  # someone grants it meanwhile
            raise StoreError(problem(error, what, url), later=denied) from error
    raise AssertionError("unreachable")


def transient(error: exc.OperationalError) -> bool:
    text = str(error.orig).lower()
    return "locked" in text or "busy" in text or error.connection_invalidated


def problem(error: Exception, what: str, url: URL) -> str:
    """One line for a database failure, in words a teacher can act on."""
    original = getattr(error, "orig", None) or error
    text = " ".join(str(original).split()) or type(original).__name__
    where = shown(url)
    if isinstance(original, sqlite3.DatabaseError):
        if "not a database" in text or "malformed" in text:
            return f"{where} is not a readable run store (damaged?): move it away to start afresh"
        if "readonly" in text or "read-only" in text:
            return f"{where} is read-only: runs cannot be saved"
        if "unable to open" in text:
            return f"{where} cannot be opened: check that its folder exists and is writable"
    if "connection" in text.lower() and url.get_backend_name() == "postgresql":
        return f"cannot reach the run store at {where}: {text.splitlines()[0][:160]}"
    return f"could not {what} the run store at {where}: {text[:200]}"


@contextmanager
def schema_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in one write transaction for changing the schema, alone (PostgreSQL: an
    advisory lock; SQLite: BEGIN IMMEDIATE). On SQLite foreign keys are off meanwhile: a
    migration that copies `runs` drops the old table, and with them on that drop would delete
    every run's weights (ON DELETE CASCADE); they are checked before the commit instead."""
    with engine.connect().execution_options(write=True) as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # a PRAGMA that only counts outside a transaction
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys = OFF")
        try:
            with connection.begin():
                if not sqlite:
                    lock = sa.text("SELECT pg_advisory_xact_lock(:id)")
                    connection.execute(lock, {"id": MIGRATION_LOCK})
                yield connection
                changed = connection.info.pop("migrated", False)
                if (
                    sqlite
                    and changed
                    and connection.exec_driver_sql("PRAGMA foreign_key_check").first()
                ):
                    raise StoreError(f"{shown(engine.url)}: a schema change broke a run's link")
        finally:
            if sqlite and not connection.invalidated:
                connection.connection.dbapi_connection.execute("PRAGMA foreign_keys = ON")


def migrate(engine: Engine) -> str:
    """Bring the schema to the newest version (once, whoever else is starting); its revision."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    with schema_connection(engine) as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        current = context.get_current_revision()
        known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
        if current is not None and current not in known:
            raise StoreError(
                f"the run store was written by a newer LeNet-5 Lab (schema {current}, this one "
                f"knows up to {head}): update the app"
            )
        if current != head:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.info["migrated"] = True  # checked before the commit
    return head
