"""Any snapshot as a model (demo.models.steps, demo.models.choices.choose): a run that kept a
timeline offers its steps under the model chooser, one without offers none; so does a checkpoint
file or an upload that keeps one (issue 24); a step's model holds that snapshot's weights under a
key of its own; the choice survives a page that does not draw it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import demo.models.files
import demo.models.stored
import demo.models.timelines
import demo.session.store_state
import demo.training.state
from demo.models import steps as step_models
from demo.models.steps import FINAL, RunTimeline
from demo.models.upload import kept_upload
from demo.ui.text import plain
from lenet.files.checkpoint import checkpoint_bytes, save_checkpoint
from lenet.store.runs import open_store
from lenet.timeline.file import timeline_payload
from lenet.timeline.snapshots import flat_weights
from lenet.training.trainer import Trainer
from tests.lenet.timeline.test_timeline import SHORT_RUN
from tests.paths import APPS


def clear_caches() -> None:
    demo.session.store_state.server_store.clear()
    demo.models.stored.stored_checkpoint.clear()
    demo.models.stored._choices.clear()
    demo.models.timelines.stored_timeline.clear()
    demo.models.timelines.file_timeline.clear()
    demo.models.files.load_model_file.clear()
    step_models.snapshot_model.clear()
    step_models._test_probabilities.clear()


@pytest.fixture(scope="module")
def trainer(small_mnist):
    """A 40-step run that kept 40 snapshots, its last one its final weights."""
    trainer = Trainer(SHORT_RUN, small_mnist)
    assert trainer.run().outcome == "done"
    return trainer


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("LENET_DATABASE_URL", f"sqlite:///{tmp_path / 'class.db'}")
    clear_caches()
    store = open_store()
    yield store
    store.close()
    clear_caches()


def stored_run(store, trainer, with_timeline: bool) -> int:
    """A finished run of "hopper" in the store, with or without its snapshots."""
    run_id = store.create("hopper", SHORT_RUN.to_dict(), None, "cli", "test")
    meta = {"metrics": {"steps": 40, "outcome": "done"}}
    result = {"test_accuracy": 0.9, "steps": 40}
    store.finish(run_id, "done", [], result, checkpoint_bytes(trainer.model, meta))
    if with_timeline:
        for snap in trainer.snapshots.timeline().snapshots:
            store.add_snapshot(run_id, snap.step, snap.epoch, snap.weights.tobytes())
    return run_id


def tab_run(trainer, with_timeline: bool, job_id: int = 7) -> dict:
    """A finished run of this tab that the store does not hold (as remember_run keeps it)."""
    timeline = trainer.snapshots.timeline() if with_timeline else None
    return {
        "job_id": job_id,
        "run_id": None,
        "number": 1,
        "model": trainer.model,
        "timeline": timeline,
        "snap": None,
        "test_accuracy": 0.9,
        "outcome": "done",
        "optimizer": "adamw",
    }


def chooser_page() -> None:
    """The model chooser alone; with `away` set, a page that does not draw it."""
    import streamlit as st

    from demo.models import choices as models

    if st.session_state.get("away"):
        st.write("another page")
    else:
        st.session_state["picked"] = models.choose()


def chooser(**state) -> AppTest:
    at = AppTest.from_function(chooser_page, default_timeout=30)
    at.session_state["nickname"] = "hopper"
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def step_slider(at: AppTest):
    return [s for s in at.select_slider if s.key == "model_step"]


def test_a_stored_run_with_a_timeline_offers_its_steps_and_one_without_none(store, trainer):
    old = stored_run(store, trainer, with_timeline=False)
    new = stored_run(store, trainer, with_timeline=True)
    at = chooser(model_choice=f"run:{new}")
    [slider] = step_slider(at)
    steps = trainer.snapshots.timeline().steps
    assert steps[-1] == 40 and slider.options == [f"{s:,}" for s in steps[:-1]] + ["final"]
    assert slider.value == FINAL and at.session_state["picked"].key == f"run:{new}"
    assert slider.label == f"Run {new} at step 40 of 40: its final weights"
    slider.set_value(0).run()
    assert step_slider(at)[0].label == f"Run {new} at step 0 of 40 (epoch 0.00)"
    picked = at.session_state["picked"]
    assert (picked.key, picked.title) == (f"run:{new}@0", f"Run {new} at step 0")
    first = trainer.snapshots.timeline().snapshots[0].weights
    assert np.array_equal(flat_weights(picked.model), first)
    next(s for s in at.selectbox if s.key == "model_choice").set_value(f"run:{old}").run()
    assert not step_slider(at) and not at.error
    assert at.session_state["picked"].key == f"run:{old}"


def test_a_tab_run_offers_its_steps_and_the_step_survives_another_page(trainer):
    at = chooser(runs=[tab_run(trainer, True)])
    chooser_box = next(s for s in at.selectbox if s.key == "model_choice")
    assert "Run 1 (this tab): 90.00%, adamw" in chooser_box.options
    chooser_box.set_value("tab:7").run()
    step = trainer.snapshots.timeline().steps[20]
    step_slider(at)[0].set_value(step).run()
    assert at.session_state["picked"].key == f"tab:7@{step}"
    at.session_state["away"] = True
    at.run()
    assert not step_slider(at)
    at.session_state["away"] = False
    at.run()
    assert step_slider(at)[0].value == step and at.session_state["picked"].key == f"tab:7@{step}"


def test_a_tab_run_without_a_timeline_has_no_step_picker(trainer):
    at = chooser(runs=[tab_run(trainer, False)], model_choice="tab:7")
    assert not step_slider(at) and at.session_state["picked"].key == "tab:7"


def timeline_file(trainer, folder: Path, name: str = "with_timeline.pt") -> Path:
    """A checkpoint of the 40-step run that keeps its timeline, as the Train page saves one."""
    meta = {
        "metrics": {"steps": 40, "test_accuracy": 0.9},
        "timeline": timeline_payload(trainer.snapshots.timeline()),
    }
    return save_checkpoint(folder / name, trainer.model, meta)


def check_step_zero(at: AppTest, trainer, key: str, name: str) -> None:
    """The "At step" slider is there, ends on the final weights, and its 0 is the random start."""
    [slider] = step_slider(at)
    # a widget's label is Markdown: the name's marks are escaped (a file named **x** stays so)
    label = plain(f"{name} at step 40 of 40: its final weights")
    assert slider.value == FINAL and slider.label == label
    final = at.session_state["picked"]
    assert np.array_equal(flat_weights(final.model), flat_weights(trainer.model))
    slider.set_value(0).run()
    start = at.session_state["picked"]
    assert start.key == f"{key}@0" and start.title == f"{name} at step 0"
    first = trainer.snapshots.timeline().snapshots[0].weights
    assert np.array_equal(flat_weights(start.model), first)
    assert not np.array_equal(flat_weights(start.model), flat_weights(final.model))


def test_a_checkpoint_file_with_a_timeline_offers_its_steps(trainer, tmp_path, monkeypatch):
    monkeypatch.setenv("LENET_CHECKPOINT_DIR", str(tmp_path))
    clear_caches()
    path = timeline_file(trainer, tmp_path)
    at = chooser(model_choice="file:with_timeline.pt")
    assert not at.error and at.session_state["picked"].key == "file:with_timeline.pt"
    key = f"file:with_timeline.pt#{path.stat().st_mtime_ns}"
    check_step_zero(at, trainer, key, "Saved model with_timeline")
    assert demo.models.files.checkpoint_path(f"{key}@0") is None  # a step is not the file
    assert "timeline" not in demo.models.files.model_file(path)[1]  # not in the shared cache


def test_the_draw_page_offers_at_step_for_a_checkpoint_file(
    trainer, tmp_path, monkeypatch, small_mnist
):
    import demo.ui.canvas
    from tests.demo.views.test_draw_page import PAGE, FakeCanvas

    monkeypatch.setattr(demo.ui.canvas, "draw_canvas", FakeCanvas())
    monkeypatch.setattr(demo.training.state, "_verified_mnist", lambda: small_mnist)
    monkeypatch.setenv("LENET_CHECKPOINT_DIR", str(tmp_path))
    clear_caches()
    timeline_file(trainer, tmp_path)
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["model_choice"] = "file:with_timeline.pt"
    at.run()
    assert not at.exception and not at.error
    step_slider(at)[0].set_value(0).run()
    assert not at.exception and step_slider(at)[0].value == 0


def test_a_checkpoint_file_without_a_timeline_has_no_step_picker(trainer, tmp_path, monkeypatch):
    monkeypatch.setenv("LENET_CHECKPOINT_DIR", str(tmp_path))
    clear_caches()
    save_checkpoint(tmp_path / "plain.pt", trainer.model, {"metrics": {"steps": 40}})
    at = chooser(model_choice="file:plain.pt")
    assert not step_slider(at) and not at.error and not at.caption
    assert at.session_state["picked"].key == "file:plain.pt"


def test_an_upload_with_a_timeline_offers_its_steps(trainer, tmp_path):
    data = timeline_file(trainer, tmp_path, "mine.pt").read_bytes()
    upload = kept_upload(data, "mine.pt")
    assert upload["problem"] is None and upload["accuracy"] == 0.9
    at = chooser(uploaded_model=upload, model_choice="uploaded")
    check_step_zero(at, trainer, f"upload:{upload['digest']}", "Uploaded mine.pt")


def test_an_upload_with_a_damaged_timeline_is_still_a_model(trainer):
    payload = timeline_payload(trainer.snapshots.timeline())
    payload["steps"] = list(reversed(payload["steps"]))
    upload = kept_upload(checkpoint_bytes(trainer.model, {"timeline": payload}), "odd.pt")
    assert upload["run"] is None and "timeline is damaged" in upload["problem"]
    at = chooser(uploaded_model=upload, model_choice="uploaded")
    assert not step_slider(at) and not at.error
    assert at.session_state["picked"].key == f"upload:{upload['digest']}"
    assert [c.value for c in at.caption][0].startswith("Its training timeline cannot be read")


def run_of(trainer) -> RunTimeline:
    return RunTimeline("tab:9", "Run 9", trainer.snapshots.timeline(), SHORT_RUN.model, 40)


def test_a_step_model_holds_its_snapshot_and_is_built_once(trainer):
    run = run_of(trainer)
    for index in (0, 1, 17, 39):
        snapshot = run.timeline.snapshots[index]
        model = step_models.step_model(run, snapshot.step)
        assert np.array_equal(flat_weights(model), snapshot.weights)
        assert step_models.step_model(run, snapshot.step) is model  # cached
    assert not np.array_equal(
        flat_weights(step_models.step_model(run, 0)), flat_weights(trainer.model)
    )


def test_each_step_has_its_own_key_and_test_predictions(trainer, small_mnist):
    run = run_of(trainer)
    keys = {step_models.step_key(run.key, step) for step in step_models.options(run)}
    assert len(keys) == 40 and "tab:9" in keys and "tab:9@0" in keys and "tab:9@40" not in keys
    start = step_models.at_step(run, 0)
    end = step_models.at_step(run, FINAL)  # no model given: the last snapshot's
    assert (start.key, end.key, end.title) == ("tab:9@0", "tab:9@40", "Run 9 at step 40")
    from demo.models import choices as models

    early = models.test_probabilities(start.key, start.model, small_mnist)
    late = models.test_probabilities(end.key, end.model, small_mnist)
    assert early.shape == (1000, 10) and not np.allclose(early.numpy(), late.numpy())
    assert models.test_probabilities(start.key, start.model, small_mnist) is early  # cached


def test_the_label_reads_run_step_of_total_and_epoch(trainer):
    run = run_of(trainer)
    step = run.timeline.steps[20]
    epoch = run.timeline.snapshots[20].epoch
    label = step_models.step_label(run, step)
    assert label == f"Run 9 at step {step} of 40 (epoch {epoch:.2f})"
    live = RunTimeline("live:3", "The run training now", run.timeline, SHORT_RUN.model, None)
    assert step_models.options(live)[-2:] == [40, FINAL]  # while it trains: every snapshot
    assert step_models.step_label(live, FINAL).startswith("The run training now: its latest")


INSPECT_APP = str(APPS / "inspect_page.py")


def test_inspect_compares_a_run_with_its_random_start_side_by_side(
    trainer, small_mnist, monkeypatch
):
    monkeypatch.setattr(demo.training.state, "_verified_mnist", lambda: small_mnist)
    at = AppTest.from_file(INSPECT_APP, default_timeout=60)
    state = {"runs": [tab_run(trainer, True)], "model_choice": "tab:7", "inspect_source": "test"}
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not [t for t in at.toggle if t.key == "compare_on"][0].value
    next(t for t in at.toggle if t.key == "compare_on").set_value(True).run()
    assert not at.exception and not at.error
    titles = [h.value for h in at.subheader]
    assert titles == ["Run 1 at step 40", "Run 1 at step 0"]
    first, second = (m.value for m in at.metric)
    assert first != second
    next(r for r in at.radio if r.key == "compare_pick").set_value("model").run()
    assert [h.value for h in at.subheader] == ["Run 1 at step 40", "Shipped model"]
    next(r for r in at.radio if r.key == "compare_pick").set_value("step").run()
    middle = trainer.snapshots.timeline().steps[20]
    assert [h.value for h in at.subheader] == ["Run 1 at step 40", f"Run 1 at step {middle}"]


def test_a_model_title_from_an_upload_is_shown_as_written():
    """An uploaded file's name is part of a model's title: never Markdown, never Plotly tags."""
    import json

    from streamlit.testing.v1 import AppTest

    def page():
        import numpy as np

        from demo.models.steps import Picked
        from demo.views.inspect.compare import side_by_side
        from lenet.model import LeNet5

        name = "Uploaded: **bold** ![x](http://example.invalid/x.png) <a href='y'>z</a>"
        pair = [Picked("upload:1", LeNet5().eval(), name), Picked("shipped", LeNet5().eval(), "B")]
        side_by_side(pair, np.zeros((28, 28), np.float32), "a blank digit")

    at = AppTest.from_function(page).run()
    assert not at.exception
    heading = at.subheader[0].value
    assert "\\*\\*bold\\*\\*" in heading and "![x](" not in heading

    title = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"]
    assert "<a href" not in title and "&lt;a href=" in title


def test_a_checkpoints_name_in_the_step_label_is_shown_as_written():
    """A file named like Markdown ("**x** [a](http://evil)") showed as bold and a live link."""
    from demo.models.steps import step_label

    class Run:
        name = "Uploaded **x** [a](http://evil) :red[r]"

    label = plain(step_label(type("R", (), {"name": Run.name, "live": True,
                                             "timeline": type("T", (), {"total_steps": 9})})(),
                             FINAL))  # fmt: skip
    assert "\\*\\*x\\*\\*" in label and "\\[a\\]" in label and "[a](" not in label
