"""The run store: every training run, from the app or `python -m lenet.train`, as a database row.

A row holds who (a nickname, no accounts), when, the settings, the status and outcome, the
validation curves (every evaluation), test and per-digit accuracy, training seconds; its weights
(a checkpoint, ~250 kB) sit in a table of their own so lists never read them. This module owns
every SQL statement of the project; `lenet.store_engine` opens, migrates and retries.
"""

from __future__ import annotations

import os
import re
import socket
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import URL

from lenet.store_engine import (
    StoreError,
    create_engine,
    database_url,
    migrate,
    parse_url,
    retrying,
    shown,
    sqlite_file_problem,
)

__all__ = ["ACTIVE", "RunRow", "RunStore", "StoreError", "check_name", "open_store"]

ACTIVE = ("queued", "running")
STATUSES = ACTIVE + ("done", "stopped", "diverged", "failed", "interrupted")
NAME_CHARS = 24
_NAME = re.compile(r"^\w[\w .'-]*$")

metadata = sa.MetaData()
runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(40), nullable=False),
    sa.Column("name_key", sa.String(40), nullable=False),
    sa.Column("source", sa.String(8), nullable=False),
    sa.Column("owner", sa.String(120), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("settings", sa.JSON, nullable=False),
    sa.Column("app_settings", sa.JSON),
    sa.Column("curves", sa.JSON, nullable=False),
    sa.Column("test_accuracy", sa.Float),
    sa.Column("per_class", sa.JSON),
    sa.Column("seconds", sa.Float),
    sa.Column("steps", sa.Integer),
    sa.Column("message", sa.Text),
    sqlite_autoincrement=True,
)
weights = sa.Table(
    "run_weights",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("checkpoint", sa.LargeBinary, nullable=False),
)
SUMMARY = [c for c in runs.c if c.name != "curves"]


def check_name(raw: str) -> str:
    """A nickname as stored: trimmed, NFC; 1 to 24 letters, digits, spaces, . ' - or _,
    starting with a letter or digit (so a CSV cell never starts a formula). Raises StoreError."""
    name = " ".join(unicodedata.normalize("NFC", raw or "").split())
    if not name:
        raise StoreError("Give a nickname: your runs are kept under it.")
    if len(name) > NAME_CHARS or not _NAME.match(name) or name[0] == "_":
        raise StoreError(
            f"A nickname is 1 to {NAME_CHARS} letters, digits, spaces, '.', \"'\", '-' or '_', "
            "starting with a letter or digit."
        )
    return name


def name_key(name: str) -> str:
    """What nickname lookups compare: "Alice" and "alice " are the same student."""
    return check_name(name).casefold()


def process_owner(source: str = "cli") -> str:
    """Who trains a run: this host and process (a CLI) or this host and port (an app server)."""
    return f"{source}:{socket.gethostname()}:{os.getpid()}"[:120]


def now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:  # SQLite keeps no zone: we wrote UTC
        value = value.replace(tzinfo=UTC)
    return value


@dataclass(frozen=True)
class RunRow:
    """One stored run; `curves` is empty unless asked for (a list of evaluation dicts)."""

    id: int
    name: str
    source: str
    status: str
    created_at: datetime
    updated_at: datetime | None
    finished_at: datetime | None
    settings: dict
    app_settings: dict | None
    test_accuracy: float | None
    per_class: list | None
    seconds: float | None
    steps: int | None
    message: str | None
    owner: str = ""
    curves: tuple = ()

    @classmethod
    def of(cls, row) -> RunRow:
        data = dict(row._mapping)
        data.pop("name_key", None)
        for key in ("created_at", "updated_at", "finished_at"):
            data[key] = _utc(data[key])
        data["curves"] = tuple(data.get("curves") or ())
        return cls(**data)

    def to_dict(self) -> dict:
        """Plain JSON values (times as ISO strings), as `python -m lenet.runs list --json`."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "curves"}
        for key in ("created_at", "updated_at", "finished_at"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


class RunStore:
    """The runs of one database. Thread-safe: every call is one short transaction."""

    def __init__(self, url: URL) -> None:
        self.url = url
        self.engine = create_engine(url)

    @property
    def where(self) -> str:
        return shown(self.url)

    def _write(self, work, what: str = "write to"):
        def attempt():
            with self.engine.connect().execution_options(write=True) as conn, conn.begin():
                return work(conn)

        return retrying(attempt, what, self.url)

    def _read(self, work):
        def attempt():
            with self.engine.connect() as conn, conn.begin():
                return work(conn)

        return retrying(attempt, "read", self.url)

    def create(
        self,
        name: str,
        settings: dict,
        app_settings: dict | None = None,
        source: str = "app",
        owner: str = "",
        status: str = "queued",
    ) -> int:
        """A new run in progress; its id."""
        name, stamp = check_name(name), now()
        row = dict(
            name=name, name_key=name.casefold(), source=source, owner=owner or process_owner(),
            status=status, created_at=stamp, updated_at=stamp, settings=settings,
            app_settings=app_settings, curves=[],
        )  # fmt: skip
        return self._write(lambda c: c.execute(runs.insert().values(**row)).inserted_primary_key[0])

    def update(self, run_id: int, **values) -> None:
        """Change a run in progress: `status`, `curves` (the whole list so far)."""
        unknown = set(values) - {"status", "curves"}
        if unknown or values.get("status", "queued") not in STATUSES:
            raise ValueError(f"cannot update {sorted(unknown) or values['status']}")
        values["updated_at"] = now()
        self._write(lambda c: c.execute(runs.update().where(runs.c.id == run_id).values(**values)))

    def finish(
        self,
        run_id: int,
        status: str,
        curves: list[dict],
        result: dict | None = None,
        checkpoint: bytes | None = None,
    ) -> None:
        """A run's end: status, curves, `result` (test_accuracy, per_class, seconds, steps,
        message) and its weights as checkpoint bytes, in one transaction."""
        if status not in STATUSES or status in ACTIVE:
            raise ValueError(f"not an ending: {status}")
        known = {"test_accuracy", "per_class", "seconds", "steps", "message"}
        values = {k: v for k, v in (result or {}).items() if k in known}
        stamp = now()
        values.update(status=status, curves=curves, finished_at=stamp, updated_at=stamp)

        def work(conn) -> None:
            conn.execute(runs.update().where(runs.c.id == run_id).values(**values))
            if checkpoint is not None:
                conn.execute(weights.delete().where(weights.c.run_id == run_id))
                conn.execute(weights.insert().values(run_id=run_id, checkpoint=checkpoint))

        self._write(work)

    def runs(
        self,
        name: str | None = None,
        with_curves: bool = False,
        limit: int | None = None,
    ) -> list[RunRow]:
        """Runs, newest first: everyone's, or one nickname's (any case)."""
        query = sa.select(*(runs.c if with_curves else SUMMARY)).order_by(runs.c.id.desc())
        if name is not None:
            query = query.where(runs.c.name_key == name_key(name))
        if limit is not None:
            query = query.limit(limit)
        return self._read(lambda c: [RunRow.of(r) for r in c.execute(query)])

    def curves(self, run_ids: list[int]) -> dict[int, list[dict]]:
        """The validation curves of the given runs."""
        if not run_ids:
            return {}
        query = sa.select(runs.c.id, runs.c.curves).where(runs.c.id.in_(run_ids))
        return self._read(lambda c: {r.id: list(r.curves or ()) for r in c.execute(query)})

    def run(self, run_id: int) -> RunRow | None:
        query = sa.select(runs).where(runs.c.id == run_id)
        row = self._read(lambda c: c.execute(query).first())
        return RunRow.of(row) if row is not None else None

    def checkpoint(self, run_id: int) -> bytes | None:
        """A run's weights as the bytes of a checkpoint file; None when it has none."""
        query = sa.select(weights.c.checkpoint).where(weights.c.run_id == run_id)
        return self._read(lambda c: c.execute(query).scalar())

    def with_weights(self, run_ids: list[int]) -> set[int]:
        query = sa.select(weights.c.run_id).where(weights.c.run_id.in_(run_ids))
        return self._read(lambda c: set(c.execute(query).scalars())) if run_ids else set()

    def changed(self) -> tuple:
        """Changes whenever a run is added, changed or deleted: a cheap key for caches."""
        query = sa.select(sa.func.count(), sa.func.max(runs.c.updated_at), sa.func.max(runs.c.id))
        return tuple(self._read(lambda c: c.execute(query).one()))

    def delete(self, run_id: int) -> bool:
        def work(conn) -> bool:
            conn.execute(weights.delete().where(weights.c.run_id == run_id))
            return conn.execute(runs.delete().where(runs.c.id == run_id)).rowcount > 0

        return self._write(work, "delete from")

    def clear(self) -> int:
        """Delete every run; how many there were."""

        def work(conn) -> int:
            conn.execute(weights.delete())
            return conn.execute(runs.delete()).rowcount

        return self._write(work, "delete from")

    def interrupt(self, owner: str) -> int:
        """Mark the runs `owner` had in progress as interrupted (it restarted); how many."""
        stamp = now()
        query = (
            runs.update()
            .where(runs.c.owner == owner, runs.c.status.in_(ACTIVE))
            .values(status="interrupted", finished_at=stamp, updated_at=stamp,
                    message="The server restarted while this run was training.")
        )  # fmt: skip
        return self._write(lambda c: c.execute(query).rowcount)

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str | None = None) -> RunStore:
    """The run store at `url` (default: `database_url()`), migrated to the newest schema and
    checked writable. Raises StoreError with one line when it cannot hold runs."""
    parsed = parse_url(url or database_url())
    if parsed.get_backend_name() == "sqlite" and (why := sqlite_file_problem(parsed)):
        raise StoreError(why)
    store = RunStore(parsed)
    try:
        retrying(lambda: migrate(store.engine), "open", parsed)
    except StoreError:
        store.close()
        raise
    return store
