"""The Train page's training timeline: the cursor on the curves, the pictures of a step, their
caches, the run chooser's pieces, a stored run's curves (issue 24: the minibatch curve when it
kept one), and the slider with Play/Pause through AppTest."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import time
import types

import numpy as np
import pytest
import textstat
from PIL import Image
from streamlit.testing.v1 import AppTest

from demo.figures import train_charts
from demo.figures.timeline_images import filters_png, step_views, weight_limits
from demo.views.train import timeline as train_timeline
from demo.views.train import timeline_views as train_timeline_views
from demo.views.train.timeline_runs import OLD_RUN_NOTE, has_timeline, run_key, stored_curves
from lenet.config import ModelConfig
from lenet.model import LeNet5
from lenet.store.runs import open_store
from lenet.timeline.snapshots import Snapshot, Timeline, flat_weights
from lenet.training.batch_curve import BatchPoint, to_json
from lenet.training.events import BatchEnd, Evaluation
from lenet.training.trainer import Trainer
from tests.conftest import FIXTURE_RECIPE
from tests.demo import test_app
from tests.demo.test_app import button, run_until, status_text

app = test_app.app  # the app on the fixture (a pytest fixture, shared)
SHORT = dataclasses.replace(FIXTURE_RECIPE, epochs=1, train_size=1000, batch_size=100)


@pytest.fixture(scope="module")
def timeline(small_mnist) -> Timeline:
    """A real run's timeline: 10 steps, every one kept (a run shorter than 40 snapshots)."""
    trainer = Trainer(SHORT, small_mnist)
    trainer.run()
    return trainer.snapshots.timeline()


def digit() -> np.ndarray:
    """A vertical bar: a 1, near enough."""
    image = np.zeros((28, 28), np.float32)
    image[4:24, 13:16] = 1.0
    return image


def cursor_of(figure) -> list[float]:
    shapes = figure.to_plotly_json()["layout"].get("shapes", [])
    return [(s["x0"], s["x1"], s["yref"]) for s in shapes]


def test_every_curve_takes_the_timeline_cursor_at_its_epoch():
    batches = [BatchEnd(s, s / 10, 2.0 - s / 10, 1e-3, 1000.0) for s in range(1, 11)]
    evaluations = [Evaluation(10, 1.0, 1.0, 0.7, 0.9, 0.75)]
    figures = [
        train_charts.loss_figure(batches, 1, 10, cursor=0.4),
        train_charts.accuracy_figure(evaluations, 1, cursor=0.4),
        train_charts.lr_figure(batches, 1, cursor=0.4),
        train_charts.evaluation_loss_figure(evaluations, 1, cursor=0.4),
    ]
    for figure in figures:
        assert cursor_of(figure) == [(0.4, 0.4, "paper")]
    assert cursor_of(train_charts.loss_figure(batches, 1, 10)) == []  # the live chart: none
    assert cursor_of(train_charts.accuracy_figure(evaluations, 1, cursor=0.0)) == [
        (0.0, 0.0, "paper")  # step 0 is a position too
    ]


def test_the_filters_picture_has_a_row_per_filter_and_follows_the_weights():
    first, second = LeNet5(ModelConfig()), LeNet5(ModelConfig())
    pictures = [
        filters_png(m.conv2.weight.detach().numpy(), "conv2 filters") for m in (first, second)
    ]
    image = Image.open(__import__("io").BytesIO(pictures[0]))
    assert image.height > image.width  # 16 rows of 6 kernels: fits a third of the page
    assert pictures[0] != pictures[1]


def test_the_first_and_last_snapshot_look_and_answer_differently(timeline):
    first = step_views(timeline.model(0, SHORT.model), digit())
    last = step_views(timeline.model(len(timeline) - 1, SHORT.model), digit())
    assert len(first.probabilities) == 10 and abs(sum(first.probabilities) - 1) < 1e-5
    assert first.kernels != last.kernels and first.filters != last.filters
    assert first.conv1 != last.conv1 and first.conv2 != last.conv2
    assert first.probabilities != last.probabilities


def test_the_pictures_are_cached_per_run_step_and_digit(timeline, monkeypatch):
    made = []
    real = train_timeline_views.step_views
    monkeypatch.setattr(
        train_timeline_views, "step_views", lambda m, d, s: made.append(1) or real(m, d, s)
    )
    train_timeline_views.cached_views.clear()
    one = digit()
    key = train_timeline_views.digit_key(one)

    limits = weight_limits(timeline, SHORT.model)

    def views(run: str, step: int, image=one, image_key=key):
        return train_timeline_views.cached_views(
            run, step, image_key, limits, timeline, SHORT.model, image
        )

    assert views("run1", 0) is views("run1", 0)
    assert len(made) == 1
    views("run1", 10)
    views("run2", 0)
    other = one.T.copy()  # a horizontal bar
    views("run1", 0, other, train_timeline_views.digit_key(other))
    assert len(made) == 4  # another step, run or digit is drawn anew
    assert train_timeline_views.digit_key(one) == train_timeline_views.digit_key(one.copy())


def test_the_filters_keep_one_colour_scale_for_the_whole_run(timeline):
    """The random start's faint filters look faint: the scale is the run's largest weight."""
    conv1, conv2 = weight_limits(timeline, SHORT.model)
    final = timeline.model(len(timeline) - 1, SHORT.model)
    assert conv1 == pytest.approx(
        max(
            float(timeline.model(i, SHORT.model).conv1.weight.abs().max())
            for i in range(len(timeline))
        )
    )
    assert conv2 >= float(final.conv2.weight.abs().max())
    start = step_views(timeline.model(0, SHORT.model), digit(), (conv1, conv2))
    alone = step_views(timeline.model(0, SHORT.model), digit())
    assert start.kernels != alone.kernels  # drawn paler on the run's scale
    title = f"(colour scale {-conv1:.2f} .. {conv1:.2f})"
    assert np.asarray(Image.open(io.BytesIO(start.kernels))).shape[2] == 3 and title


def test_runs_are_keyed_by_store_id_else_job():
    assert run_key(12, 3) == "run12"
    assert run_key(None, 3) == "job3"


def test_only_runs_with_snapshots_are_offered():
    kept = Timeline((Snapshot(0, 0.0, flat_weights(LeNet5(ModelConfig()))),), 10)
    assert has_timeline({"timeline": kept, "outcome": "done"})
    assert not has_timeline({"timeline": Timeline((), 10), "outcome": "done"})
    assert not has_timeline({"timeline": None, "run_id": None, "outcome": "done"})
    assert not has_timeline({"timeline": None, "run_id": 7, "outcome": "running"})


@pytest.fixture
def two_stored_runs(tmp_path, monkeypatch) -> tuple[dict, dict]:
    """Run dicts of "Your runs" read back from a store: one with a minibatch curve of 6 steps,
    one from before runs kept it."""
    import demo.models.timelines
    import demo.session.store_state

    monkeypatch.setenv("LENET_DATABASE_URL", f"sqlite:///{tmp_path / 'runs.db'}")
    demo.session.store_state.server_store.clear()
    demo.models.timelines.stored_batches.clear()
    store = open_store()
    points = [BatchPoint(s, s / 6, 2.3 - s / 5, 0.01 * (1 - s / 7)) for s in range(1, 7)]
    new, old = store.create("ada", {}), store.create("ada", {})
    store.finish(new, "done", [], {"steps": 6}, None, to_json(points))
    store.finish(old, "done", [], {"steps": 6})
    store.close()
    evaluations = [Evaluation(6, 1.0, 1.0, 0.7, 0.9, 0.75)]
    yield tuple(
        {"run_id": r, "snap": None, "values": {"epochs": 1}, "evaluations": evaluations, "steps": 6}
        for r in (new, old)
    )
    demo.session.store_state.server_store.clear()
    demo.models.timelines.stored_batches.clear()


def test_a_stored_run_brings_its_minibatch_curve_and_one_from_before_says_why(two_stored_runs):
    new, old = (stored_curves(run) for run in two_stored_runs)
    assert [b.step for b in new.batches] == list(range(1, 7)) and new.per_batch
    assert new.batches[0].loss == pytest.approx(2.1) and new.batches[-1].lr > 0
    assert (new.epochs, new.total_steps, new.note) == (1, 6, "")
    assert not old.batches and not old.per_batch and old.note == OLD_RUN_NOTE
    assert textstat.flesch_kincaid_grade(OLD_RUN_NOTE) <= 10


def charts_app(run: dict) -> None:
    from demo.views.train.timeline_runs import stored_curves
    from demo.views.train.timeline_views import charts

    charts(stored_curves(run), 0.5)


def test_a_stored_run_with_its_curve_draws_the_three_charts_of_a_live_one(two_stored_runs):
    drawn = []
    for run in two_stored_runs:
        at = AppTest.from_function(charts_app, args=(run,), default_timeout=30).run()
        assert not at.exception
        specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
        drawn.append([[t.get("name") for t in spec["data"]] for spec in specs])
    new, old = drawn
    assert len(new) == 3 and len(old) == 2  # loss, accuracy (and learning rate)
    assert new[0][0] == "each step" and new[0][1].startswith("average of")
    assert new[2] == ["learning rate"] and "each step" not in old[0]


def player_app(snapshots: int) -> None:
    """A page with only the timeline's fragment, for a finished run of `snapshots` steps."""
    import numpy as np
    import streamlit as st

    from demo.views.train.timeline import player, run_every
    from demo.views.train.timeline_runs import TimelineRun
    from lenet.config import ModelConfig
    from lenet.model import LeNet5
    from lenet.timeline.snapshots import Snapshot, Timeline, flat_weights

    if "run" not in st.session_state:
        steps = range(snapshots)
        kept = tuple(Snapshot(s, s / 10, flat_weights(LeNet5(ModelConfig()))) for s in steps)
        st.session_state["run"] = {
            "job_id": 1,
            "timeline": Timeline(kept, max(snapshots - 1, 0)),
            "snap": None,
            "values": {"epochs": 1},
            "evaluations": [],
            "steps": 9,
        }
        st.session_state["current_digit"] = (np.eye(28, dtype=np.float32), None)
    choice = TimelineRun("job-test", "a run", ModelConfig(), run=st.session_state["run"])
    every = run_every(choice)
    st.fragment(run_every=every)(player)({"job-test": choice}, every)


def step_text(at: AppTest) -> str:
    """The timeline's "**Step N of M** ..." line (not step by step's "**Step N** of M")."""
    return next(m.value for m in at.markdown if re.match(r"\*\*Step [\d,]+ of ", m.value))


def step_number(at: AppTest) -> int:
    return int(step_text(at).split()[1])


def test_a_run_without_a_timeline_gets_a_one_line_note():
    at = AppTest.from_function(player_app, args=(0,), default_timeout=30).run()
    assert not at.exception and not at.error
    assert "This run kept no timeline: runs trained before timelines have none." in [
        c.value for c in at.caption
    ]


def test_the_slider_moves_the_step_and_play_advances_then_pause_holds():
    at = AppTest.from_function(player_app, args=(10,), default_timeout=30).run()
    assert not at.exception
    assert step_text(at).startswith("**Step 9 of 9**")  # a finished run opens at its end
    slider = at.select_slider(key="timeline_slider")
    assert slider.options[0] == "step 0" and slider.help
    slider.set_value(3).run()
    assert step_text(at).startswith("**Step 3 of 9**")
    assert any("After step 3 the network reads" in m.value for m in at.markdown)
    button(at, "Play").click().run()
    assert at.session_state["timeline_playing"]
    playing = step_number(at)
    assert playing in (3, 4)  # 4 only if the click's own run took longer than a tick
    time.sleep(0.5)
    at.run()  # a Play tick
    assert step_number(at) == playing + 1
    button(at, "Pause").click().run()
    paused = step_number(at)
    time.sleep(0.5)
    at.run()
    assert step_number(at) == paused and not at.session_state["timeline_playing"]
    at.select_slider(key="timeline_slider").set_value(9).run()
    button(at, "Play").click().run()  # at the end: Play starts again from the first step
    assert step_number(at) <= 1


def test_a_stale_slider_value_does_not_stop_play_but_a_step_back_after_pause_counts():
    at = AppTest.from_function(player_app, args=(10,), default_timeout=30).run()
    at.select_slider(key="timeline_slider").set_value(3).run()
    button(at, "Play").click().run()
    time.sleep(0.5)
    at.run()
    ticked = step_number(at)
    # a rerun the browser asked for before it heard of the tick: the slider where it was; on a
    # busy server that echo came more than 3 s late (a CI run's timeline stopped there), so no
    # time limit tells an echo: it is any place the browser has not yet been seen to hear of
    time.sleep(0.5)
    at.run()  # another tick (an AppTest run is the whole page's: it confirms nothing)
    assert step_number(at) == ticked + 1
    at.select_slider(key="timeline_slider").set_value(ticked - 1).run()
    assert step_number(at) >= ticked + 1 and at.session_state["timeline_playing"]
    button(at, "Pause").click().run()
    paused = step_number(at)
    at.select_slider(key="timeline_slider").set_value(paused - 1).run()
    assert step_number(at) == paused - 1


@pytest.fixture
def page_state(monkeypatch):
    """The timeline's callbacks on a plain dict, in runs of its fragment (as the browser asks
    for them) unless the test says a run is the whole page's."""
    state: dict = {}
    fragment = types.SimpleNamespace(fragment_ids_this_run=["timeline"])
    monkeypatch.setattr(train_timeline, "st", types.SimpleNamespace(session_state=state))
    monkeypatch.setattr(train_timeline, "get_script_run_ctx", lambda: fragment)
    return state, fragment


def browser_run(state: dict, sent: int | None, put: int) -> bool:
    """One run: the browser sends the slider's place `sent`, the page puts it at `put`. Whether
    the run took the place as the student's move."""
    if sent != state.get(train_timeline.SLIDER):
        state[train_timeline.SLIDER] = sent
        train_timeline.on_move()
    moved = state.pop(train_timeline.MOVED, False)
    train_timeline.put(put)
    return moved


def test_a_place_the_browser_has_not_heard_of_is_an_echo_however_late(page_state):
    state, _ = page_state
    browser_run(state, None, 10)
    # the browser lags: each poll brings the place from before the page's last one
    assert not browser_run(state, None, 20)
    assert not browser_run(state, 10, 30)
    assert not browser_run(state, 20, 40)
    time.sleep(0.01)  # no clock: an echo seconds late is still an echo
    assert not browser_run(state, 10, 40)
    assert not browser_run(state, 40, 40)  # the browser now shows 40: it heard every place
    assert state[train_timeline.UNHEARD] == []
    assert browser_run(state, 20, 20)  # so 20 is the student's
    assert browser_run(state, 40, 40)  # and so is 40, the page's place before the move


def test_places_nothing_confirmed_are_forgotten_in_time(page_state, monkeypatch):
    state, fragment = page_state
    fragment.fragment_ids_this_run = None  # whole-page runs (the run ended): nothing confirmed
    browser_run(state, None, 10)
    browser_run(state, 10, 20)
    now = time.monotonic()
    monkeypatch.setattr(train_timeline.time, "monotonic", lambda: now + 1)
    assert not browser_run(state, 10, 20)  # an echo
    monkeypatch.setattr(train_timeline.time, "monotonic", lambda: now + train_timeline.UNHEARD_S)
    assert browser_run(state, 10, 10)  # the student, going back one place


def test_the_pages_own_rerun_does_not_count_as_the_browser_hearing(page_state):
    state, fragment = page_state
    browser_run(state, None, 10)
    browser_run(state, 10, 20)
    fragment.fragment_ids_this_run = None  # st.rerun(): the server's places, not the browser's
    assert not browser_run(state, 20, 30)
    fragment.fragment_ids_this_run = ["timeline"]
    assert not browser_run(state, 10, 30)  # the browser had not heard of 20 yet


def test_a_pause_or_play_click_delivered_twice_does_not_undo_itself(page_state):
    state, _ = page_state
    state.update({train_timeline.FOLLOW: False, train_timeline.STEP: 5})
    train_timeline.on_play(0, 9)
    train_timeline.on_play(0, 9)
    assert state[train_timeline.PLAYING] and state[train_timeline.STEP] == 5
    train_timeline.on_pause()
    train_timeline.on_pause()
    assert not state[train_timeline.PLAYING] and state[train_timeline.STEP] == 5


def test_the_train_page_replays_its_run_with_a_confusion_matrix_on_demand(app):
    app.query_params.update(preset="quick", train_size="1000", batch_size="100")
    at = app.run()
    button(at, "Start training").click().run()
    run_until(at, lambda a: "finished" in status_text(a))
    assert not at.exception
    assert "Timeline of the training" in [s.value for s in at.subheader]
    assert not any("Inside the network, live" in m.value for m in at.markdown)  # drawn once
    slider = at.select_slider(key="timeline_slider")
    last = int(slider.options[-1].split()[-1])
    assert step_text(at).startswith(f"**Step {last} of {last}**")
    slider.set_value(0).run()
    assert step_text(at).startswith(f"**Step 0 of {last}**")
    at.toggle(key="timeline_confusion").set_value(True).run()
    assert not at.exception
    assert any("of the validation digits read right" in m.value for m in at.markdown)
