"""Train's "Also learn from the class's digits" (issue 27): the class's own handwriting, drawn
and labelled on Draw (`lenet.store.digits`), learned from beside MNIST, and the run measured
after on the fifth of them it never saw.

Four fifths are learned from, repeated to make about a twentieth of each epoch
(`lenet.data.class_set.learning_part`); a digit whose id is a multiple of five is held out, so a
digit keeps its part as the set grows. The run's settings record the set's version
(`TrainConfig.class_digits`); the Class page measures such a run on the held-out fifth only.
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
from lenet.config import TrainConfig
from lenet.data.class_set import held_out, repeats
from lenet.data.mnist import to_model_input
from lenet.store.digits import DigitSet
from lenet.store.runs import StoreError

LEARN = "learn_class_digits"  # the setting (a toggle in the sidebar)
SCORES = "class_digits_held_scores"  # (job id, set version) -> the run's and the shipped's
HELP = (
    "Mix the digits your class drew and labelled on the Draw page into the training images, so "
    "the network learns your class's handwriting too. A fifth of them are kept aside: after the "
    "run, they show how well it reads digits of your class it never saw."
)


def toggle(disabled: bool) -> None:
    """The setting, under the others; off, saying why, while the class has none to learn."""
    store = run_store()
    if store is None:
        return
    try:
        digits = class_digit_set(store)
    except StoreError:
        return
    kept = held_out(digits.ids)
    learnable = int((~kept).sum())
    if not learnable:
        st.session_state[LEARN] = False
    st.toggle(
        "Also learn from the class's digits",
        key=LEARN,
        help=HELP,
        disabled=disabled or not learnable,
    )
    if learnable:
        st.caption(
            f"{learnable:,} of the class's {len(digits.ids):,} digits to learn from; "
            f"{int(kept.sum()):,} kept aside to test the run."
        )
    else:
        st.caption("The class has no digits to learn from yet: add some on the Draw page.")


def chosen(config: TrainConfig) -> tuple[TrainConfig, tuple | None] | str:
    """The run's settings and the digits it learns besides MNIST (None: MNIST only), or why it
    cannot start (one line)."""
    if not st.session_state.get(LEARN):
        return config, None
    store = run_store()
    if store is None:
        return f"The class's digits cannot be read now: {store_problem()}."
    try:
        digits = class_digit_set(store)
    except StoreError as error:
        return f"The class's digits cannot be read now: {error}"
    learn = ~held_out(digits.ids)
    if not learn.any():
        return (
            "The class has no digits to learn from yet: add some on the Draw page, or turn off "
            "“Also learn from the class's digits”."
        )
    config = dataclasses.replace(config, class_digits=digits.version)
    return config, (digits.images[learn], digits.labels[learn])


def result(snap: JobSnapshot, job: TrainingJob) -> None:
    """Under a finished run that learned from the class's digits: how many, and how it reads
    the held-out fifth (the digits it never saw) beside the shipped model, which learned from
    MNIST alone."""
    if not snap.config.class_digits or job.model is None or snap.finished is None:
        return
    store = run_store()
    try:
        digits = class_digit_set(store) if store is not None else None
    except StoreError:
        digits = None
    if digits is None:
        return
    kept = held_out(digits.ids)
    learned = len(job.class_digits[1]) if job.class_digits is not None else 0
    data = mnist()
    times = repeats(learned, len(data.train.head(snap.config.train_size))) if data else 0
    head = f"Learned from {learned:,} of the class's digits too, each {times} times an epoch."
    if not kept.any():
        st.caption(head + " None are kept aside yet to test it on.")
        return
    key = (job.job_id, digits.version)
    scores = st.session_state.setdefault(SCORES, {})
    if key not in scores:
        scores.clear()
        scores[key] = (accuracy(job.model, digits, kept), shipped_accuracy(digits, kept))
    run, shipped = scores[key]
    versus = f" (the shipped model, which learned from MNIST only: {shipped:.1%})"
    st.markdown(
        f"{head} On the **{int(kept.sum()):,} it never saw**: **{run:.1%}** read right"
        + (versus if shipped is not None else "")
        + ".",
        help="A digit whose number is a multiple of five is kept aside: no run learns from it, "
        "so it tests how well a run reads your class's handwriting. The Class page measures "
        "every run on them.",
    )


def accuracy(model, digits: DigitSet, chosen: np.ndarray) -> float:
    x = to_model_input(torch.from_numpy(np.ascontiguousarray(digits.images[chosen])))
    with torch.no_grad():
        predicted = model(x).argmax(1).numpy()
    return float((predicted == digits.labels[chosen]).mean())


def shipped_accuracy(digits: DigitSet, chosen: np.ndarray) -> float | None:
    path = checkpoint_path(SHIPPED)
    if path is None or not path.exists():
        return None
    return accuracy(model_file(path)[0], digits, chosen)
