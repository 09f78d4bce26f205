"""A run store that stays its size (issue 28): a Quick demo's timeline is ~10 MB of the run's
~10.1 MB, so a class pressing Start all lesson grew the store by 250 MB in 90 s, and deleting
runs left the file as large as before.

- Timelines kept: at most TIMELINES_PER_NAME runs of one nickname, and TIMELINES_KEPT runs in
  all, keep their timeline; when a run ends, the oldest others' timelines go (their results,
  curves and final weights stay). `LENET_TIMELINES_PER_NICKNAME`, `LENET_TIMELINES_KEPT`.
- Space given back: after a delete, a clear or a prune, SQLite's free pages are returned to the
  disk by `VACUUM` once they are more than a quarter of the file (PostgreSQL's autovacuum does
  its own). `python -m lenet.runs prune` drops the timelines of a class that has ended.

A part of `lenet.store.runs.RunStore` (a mixin, as `lenet.store.timelines`).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlalchemy as sa

from lenet.store.timelines import snapshots

TIMELINES_PER_NAME = 3
TIMELINES_KEPT = 60
RECLAIM_SHARE = 0.25  # free pages, as a share of the file, that are worth a VACUUM

_runs = sa.table("runs", sa.column("id"), sa.column("name_key"))


def _limit(name: str, default: int) -> int:
    written = os.environ.get(name, "").strip()
    return int(written) if written.isdigit() else default


def timelines_per_name() -> int:
    return _limit("LENET_TIMELINES_PER_NICKNAME", TIMELINES_PER_NAME)


def timelines_kept() -> int:
    return _limit("LENET_TIMELINES_KEPT", TIMELINES_KEPT)


class SpaceKeeping:
    """`RunStore`'s limits on timelines and its giving space back."""

    def thin_timelines(self, per_name: int | None = None, kept: int | None = None) -> int:
        """Drop the timelines of the runs beyond the newest `per_name` of each nickname and
        the newest `kept` in all (None: the server's limits); how many runs lost theirs."""
        per_name = timelines_per_name() if per_name is None else per_name
        kept = timelines_kept() if kept is None else kept

        def work(conn) -> list[int]:
            query = (
                sa.select(_runs.c.id, _runs.c.name_key)
                .where(_runs.c.id.in_(sa.select(snapshots.c.run_id).distinct()))
                .order_by(_runs.c.id.desc())
            )
            seen: dict[str, int] = {}
            drop = []
            for index, (run_id, key) in enumerate(conn.execute(query).all()):
                seen[key] = seen.get(key, 0) + 1
                if seen[key] > per_name or index >= kept:
                    drop.append(run_id)
            if drop:
                conn.execute(snapshots.delete().where(snapshots.c.run_id.in_(drop)))
            return drop

        return len(self._write(work))

    def reclaim(self, force: bool = False) -> bool:
        """SQLite: return free pages to the disk (VACUUM) when they are more than RECLAIM_SHARE
        of the file, or any with `force`; True when it did. Other databases: nothing to do."""
        if self.engine.dialect.name != "sqlite":
            return False
        with self.engine.connect() as conn, conn.begin():
            free = conn.exec_driver_sql("PRAGMA freelist_count").scalar() or 0
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar() or 1
        if not free or (free / pages < RECLAIM_SHARE and not force):
            return False
        raw = self.engine.raw_connection()  # outside any transaction: VACUUM cannot be in one
        try:
            cursor = raw.driver_connection.cursor()
            cursor.execute("VACUUM")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the log shrinks too
            cursor.close()
        except sqlite3.Error:  # busy or full: the space comes back at the next delete
            return False
        finally:
            raw.close()
        return True

    def file_identity(self) -> tuple[int, int] | None:
        """The SQLite file's (device, inode): another value later means the file was removed,
        moved or replaced under the server (None: no file there now, or not SQLite: see
        `has_file`)."""
        try:
            found = os.stat(self.url.database)
        except (OSError, TypeError):
            return None
        return found.st_dev, found.st_ino

    @property
    def has_file(self) -> bool:
        return self.engine.dialect.name == "sqlite" and bool(self.url.database)

    def size_bytes(self) -> int | None:
        """The SQLite file's size, with its write-ahead log (None for other databases)."""
        if self.engine.dialect.name != "sqlite" or not self.url.database:
            return None
        files = [Path(self.url.database + tail) for tail in ("", "-wal")]
        return sum(f.stat().st_size for f in files if f.exists())

    def prune(self, timelines: int = 0) -> int:
        """A class that has ended: every run keeps its result, curves and weights; only the
        newest `timelines` runs keep their timeline; the space goes back to the disk. How many
        runs lost their timeline."""
        dropped = self.thin_timelines(per_name=timelines, kept=timelines)
        self.reclaim(force=True)
        return dropped
