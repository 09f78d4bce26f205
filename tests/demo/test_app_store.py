"""The app and the run store (AppTest, MNIST fixture): every run is stored under the student's
nickname, comes back to a new session that gives the same nickname, can be chosen on the Draw
page; a store that cannot be opened leaves the app working, with one notice."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

import demo.models.stored
import demo.session.store_state
import demo.training.state
import demo.views.train.controls
from lenet.files.checkpoint import load_checkpoint_bytes
from lenet.store.runs import open_store
from tests.demo.test_app import APP, button, run_until, status_text
from tests.demo.training.test_jobs import FIXTURE
from tests.paths import APPS

DRAW_APP = str(APPS / "draw_page.py")


def fresh_store_caches() -> None:
    demo.session.store_state.server_store.clear()
    demo.models.stored.stored_checkpoint.clear()
    demo.models.stored._choices.clear()


@pytest.fixture
def store_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'class.db'}"
    monkeypatch.setenv("LENET_DATABASE_URL", url)
    fresh_store_caches()
    yield url
    fresh_store_caches()


@pytest.fixture
def app(small_mnist, monkeypatch, tmp_path, store_url):
    monkeypatch.setattr(demo.training.state, "_verified_mnist", lambda: small_mnist)
    monkeypatch.setattr(demo.views.train.controls, "data_source", lambda: FIXTURE)
    monkeypatch.setenv("LENET_CHECKPOINT_DIR", str(tmp_path / "checkpoints"))
    return lambda: AppTest.from_file(APP, default_timeout=60)


def nickname_field(at: AppTest):
    return next(t for t in at.text_input if t.key == "nickname_input")


def train_quick(at: AppTest, name: str) -> None:
    nickname_field(at).set_value(name).run()
    button(at, "Start training").click().run()
    run_until(at, lambda a: "finished" in status_text(a))
    writer = demo.session.store_state.store_writer()  # the run's writes are on their own thread
    assert writer is None or writer.flush()


def test_a_run_is_stored_under_the_nickname_with_curves_results_and_weights(app, store_url):
    at = app()
    at.query_params.update(preset="quick", train_size="1000", batch_size="100")
    at.run()
    assert nickname_field(at).value.startswith("guest-")  # never nameless
    train_quick(at, "  Ada  Lovelace ")
    job = at.session_state["job"]
    store = open_store(store_url)
    [row] = store.runs(with_curves=True)
    assert row.id == job.recorder.run_id and row.name == "Ada Lovelace"
    assert (row.status, row.source) == ("done", "app")
    assert row.settings["train_size"] == 1000 and row.app_settings["preset"] == "quick"
    snap = job.snapshot()
    assert [c["val_accuracy"] for c in row.curves] == [e.val_accuracy for e in snap.evaluations]
    assert row.test_accuracy == pytest.approx(snap.finished.test_accuracy)
    assert len(row.per_class) == 10 and row.seconds > 0 and row.steps == snap.finished.step
    model, meta = load_checkpoint_bytes(store.checkpoint(row.id), "stored")
    for name, tensor in job.model.state_dict().items():
        assert model.state_dict()[name].equal(tensor), name
    assert meta["metrics"]["outcome"] == "done"
    store.close()


def test_a_new_session_gets_its_runs_back_by_nickname(app):
    first = app()
    first.query_params.update(preset="quick", train_size="1000", batch_size="100")
    first.run()
    train_quick(first, "grace")
    run_id = first.session_state["job"].recorder.run_id
    other = app()  # another student: sees nothing of grace's
    other.run()
    assert not any(s.value == "Your runs" for s in other.subheader)
    again = app()  # grace after a server restart (a new session, nothing in memory)
    again.run()
    nickname_field(again).set_value("GRACE").run()  # any case
    assert any(s.value == "Your runs" for s in again.subheader)
    rows = [m.value for m in again.markdown if m.value.startswith("**#")]
    assert [row.split("**")[1] for row in rows] == [f"#{run_id}"]
    assert any(m.value.startswith("done · **") for m in again.markdown)
    names = [t for t in again.text_input if t.label == "Model name"]
    names[0].set_value("graces_net")
    next(b for b in again.button if b.label == "Save model").click().run()
    assert "Saved as graces_net.pt" in again.success[0].value
    downloads = [b.label for b in again.get("download_button")]
    # its model, and its timeline read back from the store (issue 13)
    assert sorted(downloads) == [
        "Download as ONNX",
        "Download the model (.pt)",
        "Download the timeline as a GIF",
    ]


def test_the_draw_page_offers_the_students_stored_runs(app, small_mnist, monkeypatch):
    at = app()
    at.query_params.update(preset="quick", train_size="1000", batch_size="100")
    at.run()
    train_quick(at, "hopper")
    run_id = at.session_state["job"].recorder.run_id
    demo.models.stored._choices.clear()
    draw = AppTest.from_file(DRAW_APP, default_timeout=60)
    draw.session_state["nickname"] = "hopper"
    draw.run()
    chooser = next(s for s in draw.selectbox if s.key == "model_choice")
    assert any(o.startswith(f"Run {run_id} (yours): ") for o in chooser.options)
    chooser.set_value(f"run:{run_id}").run()
    assert not draw.exception and not draw.error
    assert draw.session_state["model_choice"] == f"run:{run_id}"


def test_a_store_that_cannot_open_leaves_training_working_with_one_notice(
    app, monkeypatch, tmp_path
):
    monkeypatch.setenv("LENET_DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    fresh_store_caches()
    at = app()
    at.query_params.update(preset="quick", train_size="1000", batch_size="100")
    at.run()
    notices = [w.value for w in at.warning if "not being saved" in w.value]
    assert len(notices) == 1 and "does not exist" in notices[0] and "\n" not in notices[0]
    train_quick(at, "lin")
    assert not at.exception and at.session_state["job"].recorder is None
    rows = [m.value for m in at.markdown if m.value.startswith("**#")]
    assert [row.split("**")[1] for row in rows] == ["#1"]  # numbered in the tab, as before


def test_a_bad_nickname_is_refused_in_one_line_and_the_old_one_kept(app):
    at = app()
    at.run()
    before = nickname_field(at).value
    nickname_field(at).set_value("=cmd|' /C calc'!A0").run()
    assert any(e.value.startswith("A nickname is 1 to 24") for e in at.error)
    assert nickname_field(at).value == before == at.session_state["nickname"]


def test_a_restarted_server_marks_the_runs_it_was_training_as_interrupted(store_url):
    from lenet.store.runs import process_owner

    store = open_store(store_url)
    ours = store.create(
        "ada", {"lr": 0.1}, owner=demo.session.store_state.server_owner(), status="running"
    )
    queued = store.create("alan", {"lr": 0.1}, owner=demo.session.store_state.server_owner())
    elsewhere = store.create("cli", {"lr": 0.1}, owner=process_owner("cli"), status="running")
    fresh_store_caches()
    assert demo.session.store_state.run_store() is not None  # the server starts again
    status = {row.id: row.status for row in store.runs()}
    assert status == {ours: "interrupted", queued: "interrupted", elsewhere: "running"}
    assert "restarted" in store.run(ours).message
    assert demo.session.store_state.store_line().startswith("Runs: stored in ")
    store.close()


def test_a_run_the_teacher_deleted_leaves_your_runs(app, store_url):
    at = app()
    at.query_params.update(preset="quick", train_size="1000", batch_size="100")
    at.run()
    train_quick(at, "ivy")
    first = at.session_state["job"].recorder.run_id
    button(at, "Start training").click().run()
    run_until(at, lambda a: "finished" in status_text(a))
    store = open_store(store_url)
    assert store.delete(first)
    store.close()
    at.run()
    rows = [m.value.split("**")[1] for m in at.markdown if m.value.startswith("**#")]
    assert f"#{first}" not in rows and len(rows) == 1


def test_a_nickname_that_has_runs_says_so_and_shows_why_a_run_ended(app, store_url):
    store = open_store(store_url)
    lost = store.create("Maya", {"lr": 0.005, "optimizer": "adamw"}, owner="app:gone:1")
    store.interrupt("app:gone:1")
    store.close()
    at = app()
    at.run()
    nickname_field(at).set_value("maya").run()
    notes = [i.value for i in at.info if "already has" in i.value]
    assert notes == [
        "**maya** already has 1 run on this server, shown in *Your runs* below: if it is not "
        "yours, choose another nickname."
    ]
    row = next(m.value for m in at.markdown if m.value.startswith("interrupted"))
    assert "The server restarted while this run was training." in row
    assert f"#{lost}" in [m.value.split("**")[1] for m in at.markdown if m.value.startswith("**#")]


def test_a_look_alike_nickname_is_told_whose_runs_it_looks_like(app, store_url):
    """Issue 28: "Mаya" with a Cyrillic а is Maya for the note, and the note says so."""
    store = open_store(store_url)
    store.finish(store.create("Maya", {"optimizer": "sgd"}), "done", [], {"test_accuracy": 0.9})
    store.close()
    at = app()
    at.run()
    nickname_field(at).set_value("M\u0430ya").run()
    notes = [i.value for i in at.info if "already has" in i.value]
    assert notes == [
        "**M\u0430ya** looks like **Maya**, who already has 1 run on this server, shown in "
        "*Your runs* below: if it is not yours, choose another nickname."
    ]
    nickname_field(at).set_value("\U0001242b" * 3).run()
    assert [e.value for e in at.error] == [
        "That nickname has characters the page cannot show: choose another."
    ]


def test_the_draw_page_hides_classmates_names_when_the_class_hides_them(app, store_url):
    import demo.classroom.teacher

    store = open_store(store_url)
    best = store.create("Zed", {"optimizer": "sgd"})
    store.finish(best, "done", [], {"test_accuracy": 0.99}, checkpoint=b"w")
    store.close()
    labels = {}
    for hidden in (False, True):
        demo.models.stored._choices.clear()
        draw = AppTest.from_file(DRAW_APP, default_timeout=60)
        draw.session_state["nickname"] = "someone-else"
        demo.classroom.teacher._hidden_for_all().set(hidden)
        draw.run()
        chooser = next(s for s in draw.selectbox if s.key == "model_choice")
        labels[hidden] = [o for o in chooser.options if o.startswith(f"Run {best} ")]
    demo.classroom.teacher._hidden_for_all().set(False)
    assert labels == {
        False: [f"Run {best} (Zed): 99.00%, sgd"],
        True: [f"Run {best} (a classmate): 99.00%, sgd"],
    }


def test_a_store_that_could_not_open_is_tried_again(tmp_path, monkeypatch):
    folder = tmp_path / "later"
    monkeypatch.setenv("LENET_DATABASE_URL", f"sqlite:///{folder / 'class.db'}")
    monkeypatch.setattr(demo.session.store_state, "REOPEN_S", 0.0)
    server = demo.session.store_state.ServerStore()
    store, writer, problem = server.get()
    assert store is None and writer is None and "does not exist" in problem
    folder.mkdir()  # the teacher fixes it: no restart needed
    store, writer, problem = server.get()
    assert store is not None and writer is not None and problem is None
    store.close()
