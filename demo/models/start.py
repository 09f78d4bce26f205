"""Which model a chooser starts on: the student's newest finished run, so that right after
training they draw on their own network; the shipped model when they have none.

Until the student picks a model themselves the chooser follows their newest finished run (a run
that ends moves it there). Their own pick is kept: a run that finishes after it is offered with
one button under the chooser, never switched to behind their back (they may be comparing on
purpose). A chooser given `avoid` (Inspect's second model) never starts on that model's run.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from demo.models.files import SHIPPED
from demo.models.steps import AT, LIVE, TAB
from demo.models.stored import RUN
from demo.models.upload import UPLOADED

FINISHED = ("done", "stopped")
READS_DIGITS = 0.5  # test accuracy: chance is 10%
OFFER = "Use {about}: it just finished"
OFFER_HELP = "Your new run has finished training. Click to read the digit with it."


@dataclass(frozen=True)
class Newest:
    """The student's newest finished run with weights, as a choice."""

    key: str  # the chooser's key: "live", "run:12", "tab:3"
    run: str  # the run, whichever key names it: "run12", else "job3"
    about: str  # "your run 12"


def run_name(run_id: int | None, job_id: object) -> str:
    return f"run{run_id}" if run_id else f"job{job_id}"


def choice_of(model_key: str | None) -> str | None:
    """The chooser's key behind a model key: "run:12@80" -> "run:12", "live:3" -> "live",
    "upload:<sha>" -> "uploaded", "file:x.pt#<time>@80" -> "file:x.pt"."""
    if model_key is None:
        return None
    key = model_key.split(AT)[0].split("#")[0]
    if key.startswith("live:"):
        return LIVE
    return UPLOADED if key.startswith("upload:") else key


def reads_digits(accuracy: float | None) -> bool:
    """Whether a run's network reads digits at all: a chooser never starts on one that learned
    nothing (after a learning rate far too high, a 7 read as "0? (12%)" looked like a bug)."""
    return accuracy is not None and accuracy >= READS_DIGITS


def finished_job(job) -> bool:
    """Whether the tab's job is a run that finished or was stopped with weights."""
    if job is None or job.model is None:
        return False
    snap = job.snapshot()
    return snap.finished is not None and snap.status in FINISHED


def finished_reading_job(job) -> bool:
    """The tab's job, finished, and its network reads digits (`reads_digits`)."""
    return finished_job(job) and reads_digits(job.snapshot().finished.test_accuracy)


def live_about(job) -> str:
    """Whose the tab's job is, in words that follow "Read by"."""
    if not finished_job(job):
        return "the run training now"
    run_id = job.recorder.run_id if job.recorder is not None else None
    return f"your run {run_id}" if run_id else "your latest run"


def tab_newest(labels: dict, tab: list[dict]) -> tuple[float, Newest] | None:
    """The tab's newest finished run (`tab`, oldest first) and its place in time: its store
    id, or last of all when the store never held it (it was trained in this session)."""
    if not tab:
        return None
    run = tab[-1]
    stored = f"{RUN}{run.get('run_id')}"
    key = stored if stored in labels else f"{TAB}{run['job_id']}"
    newest = Newest(key, run_name(run.get("run_id"), run["job_id"]), f"your run {run['number']}")
    return run.get("run_id") or float("inf"), newest


def newest_run(labels: dict, job, tab: list[dict], own: list[str]) -> Newest | None:
    """The newest of: the tab's job once it finished, its other finished runs (`tab`, oldest
    first) and the nickname's stored runs (`own`, keys newest first); None when none."""
    if LIVE in labels and finished_reading_job(job):
        run_id = job.recorder.run_id if job.recorder is not None else None
        return Newest(LIVE, run_name(run_id, job.job_id), live_about(job))
    found = [pair for pair in [tab_newest(labels, tab)] if pair is not None]
    if own and own[0] in labels:
        run_id = int(own[0][len(RUN) :])
        found.append((run_id, Newest(own[0], run_name(run_id, None), f"your run {run_id}")))
    return max(found, key=lambda pair: pair[0])[1] if found else None


def _keys(select_key: str) -> tuple[str, str, str]:
    """Session keys: the value the chooser set itself, the newest run the student has seen
    offered or chosen, the newest run now."""
    return f"{select_key}_start", f"{select_key}_seen", f"{select_key}_newest"


def start(select_key: str, labels: dict, newest: Newest | None, avoid: str | None) -> None:
    """Put the chooser on its starting model, unless the student picked one that is still
    there: the newest run (if it is not `avoid`'s), else the first choice that is not."""
    state = st.session_state
    started, seen, now = _keys(select_key)
    state[now] = newest.run if newest is not None else None
    current = state.get(select_key)
    if current in labels and current != state.get(started):
        state[started] = None  # the student's pick: kept from now on
        return
    avoided = choice_of(avoid)
    if newest is not None and newest.key != avoided:
        state[select_key] = newest.key
    else:
        others = [k for k in labels if k != avoided]
        state[select_key] = others[0] if others else SHIPPED
    state[started], state[seen] = state[select_key], state[now]


def picked(select_key: str) -> None:
    """The selectbox's on_change: the student saw the list, newest run included."""
    _, seen, now = _keys(select_key)
    st.session_state[seen] = st.session_state.get(now)


def offer(select_key: str, newest: Newest | None, avoid: str | None) -> None:
    """A button under a chooser the student set themselves, when a newer run of theirs has
    finished since: one click takes it."""
    state = st.session_state
    _, seen, _ = _keys(select_key)
    if newest is None or newest.run == state.get(seen) or state.get(select_key) == newest.key:
        return
    if newest.key == choice_of(avoid):
        return

    def take() -> None:
        state[select_key], state[seen] = newest.key, newest.run

    st.button(
        OFFER.format(about=newest.about),
        key=f"{select_key}_offer",
        on_click=take,
        icon=":material/new_releases:",
        help=OFFER_HELP,
    )
