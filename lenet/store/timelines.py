"""The run store's timelines: a run's snapshots (`lenet.timeline`), one row per step, written
as the run trains and read one step at a time, and its minibatch curve
(`lenet.training.batch_curve`), one row per run, written when it ends. A part of
`lenet.store.runs.RunStore` (a mixin: the store's `_read` and `_write` run each statement as one
short transaction, retried)."""

from __future__ import annotations

import json

import numpy as np
import sqlalchemy as sa

from lenet.files.guard import MAX_WEIGHT
from lenet.model import LeNet5, count_parameters
from lenet.store.engine import StoreError
from lenet.timeline.file import order_problem
from lenet.timeline.snapshots import MOST_SNAPSHOTS, Snapshot, Timeline
from lenet.training.batch_curve import BatchPoint, from_json

MAX_CURVE_TEXT = 200_000  # characters: `to_json` writes ~36 kB at most

snapshots = sa.Table(
    "run_snapshots",
    sa.MetaData(),
    sa.Column("run_id", sa.Integer, primary_key=True),  # runs.id, ON DELETE CASCADE (0003)
    sa.Column("step", sa.Integer, primary_key=True),
    sa.Column("epoch", sa.Float, nullable=False),
    sa.Column("weights", sa.LargeBinary, nullable=False),  # float32 bytes, state_dict order
)
batch_curves = sa.Table(
    "run_batch_curves",
    sa.MetaData(),
    sa.Column("run_id", sa.Integer, primary_key=True),  # runs.id, ON DELETE CASCADE (0004)
    sa.Column("points", sa.JSON, nullable=False),  # `lenet.training.batch_curve.to_json`
)
runs = sa.Table("runs", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))


class SnapshotRows:
    """`RunStore`'s snapshot statements."""

    def add_snapshot(self, run_id: int, step: int, epoch: float, weights: bytes) -> None:
        """Keep the run's weights after `step` (a step kept already is replaced)."""
        self.add_snapshots(run_id, [(step, epoch, weights)])

    def add_snapshots(self, run_id: int, rows: list[tuple[int, float, bytes]]) -> None:
        """Keep several (step, epoch, weights) of the run in one transaction."""

        def work(conn) -> None:
            if conn.execute(sa.select(runs.c.id).where(runs.c.id == run_id)).first() is None:
                return  # the teacher deleted the run while it trained: nothing to keep
            steps = [step for step, _, _ in rows]
            conn.execute(
                snapshots.delete().where(snapshots.c.run_id == run_id, snapshots.c.step.in_(steps))
            )
            conn.execute(
                snapshots.insert(),
                [{"run_id": run_id, "step": s, "epoch": e, "weights": w} for s, e, w in rows],
            )

        if rows:
            self._write(work)

    def snapshot_steps(self, run_id: int) -> list[tuple[int, float]]:
        """(step, epoch) of each snapshot the run keeps, in step order."""
        query = (
            sa.select(snapshots.c.step, snapshots.c.epoch)
            .where(snapshots.c.run_id == run_id)
            .order_by(snapshots.c.step)
        )
        return self._read(lambda c: [(int(s), float(e)) for s, e in c.execute(query)])

    def snapshot(self, run_id: int, step: int) -> bytes | None:
        """The weights the run kept after `step`, as float32 bytes; None when it kept none."""
        query = sa.select(snapshots.c.weights).where(
            snapshots.c.run_id == run_id, snapshots.c.step == step
        )
        return self._read(lambda c: c.execute(query).scalar())

    def all_snapshots(self, run_id: int, limit: int = 100) -> list[tuple[object, object, object]]:
        """The run's snapshots, at most `limit`: (step, epoch, weights) in step order, as the
        database holds them (a reader checks them: `stored_timeline` below)."""
        query = (
            sa.select(snapshots.c.step, snapshots.c.epoch, snapshots.c.weights)
            .where(snapshots.c.run_id == run_id)
            .order_by(snapshots.c.step)
            .limit(limit)
        )
        return self._read(lambda c: [(s, e, w) for s, e, w in c.execute(query)])

    def batch_curve(self, run_id: int) -> tuple[BatchPoint, ...]:
        """The run's minibatch curve, checked; empty when it kept none (runs from before).
        Read as text and parsed here: a value written by hand that is no JSON, nested too
        deep or far larger than the store writes raises StoreError, not a parser's error."""
        text = sa.cast(batch_curves.c.points, sa.Text)
        query = sa.select(text).where(batch_curves.c.run_id == run_id)
        found = self._read(lambda c: c.execute(query).scalar())
        if found is None:
            return ()
        if len(found) > MAX_CURVE_TEXT:
            raise StoreError(f"run {run_id}'s curve in the run store is too large to be one")
        try:
            return from_json(json.loads(found))
        except (ValueError, RecursionError):
            raise StoreError(f"run {run_id}'s curve in the run store is damaged") from None

    def _write_batch_curve(self, conn, run_id: int, points: dict) -> None:
        """Inside a run's end: its minibatch curve (`lenet.training.batch_curve.to_json`)."""
        conn.execute(batch_curves.delete().where(batch_curves.c.run_id == run_id))
        conn.execute(batch_curves.insert().values(run_id=run_id, points=points))

    def _delete_timelines(self, conn, run_id: int | None = None) -> None:
        """Inside a delete: the run's snapshots and curve (every run's when `run_id` is None)."""
        for table in (snapshots, batch_curves):
            query = table.delete()
            conn.execute(query if run_id is None else query.where(table.c.run_id == run_id))


def stored_timeline(store, run_id: int, total_steps: int = 0) -> Timeline | None:
    """A run's timeline from the run store (`lenet.store.runs.RunStore`), checked; None when it kept
    none (runs from before timelines). Raises StoreError (a damaged snapshot too)."""
    size = count_parameters(LeNet5())
    rows = store.all_snapshots(run_id, MOST_SNAPSHOTS + 1)
    if not rows:
        return None
    steps, epochs = [r[0] for r in rows], [r[1] for r in rows]
    total = max(total_steps, steps[-1])
    try:
        if problem := order_problem(steps, epochs, total):
            raise ValueError(problem)
        snapshots = tuple(
            Snapshot(step, epoch, weights_array(data, size)) for step, epoch, data in rows
        )
    except ValueError as error:
        raise StoreError(f"run {run_id}: its timeline is damaged ({error})") from error
    return Timeline(snapshots, total)


def weights_array(data: bytes, size: int) -> np.ndarray:
    """A snapshot stored as raw float32 bytes (the run store's form), checked."""
    if not isinstance(data, bytes):
        raise ValueError(f"a stored snapshot is {type(data).__name__}, not bytes")
    if len(data) != size * 4:
        raise ValueError(f"a stored snapshot has {len(data):,} bytes, not {size * 4:,}")
    flat = np.frombuffer(data, dtype=np.float32)
    if not np.isfinite(flat).all() or np.abs(flat).max() > MAX_WEIGHT:
        raise ValueError("a stored snapshot has a weight that is not finite or too large")
    return flat
