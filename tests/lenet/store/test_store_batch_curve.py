"""A run's minibatch curve in the run store (issue 24): every minibatch of a short run, 1,000
evenly spread of a long one in bounded memory, written when the run ends, read back checked, on
SQLite and PostgreSQL, gone with its run (the migration:
tests/lenet/store/test_store_migrations.py)."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest
import sqlalchemy as sa

from lenet.store.recorder import RunRecorder, StoreWriter
from lenet.store.timelines import batch_curves
from lenet.training.batch_curve import (
    MOST_POINTS,
    BatchCurve,
    BatchPoint,
    evenly,
    from_json,
    to_json,
)
from lenet.training.trainer import BatchEnd, Trainer
from tests.conftest import FIXTURE_RECIPE


def curve_of(steps: int, most: int = MOST_POINTS) -> BatchCurve:
    curve = BatchCurve(most)
    for step in range(1, steps + 1):
        curve.add(step, step / 100, 2.3 / step, 0.01 * (1 - step / (steps + 1)))
    return curve


def test_a_short_run_keeps_every_minibatch():
    points = curve_of(157).points()
    assert [p.step for p in points] == list(range(1, 158))
    assert points[0] == BatchPoint(1, 0.01, 2.3, 0.01 * (1 - 1 / 158))


@pytest.mark.parametrize("steps", [1001, 3165, 100_000])
def test_a_long_run_keeps_1000_evenly_spread_in_bounded_memory(steps):
    curve = curve_of(steps)
    points = curve.points()
    assert len(points) == MOST_POINTS and len(curve._kept) < 2 * MOST_POINTS
    assert (points[0].step, points[-1].step) == (1, steps)
    gaps = [b.step - a.step for a, b in zip(points, points[1:], strict=False)]
    assert min(gaps) >= 1 and max(gaps) <= 2 * math.ceil(steps / MOST_POINTS) + 1
    assert len(json.dumps(to_json(points))) < 40_000  # ~36 kB at most a run


def test_evenly_keeps_the_ends():
    assert evenly(list(range(10)), 4) == [0, 3, 6, 9]
    assert evenly(list(range(3)), 4) == [0, 1, 2] and evenly([1, 2], 1) == [2]


def test_a_diverging_minibatch_is_left_out():
    curve = BatchCurve()
    for step, loss in enumerate([2.3, 1.9, float("nan"), float("inf")], start=1):
        curve.add(step, step / 10, loss, 0.1)
    assert [p.step for p in curve.points()] == [1, 2]
    assert BatchCurve().points() == []


def test_the_stored_form_round_trips_rounded():
    points = [BatchPoint(1, 0.0123456, 2.302585, 0.00123456789), BatchPoint(2, 0.02, 1.5, 1e-7)]
    back = from_json(json.loads(json.dumps(to_json(points))))
    assert back == (BatchPoint(1, 0.0123, 2.303, 0.001235), BatchPoint(2, 0.02, 1.5, 1e-7))


@pytest.mark.parametrize(
    "crafted",
    [None, [], "x", {"step": [1]}, {"step": 1, "epoch": 1, "loss": 1, "lr": 1}],
)
def test_anything_that_is_not_a_curve_reads_as_none(crafted):
    assert from_json(crafted) == ()


def test_points_of_the_wrong_shape_are_left_out():
    crafted = {
        "step": [1, "2", 3, True, 4, 4, -1, 5],
        "epoch": [0.1, 0.2, None, 0.4, 0.5, 0.6, 0.7, 0.8],
        "loss": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        "lr": [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, "x"],
    }
    assert [p.step for p in from_json(crafted)] == [1, 4]


def test_a_run_keeps_its_curve_and_loses_it_when_deleted(store):
    points = curve_of(40).points()
    run_id = store.create("ada", {})
    assert store.batch_curve(run_id) == ()
    store.finish(run_id, "done", [], {"steps": 40}, None, to_json(points))
    assert store.batch_curve(run_id) == from_json(to_json(points))
    assert [row.id for row in store.runs()] == [run_id]  # lists never read it
    store.finish(run_id, "done", [], {"steps": 40}, None, to_json(points[:3]))  # replaced
    assert len(store.batch_curve(run_id)) == 3
    store.delete(run_id)
    assert store.batch_curve(run_id) == ()
    store.finish(run_id, "done", [], {}, b"weights", to_json(points))  # deleted while it trained
    assert store.batch_curve(run_id) == () and store.checkpoint(run_id) is None
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(batch_curves)).scalar() == 0


def test_a_recorded_run_keeps_every_minibatch_it_trained(store, small_mnist):
    config = dataclasses.replace(FIXTURE_RECIPE, epochs=1, train_size=600, batch_size=100)
    writer = StoreWriter(store)
    recorder = RunRecorder(writer, "Ada", config, source="cli", owner="me")
    batches = []

    def on_event(event) -> None:
        recorder.event(event)
        if isinstance(event, BatchEnd):
            batches.append(event)

    finished = Trainer(config, small_mnist).run(on_event)
    recorder.end(finished.outcome)
    assert writer.flush(30) and writer.problem is None
    stored = store.batch_curve(recorder.run_id)
    assert [p.step for p in stored] == [b.step for b in batches] == list(range(1, 7))
    for point, batch in zip(stored, batches, strict=True):
        assert point.loss == pytest.approx(batch.loss, rel=1e-3)
        assert point.lr == pytest.approx(batch.lr, rel=1e-3)
        assert point.epoch == pytest.approx(batch.epoch, abs=1e-4)


@pytest.mark.parametrize(
    ("written", "why"),
    [("not json{", "damaged"), ("[" * 200_000 + "]" * 200_000, "too large"),
     ("[" * 5_000 + "]" * 5_000, "damaged"), (json.dumps([[1, 2, 3]] * 100_000), "too large")],
    ids=["not JSON", "huge and deep", "deep", "huge"],
)  # fmt: skip
def test_a_curve_written_by_hand_into_the_file_reads_as_one_line(tmp_path, written, why):
    from lenet.store.runs import StoreError, open_store

    store = open_store(f"sqlite:///{tmp_path / 'runs.db'}")
    run_id = store.create("ada", {})
    store.finish(run_id, "done", [], {"steps": 40}, None, to_json(curve_of(40).points()))
    with store.engine.begin() as conn:  # as a hand in the database file would
        conn.execute(sa.text("UPDATE run_batch_curves SET points = :p"), {"p": written})
    with pytest.raises(StoreError, match=f"run {run_id}'s curve in the run store is {why}"):
        store.batch_curve(run_id)
    store.close()
