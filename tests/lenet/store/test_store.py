"""The run store on SQLite and on PostgreSQL (`store` fixture, tests/conftest.py): what goes in
comes out, nicknames in any case, weights that load, and a real training run recorded."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import torch

from lenet.files.checkpoint import checkpoint_bytes, load_checkpoint_bytes
from lenet.model import LeNet5
from lenet.store.recorder import RunRecorder, StoreWriter
from lenet.store.runs import RunStore, StoreError, check_name, weights
from lenet.training.trainer import Evaluation, Trainer
from tests.conftest import FIXTURE_RECIPE

SETTINGS = {"epochs": 2, "optimizer": "adamw", "lr": 0.003, "model": {"activation": "relu"}}
CURVE = {"event": "Evaluation", "step": 10, "epoch": 0.5, "train_loss": 0.9,
         "train_accuracy": 0.7, "val_loss": 0.8, "val_accuracy": 0.75}  # fmt: skip


def stored_weights(store: RunStore) -> int:
    """How many weights rows the database holds, whatever the runs table says."""
    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(weights)).scalar()


def test_a_run_goes_in_and_comes_out_the_same(store):
    before = datetime.now(UTC)
    run_id = store.create("Alice", SETTINGS, {"preset": "Quick demo"}, source="cli", owner="me")
    store.update(run_id, status="running")
    store.update(run_id, curves=[CURVE])
    per_class = [0.9 + i / 100 for i in range(10)]
    result = {"test_accuracy": 0.93, "per_class": per_class, "seconds": 12.5, "steps": 20}
    store.finish(run_id, "done", [CURVE, {**CURVE, "step": 20}], result)
    row = store.run(run_id)
    assert (row.name, row.source, row.owner, row.status) == ("Alice", "cli", "me", "done")
    assert row.settings == SETTINGS and row.app_settings == {"preset": "Quick demo"}
    assert row.curves == (CURVE, {**CURVE, "step": 20})
    assert (row.test_accuracy, row.per_class, row.seconds, row.steps) == (0.93, per_class, 12.5, 20)
    for stamp in (row.created_at, row.updated_at, row.finished_at):
        assert stamp.utcoffset() == timedelta(0)
        assert before - timedelta(seconds=1) <= stamp <= datetime.now(UTC)
    assert row.created_at <= row.finished_at == row.updated_at
    assert row.to_dict()["created_at"].endswith("+00:00")


def test_only_statuses_and_curves_change_during_a_run(store):
    run_id = store.create("Alice", SETTINGS)
    assert store.run(run_id).status == "queued"
    with pytest.raises(ValueError):
        store.update(run_id, test_accuracy=1.0)
    with pytest.raises(ValueError):
        store.update(run_id, status="won")
    with pytest.raises(ValueError):
        store.finish(run_id, "running", [])
    assert store.run(run_id).status == "queued"


def test_a_nickname_finds_its_runs_in_any_case_newest_first(store):
    first = store.create("Alice", SETTINGS)
    store.create("Bob", SETTINGS)
    second = store.create("alice", SETTINGS)
    third = store.create("Zoë", SETTINGS)
    assert [r.id for r in store.runs(name="alice ")] == [second, first]
    assert [r.id for r in store.runs(name="  ALICE")] == [second, first]
    assert [r.id for r in store.runs(name="ZOË")] == [third]
    assert [r.id for r in store.runs()] == sorted((r.id for r in store.runs()), reverse=True)
    assert len(store.runs()) == 4 and len(store.runs(limit=2)) == 2
    assert store.runs(name="Carol") == []


def test_look_alike_nicknames_are_one_nickname(store):
    """Issue 28: "Mаya" with a Cyrillic а (U+0430) finds Maya's runs; Maia is someone else."""
    maya = store.create("Maya", SETTINGS)
    lookalike = store.create("M\u0430ya", SETTINGS)
    store.create("Maia", SETTINGS)
    assert store.run(lookalike).name == "M\u0430ya"  # kept as typed
    for name in ("Maya", "M\u0430ya", "MAYA", "\u041caya", "Ma\u0443a"):  # Cyrillic М, у
        assert [r.id for r in store.runs(name=name)] == [lookalike, maya], name
    assert [r.name for r in store.runs(name="Maia")] == ["Maia"]
    store.create("Alice", SETTINGS)
    for name in ("AIice", "A1ice", "ALICE"):  # I, 1 and l look alike
        assert [r.name for r in store.runs(name=name)] == ["Alice"], name


def test_lists_leave_the_curves_out_and_curves_gives_them(store):
    ids = [store.create(n, SETTINGS) for n in ("a", "b", "c")]
    store.update(ids[0], curves=[CURVE])
    store.finish(ids[1], "stopped", [CURVE, CURVE])
    assert all(row.curves == () for row in store.runs())
    assert store.runs(with_curves=True)[-1].curves == (CURVE,)
    assert store.curves(ids) == {ids[0]: [CURVE], ids[1]: [CURVE, CURVE], ids[2]: []}
    assert store.curves([]) == {} and store.curves([999]) == {}


def test_weights_come_back_as_a_checkpoint_that_predicts_the_same(store):
    torch.manual_seed(3)
    model = LeNet5().eval()
    data = checkpoint_bytes(model, {"name": "run1", "metrics": {"test_accuracy": 0.5}})
    assert 200_000 < len(data) < 300_000
    done, failed = store.create("Alice", SETTINGS), store.create("Bob", SETTINGS)
    store.finish(done, "done", [], {"test_accuracy": 0.5}, checkpoint=data)
    store.finish(failed, "failed", [], {"message": "out of memory"})
    assert store.checkpoint(done) == data
    assert store.checkpoint(failed) is None and store.checkpoint(999) is None
    assert store.with_weights([done, failed, 999]) == {done} and store.with_weights([]) == set()
    loaded, meta = load_checkpoint_bytes(store.checkpoint(done), "run1")
    assert meta["metrics"]["test_accuracy"] == 0.5
    images = torch.rand(8, 1, 32, 32)
    assert torch.equal(loaded(images), model(images))


def test_changed_moves_on_every_insert_update_and_delete(store):
    seen = [store.changed()]
    run_id = store.create("Alice", SETTINGS)
    seen.append(store.changed())
    store.create("Bob", SETTINGS)
    seen.append(store.changed())
    store.update(run_id, curves=[CURVE])
    seen.append(store.changed())
    store.finish(run_id, "done", [CURVE])
    seen.append(store.changed())
    store.delete(run_id)  # not the newest: Bob is left
    seen.append(store.changed())
    assert len(set(seen)) == len(seen), seen
    assert store.changed() == seen[-1]  # and stays put while nothing happens


def test_delete_and_clear_take_the_weights_too(store):
    ids = [store.create(n, SETTINGS) for n in ("a", "b", "c")]
    for run_id in ids:
        store.finish(run_id, "done", [], checkpoint=b"weights %d" % run_id)
    assert store.delete(ids[0]) is True and store.delete(ids[0]) is False
    assert store.run(ids[0]) is None and store.checkpoint(ids[0]) is None
    assert stored_weights(store) == 2
    assert store.clear() == 2
    assert store.runs() == [] and stored_weights(store) == 0
    assert store.create("d", SETTINGS) > ids[-1]  # an id is never given twice


def test_interrupt_touches_only_that_owners_runs_in_progress(store):
    mine_queued = store.create("a", SETTINGS, owner="app:host:8501")
    mine_running = store.create("b", SETTINGS, owner="app:host:8501", status="running")
    mine_done = store.create("c", SETTINGS, owner="app:host:8501")
    store.finish(mine_done, "done", [])
    theirs = store.create("d", SETTINGS, owner="app:host:8502", status="running")
    assert store.interrupt("app:host:8501") == 2
    status = {row.id: row.status for row in store.runs()}
    assert status == {mine_queued: "interrupted", mine_running: "interrupted",
                      mine_done: "done", theirs: "running"}  # fmt: skip
    assert "restarted" in store.run(mine_running).message and store.run(theirs).message is None
    assert store.interrupt("app:host:8501") == 0


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "a" * 25, "=cmd()", "-1+2", "+x", "@sum", "_hidden", "a\x00b", "bell\x07",
     "\x1b[31mred", "tab\x7f", "a;b", "a/b", "<b>", "zero\u200bwidth", "\U0001242b" * 3,
     "private\ue000"],
)  # fmt: skip
def test_check_name_refuses(raw, store):
    """Formulas, controls, invisible characters, and (issue 28) characters the page draws as
    empty boxes: a cuneiform sign, a private-use one."""
    with pytest.raises(StoreError) as caught:
        check_name(raw)
    assert "\n" not in str(caught.value)
    with pytest.raises(StoreError):
        store.create(raw, SETTINGS)
    assert store.runs() == []


@pytest.mark.parametrize(
    ("raw", "kept"),
    [("  Alice ", "Alice"), ("Zoe\u0308", "Zoë"), ("Jean  Luc", "Jean Luc"), ("a\tb\n", "a b"),
     ("O'Neil-2.x_y", "O'Neil-2.x_y"), ("a" * 24, "a" * 24)],
)  # fmt: skip
def test_check_name_keeps(raw, kept):
    assert check_name(raw) == kept


def test_a_recorded_training_run_is_in_the_store_as_it_trained(store, small_mnist):
    config = dataclasses.replace(
        FIXTURE_RECIPE, epochs=1, train_size=600, batch_size=100, evals_per_epoch=2
    )
    writer = StoreWriter(store)
    recorder = RunRecorder(writer, "Alice ", config, {"preset": "test"}, source="cli", owner="me")
    assert store.run(recorder.run_id).status == "queued"
    trainer = Trainer(config, small_mnist)
    evaluations = []

    def on_event(event) -> None:
        recorder.event(event)
        if isinstance(event, Evaluation):
            evaluations.append(dataclasses.asdict(event))

    finished = trainer.run(on_event)
    recorder.end(finished.outcome, model=trainer.model)
    assert writer.flush(30) and writer.problem is None
    row = store.run(recorder.run_id)
    assert (row.name, row.status, row.owner, row.source) == ("Alice", "done", "me", "cli")
    assert row.settings == config.to_dict()
    assert len(evaluations) == 2
    assert [{k: v for k, v in c.items() if k != "event"} for c in row.curves] == evaluations
    assert row.test_accuracy == finished.test_accuracy
    assert row.per_class == list(finished.per_class_accuracy)
    assert (row.steps, row.seconds) == (finished.step, finished.seconds)
    model, meta = load_checkpoint_bytes(store.checkpoint(row.id), "stored")
    assert meta["metrics"]["test_accuracy"] == finished.test_accuracy
    trained = trainer.model.eval()
    for key, tensor in trained.state_dict().items():
        assert torch.equal(model.state_dict()[key], tensor), key
    images = small_mnist.test.images[:256]
    with torch.no_grad():
        stored, live = model(images), trained(images)
    assert torch.equal(stored.argmax(1), live.argmax(1))
    torch.testing.assert_close(stored, live, rtol=0, atol=1e-5)  # same weights, same sums
    recorder.end("failed", "too late")  # only the first end counts
    assert writer.flush(30) and store.run(row.id).status == "done"
