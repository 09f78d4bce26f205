"""The Train page's training timeline: one slider over a run's snapshots, with Play/Pause, that
moves every view of the network through its training (issue 13).

The slider and everything it moves are one fragment, so a move reruns that fragment only. Its
`run_every` is set by the whole page's run: every PLAY_S while playing (each tick shows the next
snapshot), every POLL_S while the run it shows trains (its charts grow and, unless the student
moved the slider, it stays at the latest snapshot), else never. Play, Pause and a run's end
change it, so they rerun the page once (`st.rerun(scope="app")`).

For the run on the page the timeline draws that run's loss, accuracy and learning-rate charts
(with the cursor) and its filters, in place of the live part's charts and conv1 view: one set of
charts, which also grows while it trains. Choosing an older run gives the live part its own back.
"""

from __future__ import annotations

import time

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from demo.training.jobs import TrainingJob
from demo.views.train import timeline_views as views
from demo.views.train.timeline_runs import CURRENT, TimelineRun, timeline_runs
from lenet.store.runs import StoreError
from lenet.timeline.snapshots import Timeline

# not "Training timeline": the tests and benchmarks take the text "Training time" (a metric of a
# finished run) to mean that the run has ended
TITLE = "Timeline of the training"
PLAY_S = 0.6  # a snapshot every 0.6 s: Quick demo's 40 snapshots in 24 s
POLL_S = 1.0  # as the live part of the page
RUN = "timeline_run"  # the run chooser
SLIDER = "timeline_slider"
STEP = "timeline_step"  # the step shown, kept across reruns and run growth
FOLLOW = "timeline_follow"  # at the latest snapshot (until the student moves the slider)
PLAYING, TICK, MOVED = "timeline_playing", "timeline_tick", "timeline_moved"
# (place, time) of the places the browser may still send back (see `put`): a "move" to one of
# them is an echo. A time limit alone was not enough: on a busy server an echo came more than
# 3 s late and stopped the timeline following its run. Whole-page runs confirm nothing, so after
# the last run of the fragment the places are forgotten after UNHEARD_S: a student who picks
# one of them (the page's last places before a run ended) is not ignored for longer
UNHEARD = "timeline_unheard"
UNHEARD_S = 15.0
ECHOED = "timeline_echoed"  # this run's place from the browser was an echo
UNHEARD_MAX = 64
PUT = "timeline_put"  # where the page put the slider last
SHOWN = "timeline_shown"  # the run key shown last: another run starts at its end


def forget() -> None:
    """A new run starts: the timeline shows it, at its latest snapshot."""
    st.session_state[RUN] = CURRENT
    st.session_state[FOLLOW] = True
    st.session_state[PLAYING] = False


def shows_current() -> bool:
    """Whether the timeline shows the run on the page (and so draws its charts)."""
    return st.session_state.get(RUN, CURRENT) == CURRENT


def run_every(choice: TimelineRun) -> float | None:
    if st.session_state.get(PLAYING):
        return PLAY_S
    if choice.job is not None and choice.job.snapshot().active:
        return POLL_S
    return None


def on_move() -> None:
    """The slider moved: by the student, or by a rerun the browser asked for (the other
    fragment's poll, a Play tick) with a place from before it heard of the page's last move:
    that echo would stop the timeline following the run, or send Play back a step."""
    state, now = st.session_state, time.monotonic()
    if state.get(SLIDER) in [step for step, at in state.get(UNHEARD, ()) if now - at < UNHEARD_S]:
        state[ECHOED] = True
    else:
        state[MOVED] = True
        # the student moved it from the place the browser showed last, so it had heard every
        # place; an echo sent before the move reached the server before it
        state[UNHEARD] = []


def on_play(first: int, last: int) -> None:
    """Play from here (from the start when at the end)."""
    state = st.session_state
    if state.get(PLAYING):
        return  # the same click, delivered again
    if state.get(FOLLOW, True) or state.get(STEP) == last:
        state[STEP] = first
    state[PLAYING], state[FOLLOW], state[TICK] = True, False, time.monotonic()


def on_pause() -> None:
    """Pause where it is: a second delivery of the click changes nothing."""
    state = st.session_state
    if state.get(PLAYING):
        state[PLAYING] = state[FOLLOW] = False
        state[UNHEARD] = []  # a step back just after Pause is the student's


def position(timeline: Timeline) -> int:
    """The snapshot to show: where the student put the slider, one further on each Play tick
    (Play stops at the end), or the latest while following."""
    state, last = st.session_state, len(timeline) - 1
    if state.pop(MOVED, False) and SLIDER in state:
        index = timeline.index_of(state[SLIDER])
        state[FOLLOW], state[TICK] = index == last, time.monotonic()
    elif state.get(FOLLOW, True):
        index = last
    else:
        index = timeline.index_of(state.get(STEP, 0))
    if state.get(PLAYING):
        if time.monotonic() - state.get(TICK, 0.0) >= 0.75 * PLAY_S:  # a tick, not a click
            index, state[TICK] = min(index + 1, last), time.monotonic()
        if index == last:
            state[PLAYING], state[FOLLOW] = False, True
    state[STEP] = timeline.snapshots[index].step
    return index


def put(step: int) -> None:
    """Put the slider at `step`, remembering the places the browser may still send back before
    it hears of this one (see `on_move`): the one it sent, and the page's earlier one. A run
    of the fragment that brought back the page's own place shows it heard them all."""
    state, now = st.session_state, time.monotonic()
    heard = not state.pop(ECHOED, False) and browser_asked()
    unheard = [] if heard else [(s, at) for s, at in state.get(UNHEARD, ()) if now - at < UNHEARD_S]
    if state.get(SLIDER) != step:  # a place already there keeps its time: echoes end
        known = {place for place, _ in unheard}
        new = {state.get(SLIDER), state.get(PUT)} - known
        unheard = [*unheard[-UNHEARD_MAX:], *((place, now) for place in new)]
    state[UNHEARD], state[PUT], state[SLIDER] = unheard, step, step


def browser_asked() -> bool:
    """Whether this is a run of the timeline's fragment (a tick or poll that the browser asked
    for, carrying the slider's place there). The page's own reruns (`st.rerun`) run the whole
    page with the places the server last knew, which tell nothing of what the browser heard."""
    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def controls(timeline: Timeline, index: int, epochs: float, training: bool) -> None:
    """Play/Pause, the slider, and where it stands."""
    steps, playing = timeline.steps, st.session_state.get(PLAYING, False)
    snapshot = timeline.snapshots[index]
    if len(timeline) > 1:
        put(snapshot.step)
        # the button as wide as its word (a narrow column cut it to "▷ P" on a projector)
        row = st.container(horizontal=True, vertical_alignment="center", gap="medium")
        # two buttons, each with its own key: a click the server gets twice (or late) names
        # the button the student saw, so it cannot undo itself
        if playing:
            row.button(
                "Pause",
                icon=":material/pause:",
                key="timeline_pause",
                on_click=on_pause,
                help="Pause where it is.",
            )
        else:
            row.button(
                "Play",
                icon=":material/play_arrow:",
                key="timeline_play",
                on_click=on_play,
                args=(steps[0], steps[-1]),
                help=f"Move through the training, one saved moment every {PLAY_S} s. At the end "
                "it starts again from the beginning.",
            )
        row.select_slider(
            TITLE,
            options=steps,
            format_func=lambda step: f"step {step:,}",
            key=SLIDER,
            on_change=on_move,
            label_visibility="collapsed",
            help="Drag to any moment of the training. Every view below shows the network with "
            "the weights it had after that step.",
        )
    following = " · following the run as it trains" if training and index == len(steps) - 1 else ""
    st.markdown(
        f"**Step {snapshot.step:,} of {timeline.total_steps:,}** · epoch {snapshot.epoch:.2f} "
        f"of {epochs:g} · moment {index + 1} of {len(timeline)}{following}"
    )


def player(choices: dict[str, TimelineRun], every: float | None) -> None:
    """The fragment: the run's charts, the chooser, slider and Play/Pause, and every view they
    move. For the run on the page the charts come first, right under its progress; for an
    earlier run the heading and the chooser do."""
    choice = choices[st.session_state.get(RUN, CURRENT)] if RUN in st.session_state else None
    current = choice is not None and choice.key == choices.get(CURRENT, choice).key
    with st.container(key="timeline"):
        if not current:
            heading()
            choice = chosen(choices)
        try:
            timeline = choice.timeline()
        except StoreError as error:
            st.error(f"This run's timeline cannot be read: {error}")
            return
        curves = choice.curves()
        snap = choice.snapshot()
        if snap is not None and snap.status == "queued":
            return
        empty = timeline is None or not len(timeline)
        index = None if empty else position(timeline)
        cursor = None if empty else timeline.snapshots[index].epoch
        if current:
            with st.container(key="result_charts"):
                views.charts(curves, cursor)
            heading()
            chosen(choices)
        if empty:
            st.caption(
                "This run kept no timeline: runs trained before timelines have none."
                if choice.job is None
                else "The first moment appears when the run takes its first step."
            )
            return
        if run_every(choice) != every:
            st.rerun(scope="app")  # Play, Pause, the end: the fragment's timer changes
        controls(timeline, index, curves.epochs, every == POLL_S)
        views.draw_step(choice, timeline, index, curves, with_charts=not current)


def heading() -> None:
    st.subheader(TITLE)
    st.caption(
        "The network at any moment of its training. Drag the slider or press **Play**: the "
        "dotted line on the charts, the filters, the digit's maps and its answer all follow."
    )


def chosen(choices: dict[str, TimelineRun]) -> TimelineRun:
    """The run chooser (when there is a choice); a new choice starts at its end."""
    state = st.session_state
    if state.get(RUN) not in choices:
        state[RUN] = next(iter(choices))
    if len(choices) > 1:
        st.selectbox(
            "Run",
            options=list(choices),
            format_func=lambda key: choices[key].label,
            key=RUN,
            help="Replay the run above, or an earlier run of yours that kept its timeline.",
        )
    choice = choices[state[RUN]]
    if state.get(SHOWN) != choice.key:
        state[SHOWN], state[FOLLOW], state[PLAYING] = choice.key, True, False
    return choice


def section(job: TrainingJob | None, runs: list[dict]) -> None:
    """The training timeline's section, when there is a run to replay (`runs`: Your runs)."""
    choices = timeline_runs(job, runs)
    if not choices:
        return
    if st.session_state.get(RUN) not in choices:
        st.session_state[RUN] = next(iter(choices))
    every = run_every(choices[st.session_state[RUN]])
    st.fragment(run_every=every)(player)(choices, every)
