"""The run store: every training run, from the app or `python -m lenet.train`, as a database row.

A row holds who (a nickname, no accounts), when, the settings, the status and outcome, the
validation curves (every evaluation), test and per-digit accuracy, training seconds; its weights
(a checkpoint, ~250 kB), its timeline's snapshots and its minibatch curve (`lenet.store.timelines`)
sit in tables of their own so lists never read them. This module (with `lenet.store.timelines`)
owns every SQL statement of the project; `lenet.store.engine` opens, migrates and retries.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import URL

from lenet.store.digits import ClassDigits
from lenet.store.engine import (
    StoreError,
    create_engine,
    database_url,
    migrate,
    parse_url,
    retrying,
    shown,
    sqlite_file_problem,
)
from lenet.store.rows import (
    ACTIVE,
    STATUSES,
    RunRow,
    check_name,
    curve_points,
    name_key,
    now,
    process_owner,
)
from lenet.store.space import SpaceKeeping
from lenet.store.timelines import SnapshotRows

__all__ = [
    "ACTIVE",
    "RunRow",
    "RunStore",
    "StoreError",
    "check_name",
    "name_key",
    "open_store",
    "process_owner",
]

STALE_S = 300.0  # a run in progress with no word for this long has lost its trainer
HEARTBEAT_S = 60.0  # how often a trainer says its runs in progress are still going

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


class RunStore(SnapshotRows, SpaceKeeping, ClassDigits):
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
            name=name, name_key=name_key(name), source=source, owner=owner or process_owner(),
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
        batches: dict | None = None,
    ) -> None:
        """A run's end: status, curves, `result` (test_accuracy, per_class, seconds, steps,
        message), its weights as checkpoint bytes and its minibatch curve
        (`lenet.training.batch_curve.to_json`), in one transaction."""
        if status not in STATUSES or status in ACTIVE:
            raise ValueError(f"not an ending: {status}")
        known = {"test_accuracy", "per_class", "seconds", "steps", "message"}
        values = {k: v for k, v in (result or {}).items() if k in known}
        stamp = now()
        values.update(status=status, curves=curves, finished_at=stamp, updated_at=stamp)

        def work(conn) -> None:
            if not conn.execute(runs.update().where(runs.c.id == run_id).values(**values)).rowcount:
                return  # the teacher deleted the run while it trained: nothing to keep
            if checkpoint is not None:
                conn.execute(weights.delete().where(weights.c.run_id == run_id))
                conn.execute(weights.insert().values(run_id=run_id, checkpoint=checkpoint))
            if batches is not None:
                self._write_batch_curve(conn, run_id, batches)

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
        return self._read(lambda c: {r.id: list(curve_points(r.curves)) for r in c.execute(query)})

    def existing(self, run_ids: list[int]) -> set[int]:
        """Which of these runs are still stored (the teacher may have deleted some)."""
        query = sa.select(runs.c.id).where(runs.c.id.in_(run_ids))
        return self._read(lambda c: set(c.execute(query).scalars())) if run_ids else set()

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
            self._delete_timelines(conn, run_id)
            return conn.execute(runs.delete().where(runs.c.id == run_id)).rowcount > 0

        gone = self._write(work, "delete from")
        self.reclaim()  # the space back to the disk, once it is worth it
        return gone

    def clear(self) -> int:
        """Delete every run; how many there were."""

        def work(conn) -> int:
            conn.execute(weights.delete())
            self._delete_timelines(conn)
            return conn.execute(runs.delete()).rowcount

        count = self._write(work, "delete from")
        self.reclaim(force=True)
        return count

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

    def touch(self, owner: str) -> int:
        """`owner` is still training its runs in progress (a heartbeat, paused runs too)."""
        query = (
            runs.update()
            .where(runs.c.owner == owner, runs.c.status.in_(ACTIVE))
            .values(updated_at=now())
        )
        return self._write(lambda c: c.execute(query).rowcount)

    def expire(self, stale_s: float = STALE_S) -> int:
        """Mark as interrupted the runs in progress that nobody has spoken for in `stale_s`
        seconds (their server or CLI died, or moved); how many."""
        stamp = now()
        silent = runs.c.updated_at < stamp - timedelta(seconds=stale_s)
        query = (
            runs.update()
            .where(runs.c.status.in_(ACTIVE), silent)
            .values(status="interrupted", finished_at=stamp, updated_at=stamp,
                    message="Its server or command line stopped while it was training.")
        )  # fmt: skip
        return self._write(lambda c: c.execute(query).rowcount)

    def with_weights_of(self, name: str | None, best: bool, limit: int) -> list[RunRow]:
        """Finished runs that have weights: a nickname's newest, or everyone's best first."""
        query = (
            sa.select(*SUMMARY)
            .join(weights, weights.c.run_id == runs.c.id)
            .where(runs.c.status.in_(("done", "stopped")), runs.c.test_accuracy.is_not(None))
            .order_by(runs.c.test_accuracy.desc() if best else runs.c.id.desc())
            .limit(limit)
        )
        if name is not None:
            query = query.where(runs.c.name_key == name_key(name))
        return self._read(lambda c: [RunRow.of(r) for r in c.execute(query)])

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str | None = None) -> RunStore:
    """The run store at `url` (default: `database_url()`), migrated to the newest schema and
    checked writable. Raises StoreError with one line when it cannot hold runs."""
    parsed = parse_url(url or database_url())
    if parsed.get_backend_name() == "sqlite" and (why := sqlite_file_problem(parsed)):
        raise StoreError(why)
    try:
        store = RunStore(parsed)
    except Exception as error:  # a driver missing or refusing its options: still one line
        raise StoreError(f"cannot open the run store at {shown(parsed)}: {error}") from error
    try:
        retrying(lambda: migrate(store.engine), "open", parsed)
    except StoreError:
        store.close()
        raise
    return store
