"""The training timeline: the snapshot schedule, snapshots from the trainer, their round trip
through a checkpoint file and the run store, and damaged timelines refused."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sqlalchemy as sa
import torch

from lenet.errors import CheckpointError
from lenet.files.checkpoint import save_checkpoint
from lenet.model import LeNet5
from lenet.store.runs import StoreError
from lenet.store.timelines import stored_timeline, weights_array
from lenet.timeline.file import load_timeline, timeline_payload
from lenet.timeline.snapshots import (
    MIN_SNAPSHOTS,
    MOST_SNAPSHOTS,
    WEIGHTS_BYTES,
    Snapshot,
    Timeline,
    snapshot_steps,
)
from lenet.training.presets import PRESETS
from lenet.training.trainer import Trainer, build_model
from tests.conftest import FIXTURE_RECIPE


def steps_per_epoch(train_size: int, batch: int) -> int:
    return -(-train_size // batch)


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_keeps_enough_snapshots_within_the_size_limit(name):
    config = PRESETS[name].config
    per_epoch = steps_per_epoch(config.train_size or 54_000, config.batch_size)
    steps = snapshot_steps(per_epoch, config.epochs, config.evals_per_epoch)
    assert MIN_SNAPSHOTS <= len(steps) <= MOST_SNAPSHOTS
    assert len(steps) * WEIGHTS_BYTES <= 20_000_000
    assert steps == sorted(set(steps)) and steps[0] == 0 and steps[-1] == per_epoch * config.epochs
    for epoch in range(1, config.epochs + 1):  # every evaluation point of a one-a-epoch run
        assert epoch * per_epoch in steps


def test_the_early_steps_are_dense():
    steps = snapshot_steps(422, 1)
    assert {0, 1, 2, 3, 4} <= set(steps)
    early = [s for s in steps if s <= 42]  # the first tenth of the run
    assert len(early) > len(steps) / 2


def test_a_short_run_keeps_every_step():
    assert snapshot_steps(10, 2) == list(range(21))


def test_many_evaluations_are_thinned_to_fit():
    steps = snapshot_steps(422, 50, evals_per_epoch=10)
    assert len(steps) <= MOST_SNAPSHOTS and steps[-1] == 422 * 50
    assert snapshot_steps(422, 50, evals_per_epoch=10) == steps  # deterministic


SHORT_RUN = dataclasses.replace(FIXTURE_RECIPE, epochs=1, train_size=2000, batch_size=50)


@pytest.fixture(scope="module")
def trained(small_mnist):
    """A 40-step run with its timeline, and the steps it was told to keep."""
    trainer = Trainer(SHORT_RUN, small_mnist)
    heard = []
    trainer.snapshots.on_take = heard.append
    finished = trainer.run()
    return trainer, finished, heard


def test_a_run_keeps_its_scheduled_snapshots_and_ends_on_its_final_weights(trained):
    trainer, finished, heard = trained
    timeline = trainer.snapshots.timeline()
    assert timeline.steps == snapshot_steps(40, 1, 1) and len(timeline) == MIN_SNAPSHOTS
    assert [s.step for s in heard] == timeline.steps  # told of each as it was kept
    assert timeline.total_steps == 40 and timeline.epochs[-1] == pytest.approx(1.0)
    first, last = (
        timeline.model(0, SHORT_RUN.model),
        timeline.model(len(timeline) - 1, SHORT_RUN.model),
    )
    fresh = build_model(SHORT_RUN)
    for name, value in fresh.state_dict().items():  # step 0 is the random start
        assert torch.equal(first.state_dict()[name], value), name
    for name, value in trainer.model.state_dict().items():  # the last is the trained model
        assert torch.equal(last.state_dict()[name], value.cpu()), name
    assert not np.array_equal(timeline.snapshots[1].weights, timeline.snapshots[2].weights)
    assert finished.outcome == "done"


def test_a_stopped_run_keeps_the_weights_it_stopped_with(small_mnist):
    config = dataclasses.replace(FIXTURE_RECIPE, epochs=3, train_size=5000, batch_size=50)
    trainer = Trainer(config, small_mnist)

    def stop_at_57(event):
        if getattr(event, "step", 0) == 57:
            trainer.stop()

    trainer.run(stop_at_57)
    steps = trainer.snapshots.timeline().steps
    assert steps[-1] == 57 and 57 not in snapshot_steps(100, 3, 1)
    assert torch.equal(
        trainer.snapshots.timeline().model(len(steps) - 1, config.model).fc3.weight,
        trainer.model.fc3.weight.detach().cpu(),
    )


def test_snapshots_can_be_turned_off(small_mnist):
    trainer = Trainer(SHORT_RUN, small_mnist, snapshots=False)
    assert trainer.run().outcome == "done" and trainer.snapshots is None


def test_the_timeline_round_trips_through_a_checkpoint_file(trained, tmp_path):
    trainer, finished, _ = trained
    timeline = trainer.snapshots.timeline()
    path = save_checkpoint(
        tmp_path / "t.pt", trainer.model, {"timeline": timeline_payload(timeline)}
    )
    assert path.stat().st_size < 40 * WEIGHTS_BYTES + 300_000
    model, meta, loaded = load_timeline(path)
    assert "timeline" not in meta and loaded.steps == timeline.steps
    assert loaded.epochs == pytest.approx(timeline.epochs) and loaded.total_steps == 40
    assert np.array_equal(loaded.stacked(), timeline.stacked())
    plain = save_checkpoint(tmp_path / "plain.pt", trainer.model)  # checkpoints from before
    assert load_timeline(plain)[2] is None


def test_the_largest_timeline_fits_the_loader(tmp_path):
    weights = np.random.default_rng(0).normal(0, 0.1, (MOST_SNAPSHOTS, 61_706)).astype(np.float32)
    snaps = tuple(Snapshot(i, i / 10, row) for i, row in enumerate(weights))
    timeline = Timeline(snaps, MOST_SNAPSHOTS)
    path = save_checkpoint(tmp_path / "big.pt", LeNet5(), {"timeline": timeline_payload(timeline)})
    assert path.stat().st_size <= 20_500_000
    assert len(load_timeline(path)[2]) == MOST_SNAPSHOTS


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda t: t.update(steps=t["steps"][::-1]), "not in order"),
        (lambda t: t.update(weights=t["weights"][:, :100]), "are not 40 x 61,706"),
        (lambda t: t["weights"].__setitem__((3, 5), float("nan")), "not finite"),
        (lambda t: t.update(epochs=["one"] * 40), "epoch is not a number"),
        (lambda t: t.update(steps="all"), "steps 'all'"),
        (lambda t: t.update(total_steps=10), "not in order within the run"),
    ],
)
def test_a_damaged_timeline_is_refused_in_one_line(trained, tmp_path, change, words):
    trainer, _, _ = trained
    payload = timeline_payload(trainer.snapshots.timeline())
    change(payload)
    path = save_checkpoint(tmp_path / "bad.pt", trainer.model, {"timeline": payload})
    with pytest.raises(CheckpointError, match=words) as caught:
        load_timeline(path)
    assert "\n" not in str(caught.value) and str(caught.value).startswith("bad.pt: ")


def test_a_stored_run_keeps_its_snapshots_and_loses_them_when_deleted(store, trained):
    trainer, _, _ = trained
    timeline = trainer.snapshots.timeline()
    run_id = store.create("ada", SHORT_RUN.to_dict(), None, "cli", "test")
    for snap in timeline.snapshots:
        store.add_snapshot(run_id, snap.step, snap.epoch, snap.weights.tobytes())
    assert store.snapshot_steps(run_id) == [
        (s.step, pytest.approx(s.epoch)) for s in timeline.snapshots
    ]
    back = weights_array(store.snapshot(run_id, 20), 61_706)
    assert np.array_equal(back, timeline.snapshots[20].weights)
    assert len(store.all_snapshots(run_id)) == 40 and store.snapshot(run_id, 99) is None
    store.delete(run_id)
    assert store.snapshot_steps(run_id) == []


def test_a_diverging_run_keeps_only_sound_weights(small_mnist):
    """Weights blow up before the loss says so: the timeline ends at the last sound step, so
    its checkpoint and store rows stay readable (attacker review)."""
    config = dataclasses.replace(
        FIXTURE_RECIPE, optimizer="adam", lr=20000.0, scheduler="none", train_size=1000
    )
    trainer = Trainer(config, small_mnist)
    assert trainer.run().outcome == "diverged"
    timeline = trainer.snapshots.timeline()
    assert len(timeline) >= 1 and timeline.steps[0] == 0
    assert all(
        np.isfinite(s.weights).all() and np.abs(s.weights).max() <= 1e4 for s in timeline.snapshots
    )


def test_crafted_store_rows_are_refused_in_one_line(store, trained):
    trainer, _, _ = trained
    timeline = trainer.snapshots.timeline()
    run_id = store.create("ada", SHORT_RUN.to_dict(), None, "cli", "test")
    for snap in timeline.snapshots[:5]:
        store.add_snapshot(run_id, snap.step, snap.epoch, snap.weights.tobytes())
    assert stored_timeline(store, run_id).steps == timeline.steps[:5]
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE run_snapshots SET weights = 'abc' WHERE step = 3"))
    with pytest.raises(
        StoreError,
        match=r"^run \d+: its timeline is damaged \(a stored snapshot (is str|has 3 bytes)",
    ):
        stored_timeline(store, run_id)
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE run_snapshots SET epoch = 1e300 WHERE step = 2"))
    with pytest.raises(StoreError, match="an epoch is not a number of epochs done"):
        stored_timeline(store, run_id)
    store.delete(run_id)  # the teacher deleted the run while it trained: later snapshots vanish
    store.add_snapshot(run_id, 9, 0.1, timeline.snapshots[0].weights.tobytes())
    assert store.snapshot_steps(run_id) == []


def test_a_run_claiming_a_vast_number_of_steps_is_refused(trained, tmp_path):
    trainer, _, _ = trained
    payload = timeline_payload(trainer.snapshots.timeline())
    payload["total_steps"] = 10**30
    path = save_checkpoint(tmp_path / "vast.pt", trainer.model, {"timeline": payload})
    with pytest.raises(
        CheckpointError, match=r"vast.pt: its training timeline is damaged \(a run of"
    ):
        load_timeline(path)
