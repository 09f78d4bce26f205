"""The Train page through Streamlit's AppTest, on the MNIST fixture."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

import demo.training.state
import demo.views.train.controls
from lenet.errors import DataError
from tests.demo.training.test_jobs import FIXTURE
from tests.paths import ROOT

APP = str(ROOT / "demo" / "app.py")
CONTROL_KEYS = [
    "set_preset",
    "set_epochs",
    "set_batch_size",
    "set_optimizer",
    "set_lr",
    "set_momentum",
    "set_weight_decay",
    "set_scheduler",
    "set_activation",
    "set_pooling",
    "set_train_size",
    "set_seed",
    "set_evals_per_epoch",
]


@pytest.fixture
def app(small_mnist, monkeypatch, tmp_path):
    monkeypatch.setattr(demo.training.state, "_verified_mnist", lambda: small_mnist)
    monkeypatch.setattr(demo.views.train.controls, "data_source", lambda: FIXTURE)
    monkeypatch.setenv("LENET_CHECKPOINT_DIR", str(tmp_path))
    return AppTest.from_file(APP, default_timeout=60)


def widgets_by_key(at: AppTest) -> dict:
    found = {}
    for kind in ("selectbox", "number_input", "select_slider", "radio"):
        for widget in getattr(at, kind):
            found[widget.key] = widget
    return found


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def status_text(at: AppTest) -> str:
    lines = [m.value for m in at.markdown if m.value.startswith("**Status:**")]
    return lines[0] if lines else ""


def run_until(at: AppTest, predicate, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while not predicate(at):
        assert time.time() < deadline, f"timed out; status: {status_text(at)}"
        time.sleep(0.3)
        at.run()


def model_name(at):
    return next(t for t in at.text_input if t.label == "Model name")


def test_train_page_controls_are_present_bounded_and_explained(app):
    at = app.run()
    assert not at.exception
    assert at.title[0].value == "Train LeNet-5"
    widgets = widgets_by_key(at)
    assert set(CONTROL_KEYS) <= set(widgets)
    for key in CONTROL_KEYS:
        assert widgets[key].help, key
    assert (widgets["set_epochs"].min, widgets["set_epochs"].max) == (1, 50)
    assert widgets["set_preset"].options == ["Classic", "Fast", "Quick demo"]
    assert widgets["set_lr"].options[0] == "0.0001" and widgets["set_lr"].options[-1] == "10"
    labels = [b.label for b in at.button]
    assert labels[:4] == ["Start training", "Pause", "Resume", "Stop"]
    assert [button(at, label).disabled for label in labels[:4]] == [False, True, True, True]
    assert "No run yet" in at.info[0].value


def test_quick_demo_runs_to_the_end_with_results_and_comparison(app):
    app.query_params["preset"] = "quick"
    at = app.run()
    button(at, "Start training").click().run()
    run_until(at, lambda a: "finished" in status_text(a))
    assert not at.exception
    assert [button(at, label).disabled for label in ("Start training", "Pause", "Stop")] == [
        False,
        True,
        True,
    ]
    metric = next(m for m in at.metric if m.label == "Test accuracy")
    assert 80 < float(metric.value.rstrip("%")) <= 100
    assert any(s.value == "Your runs" for s in at.subheader)
    assert any("What they make of" in m.value for m in at.markdown)  # the timeline (issue 13)
    assert at.session_state["job"].model_version >= 1  # weights arrived during the run
    restore = [b for b in at.button if b.label == "Restore settings"]
    assert len(restore) == 1


def test_save_model_writes_a_checkpoint_and_refuses_to_overwrite(app, tmp_path):
    app.query_params.update(preset="quick", train_size="1000", batch_size="100")
    at = app.run()
    button(at, "Start training").click().run()
    run_until(at, lambda a: "finished" in status_text(a))
    model_name(at).set_value("my_first_net")
    button(at, "Save model").click().run()
    assert (tmp_path / "my_first_net.pt").is_file()
    assert "Saved as my_first_net.pt" in at.success[0].value
    from lenet.files.checkpoint import load_checkpoint

    _, meta = load_checkpoint(tmp_path / "my_first_net.pt")
    assert meta["train_config"]["train_size"] == 1000 and meta["name"] == "my_first_net"


def test_settings_round_trip_through_the_link(app):
    app.query_params.update(preset="fast", epochs="3", activation="tanh")
    at = app.run()
    widgets = widgets_by_key(at)
    assert widgets["set_preset"].value == "fast" and widgets["set_epochs"].value == 3
    assert widgets["set_activation"].value == "tanh"
    widgets["set_seed"].set_value(42).run()
    assert at.query_params["seed"] == "42" and at.query_params["epochs"] == "3"
    assert at.query_params["preset"] == "fast"


def test_choosing_a_preset_fills_every_control(app):
    at = app.run()
    widgets_by_key(at)["set_preset"].set_value("quick").run()
    widgets = widgets_by_key(at)
    assert widgets["set_train_size"].value == 10_000 and widgets["set_batch_size"].value == 64
    assert widgets["set_optimizer"].value == "adamw"


def test_a_bad_link_parameter_shows_a_notice_not_an_exception(app):
    app.query_params.update(preset="fast", epochs="999", colour="red")
    at = app.run()
    assert not at.exception
    texts = [w.value for w in at.warning]
    assert "Ignored `epochs=999` from the link: it must be a whole number from 1 to 50." in texts
    assert "Ignored `colour=red` from the link: there is no setting of that name." in texts
    assert widgets_by_key(at)["set_epochs"].value == 2  # the preset's


def test_a_locked_link_fixes_the_controls(app):
    app.query_params.update(preset="quick", lock="1")
    at = app.run()
    widgets = widgets_by_key(at)
    assert all(widgets[key].disabled for key in CONTROL_KEYS)
    assert any("lock=1" in i.value for i in at.info)
    assert not button(at, "Start training").disabled  # students still train


def test_a_diverging_rate_is_explained(app):
    app.query_params.update(preset="fast", lr="10.0", train_size="1000", epochs="1")
    at = app.run()
    button(at, "Start training").click().run()
    run_until(at, lambda a: "diverged" in status_text(a))
    assert any("The loss blew up at step" in e.value for e in at.error)
    advice = next(w.value for w in at.warning if w.value.startswith("Diverged means"))
    assert "try a learning rate of 0.01" in advice  # AdamW, 16 steps: lenet.training.advice
    at.button(key="use_advice").click().run()  # one click puts it in the settings
    assert at.session_state["settings"]["lr"] == 0.01
    assert at.select_slider(key="set_lr").value == 0.01


def test_batch_larger_than_the_subset_is_refused_before_training(app):
    app.query_params.update(preset="quick", train_size="1000", batch_size="1024")
    at = app.run()
    button(at, "Start training").click().run()
    assert "batch size (1,024) is larger than the number of training images" in at.error[0].value
    assert "No run yet" in at.info[0].value


def test_missing_mnist_without_network_shows_the_fix(app, monkeypatch):
    def missing():
        raise DataError("MNIST is missing")

    def cannot_fetch(log=None):
        raise DataError("MNIST is not ready in data/MNIST/raw (...). Fix: place the files by hand.")

    monkeypatch.setattr(demo.training.state, "_verified_mnist", missing)
    monkeypatch.setattr(demo.training.state, "ensure_mnist", cannot_fetch)
    at = app.run()
    assert not at.exception
    assert "place the files by hand" in at.error[0].value
    assert not [b for b in at.button if b.label == "Start training"]


def test_reruns_never_restart_or_duplicate_a_run(app):
    app.query_params.update(preset="classic", train_size="5000", epochs="20", batch_size="64")
    at = app.run()
    button(at, "Start training").click().run()
    job = at.session_state["job"]
    run_until(at, lambda a: "running" in status_text(a))
    for _ in range(3):  # anything else the student clicks reruns the whole script
        at.run()
        assert at.session_state["job"] is job
    assert widgets_by_key(at)["set_seed"].disabled  # settings wait for the run to end
    assert button(at, "Start training").disabled
    button(at, "Pause").click().run()
    run_until(at, lambda a: "paused" in status_text(a))  # once the run acknowledges the pause
    button(at, "Stop").click().run()
    run_until(at, lambda a: "stopped" in status_text(a))
    assert job.join(10) and at.session_state["job"] is job


def test_a_full_disk_when_saving_loses_nothing(app, tmp_path, monkeypatch):
    from lenet.files import checkpoint

    (tmp_path / "keep.pt").write_bytes(b"an earlier model")
    app.query_params.update(preset="quick", train_size="1000", batch_size="100")
    at = app.run()
    button(at, "Start training").click().run()
    run_until(at, lambda a: "finished" in status_text(a))

    def disk_full(fd):  # the disk fills up while the file is written
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(checkpoint.os, "fsync", disk_full)
        model_name(at).set_value("my_net")
        button(at, "Save model").click().run()
    assert any("No space left on device" in e.value for e in at.error)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.pt"]
    assert (tmp_path / "keep.pt").read_bytes() == b"an earlier model"
    model_name(at).set_value("keep")
    button(at, "Save model").click().run()
    assert any("keep.pt already exists" in e.value for e in at.error)
    assert (tmp_path / "keep.pt").read_bytes() == b"an earlier model"


def test_every_finished_run_stays_savable_and_numbered_as_in_the_store(app, tmp_path):
    app.query_params.update(preset="quick", train_size="1000", batch_size="100")
    at = app.run()
    ids = []
    for _ in range(2):
        button(at, "Start training").click().run()
        ids.append(at.session_state["job"].recorder.run_id)
        run_until(at, lambda a: "finished" in status_text(a))
    assert ids[1] > ids[0]
    line = next(c.value for c in at.caption if c.value.startswith("Run #"))
    assert line.startswith(f"Run #{ids[1]} finished after")  # its number in the run store
    rows = [m.value for m in at.markdown if m.value.startswith("**#")]
    assert [row.split("**")[1] for row in rows] == [f"#{ids[1]}", f"#{ids[0]}"]
    names = [t for t in at.text_input if t.label == "Model name"]
    assert len(names) == 3  # the current result, and both runs in the table
    names[2].set_value("the_first_run")  # run #1, from the table
    saves = [b for b in at.button if b.label == "Save model"]
    saves[2].click().run()
    assert (tmp_path / "the_first_run.pt").is_file()
    from lenet.files.checkpoint import load_checkpoint

    _, meta = load_checkpoint(tmp_path / "the_first_run.pt")
    assert meta["name"] == "the_first_run" and meta["metrics"]["outcome"] == "done"
    models = [b for b in at.get("download_button") if b.label == "Download the model (.pt)"]
    assert len(models) == 3  # and the timeline's GIF


def test_stopping_early_says_what_happened_without_blaming_the_settings(app):
    app.query_params.update(preset="fast", train_size="1000", batch_size="16", epochs="50")
    at = app.run()
    button(at, "Start training").click().run()
    run_until(at, lambda a: "running" in status_text(a) and a.session_state["job"].model)
    button(at, "Stop").click().run()
    run_until(at, lambda a: "stopped" in status_text(a))
    assert any(i.value.startswith("Stopped after") for i in at.info)
    assert not any("learned (almost) nothing" in w.value for w in at.warning)
    assert not any("learning rate" in i.value.lower() for i in at.info)


def test_the_buttons_follow_a_run_that_moved_on_while_the_page_was_drawn(app):
    """The buttons are drawn from one look at the run and the live part from a later one: a run
    that turned from starting to running in between once left Pause greyed out for good."""
    import dataclasses

    app.query_params.update(preset="fast", train_size="1000", batch_size="16", epochs="50")
    at = app.run()
    button(at, "Start training").click().run()
    run_until(at, lambda a: "running" in status_text(a))
    job = at.session_state["job"]
    looks = iter([dataclasses.replace(job.snapshot(), status="starting")])
    job.snapshot = lambda: next(looks, None) or type(job).snapshot(job)  # the first look lags
    at.run()
    assert "running" in status_text(at)
    assert not button(at, "Pause").disabled and not button(at, "Stop").disabled
    button(at, "Stop").click().run()
    run_until(at, lambda a: "stopped" in status_text(a))


def test_locked_controls_keep_the_teachers_settings_whatever_the_browser_sends(app):
    """Under load a page run cut short left the controls at their minimums (the browser then
    sends those), and they replaced the locked link's settings and the address bar's."""
    app.query_params.update(preset="quick", lr="0.05", lock="1")
    at = app.run()
    assert at.session_state["settings"]["lr"] == 0.05
    at.session_state["set_lr"], at.session_state["set_epochs"] = 0.0001, 1  # the minimums
    at.session_state["set_batch_size"] = 16
    at.run()
    settings = at.session_state["settings"]
    assert (settings["lr"], settings["batch_size"]) == (0.05, 64)  # Quick demo's, the link's rate
    shown = widgets_by_key(at)
    assert shown["set_lr"].value == 0.05 and shown["set_batch_size"].value == 64
    assert all(shown[k].disabled for k in CONTROL_KEYS)


def test_each_control_falls_back_to_the_students_setting_not_its_minimum(app):
    """A control whose state a page run cut short lost is redrawn by the browser at its own
    default: that default is the session's setting (an unlocked page once fell to the minimums)."""
    app.query_params.update(preset="quick", lr="0.05", epochs="3", seed="7")
    at = app.run()
    from demo.session.settings import FIELDS

    settings = at.session_state["settings"]
    shown = widgets_by_key(at)
    for control in CONTROL_KEYS:
        widget, name = shown[control], control.removeprefix("set_")
        if widget.type == "number_input":
            assert widget.proto.default == settings[name], name
        else:  # the choices' index of the default (a select slider's is a list of one)
            default = widget.proto.default
            index = int(default[0]) if widget.type == "select_slider" else default
            assert index == list(FIELDS[name].choices).index(settings[name]), name
    assert (settings["lr"], settings["epochs"], settings["seed"]) == (0.05, 3, 7)


def test_learned_nothing_advice_fits_the_settings():
    import dataclasses

    from lenet.config import ModelConfig
    from lenet.training.advice import advise
    from lenet.training.presets import PRESETS

    def learned_nothing_advice(config) -> str:
        return advise(config).message

    classic = PRESETS[
        "classic"
    ].config  # the rates: lenet.training.advice, tests/lenet/training/test_advice.py
    high = dataclasses.replace(classic, lr=5.0)
    assert "far too high for SGD" in learned_nothing_advice(high)
    assert learned_nothing_advice(high).endswith("Try 0.1.")
    adamw = dataclasses.replace(high, optimizer="adamw", model=ModelConfig(activation="relu"))
    assert learned_nothing_advice(adamw).endswith("Try 0.005.")  # 15 epochs: Fast's rate
    low = dataclasses.replace(classic, lr=1e-4)
    assert "so small" in learned_nothing_advice(low)
    assert "far too high" not in learned_nothing_advice(dataclasses.replace(classic, lr=0.1))


def test_stopping_a_queued_run_says_it_never_started(app):
    import threading

    slots = demo.training.state.job_slots()
    holders, cancel = [object() for _ in range(slots.capacity)], threading.Event()
    for holder in holders:  # other students' runs hold every slot
        assert slots.acquire(holder, cancel)
    try:
        app.query_params.update(preset="quick", train_size="1000", batch_size="100")
        at = app.run()
        button(at, "Start training").click().run()
        run_until(at, lambda a: "queued" in status_text(a))
        button(at, "Stop").click().run()
        run_until(at, lambda a: "stopped" in status_text(a))
        at.run()
        assert not at.exception
        assert any("Stopped before it started" in i.value for i in at.info)
    finally:
        for holder in holders:
            slots.release(holder)
