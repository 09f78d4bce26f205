"""Train's "Also learn from the class's digits" (issue 27): the class's own handwriting, drawn
and labelled on Draw (`lenet.store.digits`), learned from beside MNIST, and the run measured
after on the fifth of them it never saw.

Four fifths are learned from, repeated to make about a twentieth of each epoch
(`lenet.data.class_set.learning_part`); a digit whose id is a multiple of five is held out, so a
digit keeps its part as the set grows. The run's settings record the set's version
(`TrainConfig.class_digits`); once such a run is on the Class page, it measures every run on
the held-out fifth (`demo.classroom.class_scores.measured_on`).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import streamlit as st
import torch

from demo.models.files import SHIPPED, checkpoint_path, model_file
from demo.session.store_state import class_digit_set, run_store, store_problem
from demo.training.jobs import JobSnapshot, TrainingJob
from demo.training.state import mnist
from demo.ui.text import plain
from demo.views.train.settings import LEARN
from lenet.config import TrainConfig
from lenet.data.class_set import held_out, part_size
from lenet.data.mnist import to_model_input
from lenet.store.digits import DigitSet
from lenet.store.runs import StoreError
from lenet.training.metrics import predict_logits

SWITCH = "class_digits_switch"  # the toggle; the setting itself is LEARN, kept across pages
SCORES = "class_digits_held_scores"  # (job id, set version) -> the run's and the shipped's
HELP = (
    "Mix the digits your class drew and labelled on the Draw page into the training images, so "
    "the network learns your class's handwriting too. Every fifth digit added is kept aside: "
    "after the run, they show how well it reads digits of your class it never saw."
)


def toggle(disabled: bool) -> None:
    """The setting, under the others. It is kept in LEARN (the link's `class_digits=1`), not in
    the toggle's own state, which Streamlit drops on every page that does not draw it. While the
    class has nothing to learn it is off and says why, unless a teacher's locked link fixed it on
    (Start then says to add digits first)."""
    store = run_store()
    if store is None:
        return
    try:
        digits = class_digit_set(store)
    except StoreError:
        return
    kept = held_out(digits.ids)
    learnable = int((~kept).sum())
    state = st.session_state
    if not learnable and not state.get("locked"):
        state[LEARN] = False
    state[SWITCH] = bool(state.get(LEARN)) and bool(learnable)
    st.toggle(
        "Also learn from the class's digits",
        key=SWITCH,
        help=HELP,
        disabled=disabled or not learnable,
        on_change=lambda: state.update({LEARN: state[SWITCH]}),
    )
    if learnable:
        st.caption(
            f"{learnable:,} of the class's {len(digits.ids):,} digits to learn from; "
            f"{int(kept.sum()):,} kept aside to test the run."
        )
    elif state.get(LEARN):
        st.caption("Your teacher's link learns from the class's digits: add some on Draw first.")
    else:
        st.caption("The class has no digits to learn from yet: add some on the Draw page.")


def chosen(config: TrainConfig) -> tuple[TrainConfig, tuple | None] | str:
    """The run's settings and the digits it learns besides MNIST (None: MNIST only), or why it
    cannot start (one line)."""
    if not st.session_state.get(LEARN):
        return config, None
    store = run_store()
    if store is None:
        return f"The class's digits cannot be read now: {plain(store_problem() or '')}."
    try:
        digits = class_digit_set(store)
    except StoreError as error:
        return f"The class's digits cannot be read now: {plain(str(error))}"  # may name a file
    learn = ~held_out(digits.ids)
    if not learn.any():
        if st.session_state.get("locked"):
            return (
                "The class has no digits to learn from yet, and your teacher's link learns from "
                "them: add some on the Draw page first."
            )
        return (
            "The class has no digits to learn from yet: add some on the Draw page, or turn off "
            "“Also learn from the class's digits”."
        )
    config = dataclasses.replace(config, class_digits=digits.version)
    return config, (digits.images[learn], digits.labels[learn])


FEW = 20  # fewer digits kept aside than this: the line says the test is a small one
KEPT_HELP = (
    "Every fifth digit the class adds (numbers 5, 10, 15 and so on) is kept aside: no run "
    "learns from it, so it tests how well a run reads your class's handwriting. Once a run has "
    "learned from the others, the Class page measures every run on these."
)


def result(snap: JobSnapshot, job: TrainingJob) -> None:
    """Under a finished run, once the class has digits kept aside: how the run reads them, and
    for a run that learned from the others, how many it learned and how the ready-made model
    (MNIST only) reads the same digits."""
    if job.model is None or snap.finished is None or snap.finished.test_accuracy is None:
        return
    store = run_store()
    try:
        digits = class_digit_set(store) if store is not None else None
    except StoreError:
        return
    learned = bool(snap.config.class_digits)
    kept = held_out(digits.ids) if digits is not None else np.zeros(0, bool)
    if not learned and not kept.any():
        return
    head = learned_line(snap, job) if learned else "This run learned from MNIST only."
    if not kept.any():
        st.caption(head + " None of the class's digits are kept aside yet to test it on.")
        return
    key = (job.job_id, digits.version)
    scores = st.session_state.setdefault(SCORES, {})
    if key not in scores:
        scores.clear()
        shipped = shipped_accuracy(digits, kept) if learned else None
        scores[key] = (accuracy(job.model, digits, kept), shipped)
    run, shipped = scores[key]
    count = int(kept.sum())
    text = (
        f"{head} On the **{count:,} class digit{'s' if count != 1 else ''} kept aside** (no run "
        f"learns from them) it reads **{run:.1%}** right"
    )
    if shipped is not None:
        text += f"; the app's ready-made model, trained on MNIST only, reads {shipped:.1%}"
    text += "."
    if count < FEW:
        text += f" With only {count} kept aside this is a small test: add more digits on Draw."
    st.markdown(text, help=KEPT_HELP)


def learned_line(snap: JobSnapshot, job: TrainingJob) -> str:
    """How many of the class's digits the run learned, and how often: 'Learned from 24 of the
    class's digits too (each shown 2 times a pass).'"""
    learnable = len(job.class_digits[1]) if job.class_digits is not None else 0
    data = mnist()
    mnist_images = len(data.train.head(snap.config.train_size)) if data is not None else 0
    count, times = part_size(learnable, mnist_images)
    how = "each shown once a pass" if times == 1 else f"each shown {times} times a pass"
    sampled = f", chosen at random from {learnable:,}" if count < learnable else ""
    return f"Learned from {count:,} of the class's digits too ({how}{sampled})."


def accuracy(model, digits: DigitSet, which: np.ndarray) -> float:
    """The share of the digits `which` that `model` reads right."""
    x = to_model_input(torch.from_numpy(np.ascontiguousarray(digits.images[which])))
    predicted = predict_logits(model, x).argmax(1).numpy()
    return float((predicted == digits.labels[which]).mean())


def shipped_accuracy(digits: DigitSet, which: np.ndarray) -> float | None:
    path = checkpoint_path(SHIPPED)
    if path is None or not path.exists():
        return None
    return accuracy(model_file(path)[0], digits, which)
