"""Which model Draw and Inspect start on (issue 24, demo.models.start): the student's newest
finished run, the shipped model one click away; their own pick is kept, a run that finishes
after it offered with one button; Inspect's second model starts elsewhere; and the plain label
of the model that reads the digit (`demo.models.choices.reading_label`)."""

from __future__ import annotations

import textstat
from streamlit.testing.v1 import AppTest

from demo.models.choices import reading_label
from demo.models.start import choice_of
from demo.models.steps import FINAL, Picked, RunTimeline
from lenet.model import LeNet5
from tests.demo.models import test_step_models
from tests.demo.models.test_step_models import chooser, stored_run, tab_run
from tests.lenet.timeline.test_timeline import SHORT_RUN

trainer, store = test_step_models.trainer, test_step_models.store  # fixtures, shared


def box(at: AppTest, key: str = "model_choice"):
    return next(s for s in at.selectbox if s.key == key)


def offers(at: AppTest) -> list[str]:
    return [b.label for b in at.button if b.key == "model_choice_offer"]


def test_without_a_finished_run_it_starts_on_the_shipped_model(store):
    at = chooser()
    assert box(at).value == "shipped" and not offers(at)
    assert reading_label(at.session_state["picked"]) == "the shipped model (99.06%)"


def test_it_starts_on_the_students_newest_stored_run(store, trainer):
    stored_run(store, trainer, with_timeline=False)
    newest = stored_run(store, trainer, with_timeline=True)
    at = chooser()
    assert box(at).value == f"run:{newest}" and box(at).options[0].startswith("Shipped model")
    picked = at.session_state["picked"]
    assert reading_label(picked) == f"your run {newest} (90.00%)"
    next(s for s in at.select_slider if s.key == "model_step").set_value(0).run()
    assert reading_label(at.session_state["picked"]) == f"your run {newest} at step 0 of 40"


def test_a_newer_run_of_the_tab_wins_and_is_followed_until_a_pick(trainer):
    at = chooser(runs=[tab_run(trainer, True)])
    assert box(at).value == "tab:7"
    assert reading_label(at.session_state["picked"]) == "your run 1 (90.00%)"
    at.session_state["runs"] = [tab_run(trainer, True), {**tab_run(trainer, False, 8), "number": 2}]
    at.run()
    assert box(at).value == "tab:8" and not offers(at)  # no pick yet: the newest run


def test_a_pick_is_kept_and_a_run_that_finishes_after_it_is_offered(trainer):
    at = chooser(runs=[tab_run(trainer, True)])
    box(at).set_value("shipped").run()
    assert box(at).value == "shipped" and not offers(at)
    at.session_state["runs"] = [tab_run(trainer, True), {**tab_run(trainer, False, 8), "number": 2}]
    at.run()
    assert box(at).value == "shipped"  # never behind the student's back
    assert offers(at) == ["Use your run 2: it just finished"]
    next(b for b in at.button if b.key == "model_choice_offer").click().run()
    assert box(at).value == "tab:8" and not offers(at)
    box(at).set_value("tab:7").run()
    assert box(at).value == "tab:7" and not offers(at)  # seen already: not offered again


def test_a_run_that_learned_nothing_is_not_where_it_starts(trainer):
    """After a learning rate far too high: the shipped model reads the next drawing (the run
    stays one click away in the list)."""
    nothing = {**tab_run(trainer, True), "test_accuracy": 0.098}
    at = chooser(runs=[nothing])
    assert box(at).value == "shipped" and any("9.80%" in o for o in box(at).options)
    good, bad = tab_run(trainer, True), {**tab_run(trainer, False, 8), "test_accuracy": 0.11}
    at = chooser(runs=[good, {**bad, "number": 2}])
    assert box(at).value == "tab:7"  # the newest that reads digits


def test_a_pick_that_goes_away_starts_again_on_the_newest_run(trainer):
    at = chooser(runs=[tab_run(trainer, True)], model_choice="uploaded")  # not there
    assert box(at).value == "tab:7"


def two_choosers() -> None:
    """Inspect's two choosers, as its comparison draws them."""
    import streamlit as st

    from demo.models import choices as models

    first = models.choose()
    st.session_state["pair"] = [
        first,
        models.choose("compare_choice", "compare_step", "Second", upload=False, avoid=first.key),
    ]


def pair_keys(at: AppTest) -> list[str]:
    return [p.key for p in at.session_state["pair"]]


def test_the_second_model_of_a_comparison_starts_on_another(trainer):
    at = AppTest.from_function(two_choosers, default_timeout=30)
    at.session_state["runs"] = [tab_run(trainer, True)]
    at.session_state["nickname"] = "hopper"
    at.run()
    assert pair_keys(at) == ["tab:7", "shipped"]  # the first on the newest run
    next(s for s in at.select_slider if s.key == "model_step").set_value(0).run()
    assert pair_keys(at) == ["tab:7@0", "shipped"]
    box(at).set_value("shipped").run()  # the student's pick: now the run is the other one
    assert at.session_state["pair"][0].key == "shipped"
    assert choice_of(at.session_state["pair"][1].key) == "tab:7"


def test_model_keys_name_their_choice():
    assert [choice_of(k) for k in ("run:12@80", "live:3", "live:3@5", "tab:2", "shipped")] == [
        "run:12",
        "live",
        "live",
        "tab:2",
        "shipped",
    ]
    assert choice_of("upload:ab12@4") == "uploaded" and choice_of("file:x.pt#123@8") == "file:x.pt"


def test_the_reading_label_says_whose_model_and_which_step(trainer):
    model, timeline = LeNet5().eval(), trainer.snapshots.timeline()
    run = RunTimeline("run:12", "Run 12", timeline, SHORT_RUN.model, 40)
    live = RunTimeline("live:3", "The run training now", timeline, SHORT_RUN.model, None)
    cases = [
        (Picked("shipped", model, "Shipped model", about="the shipped model", accuracy=0.9906),
         "the shipped model (99.06%)"),
        (Picked("run:12", model, "Run 12", run, FINAL, "your run 12", 0.953),
         "your run 12 (95.30%)"),
        (Picked("run:12@8", model, "Run 12 at step 8", run, 8, "your run 12", 0.953),
         "your run 12 at step 8 of 40"),
        (Picked("run:12@0", model, "Run 12 at step 0", run, 0), "Run 12 at step 0 of 40"),
        (Picked("live:3", model, "x", live, FINAL, "the run training now"),
         "the run training now (latest weights)"),
        (Picked("upload:1", model, "Uploaded: a.pt", about="the uploaded model a.pt"),
         "the uploaded model a.pt"),
        (Picked("file:a.pt", model, "Saved: a"), "Saved: a"),
    ]  # fmt: skip
    assert [reading_label(picked) for picked, _ in cases] == [want for _, want in cases]


def test_the_words_are_plain():
    from demo.models.start import OFFER, OFFER_HELP
    from demo.views.train.timeline_runs import OLD_RUN_NOTE

    texts = [OLD_RUN_NOTE, OFFER.format(about="your run 12"), OFFER_HELP]
    assert all(textstat.flesch_kincaid_grade(text) <= 10 for text in texts)
