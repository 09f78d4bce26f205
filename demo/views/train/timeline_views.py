"""One moment of the training timeline, drawn: the run's curves with a cursor at its epoch, the
filters and the pinned digit's maps (PNGs), the digit's ten probabilities, the validation
confusion matrix on demand, and the whole timeline as a GIF.

Everything a position needs is cached for the server per (run, step[, digit]) with
`st.cache_resource` (a snapshot never changes): a position seen once is drawn again without a
forward pass or a PNG encoding, so a slider move costs the charts' JSON and a few small images.
The GIF is made once per run and digit for the server (the newest GIFS kept), and counts to the
session's share of expensive work (`demo.session.costs`).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np
import streamlit as st

from demo.figures import inspect_charts, train_charts
from demo.figures.charts import probability_figure
from demo.figures.timeline_images import StepViews, step_views, weight_limits
from demo.models.steps import snapshot_model
from demo.session import costs
from demo.training.state import mnist
from demo.ui.screen import chart
from demo.views.train.live import pinned_digit
from demo.views.train.timeline_runs import Curves, TimelineRun
from lenet.config import ModelConfig
from lenet.model import LeNet5
from lenet.timeline.snapshots import Timeline
from lenet.training.metrics import confusion_matrix, predict_logits

GIFS = 8  # GIFs the server keeps (1-4 MB each)


@st.cache_resource(max_entries=512, show_spinner=False)
def cached_views(
    run: str,
    step: int,
    digit: str,
    limits: tuple[float, float],
    _timeline: Timeline,
    _config: ModelConfig,
    _digit: np.ndarray,
) -> StepViews:
    """The pictures of one snapshot for one digit (`digit` is its key) on the run's colour
    scales (`limits`): ~50 kB an entry."""
    return step_views(snapshot_model(run, step, _timeline, _config), _digit, limits)


@st.cache_resource(max_entries=64, show_spinner=False)
def run_limits(run: str, snapshots: int, _timeline: Timeline, _config: ModelConfig):
    """The filters' colour scales over the run's snapshots so far (`snapshots` of them)."""
    return weight_limits(_timeline, _config)


@st.cache_resource(max_entries=128, show_spinner=False)
def validation_confusion(run: str, step: int, _model: LeNet5) -> np.ndarray:
    """(true, predicted) counts over the 6,000 validation digits at one snapshot."""
    data = mnist()
    predicted = predict_logits(_model, data.val.images).argmax(1)
    return confusion_matrix(predicted, data.val.labels).numpy()


def digit_key(digit: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(digit).tobytes(), digest_size=8).hexdigest()


def charts(curves: Curves, cursor: float | None) -> None:
    """Loss, accuracy and (with every minibatch kept) learning rate, with the cursor."""
    if curves.batches or curves.per_batch:
        loss, accuracy, rate = st.columns([5, 5, 4])
        figure = train_charts.loss_figure(curves.batches, curves.epochs, curves.total_steps, cursor)
        chart(
            rate, train_charts.lr_figure(curves.batches, curves.epochs, cursor), key="timeline_lr"
        )
    else:
        loss, accuracy = st.columns(2)
        figure = train_charts.evaluation_loss_figure(curves.evaluations, curves.epochs, cursor)
    chart(loss, figure, key="timeline_loss")
    chart(
        accuracy,
        train_charts.accuracy_figure(curves.evaluations, curves.epochs, cursor),
        key="timeline_accuracy",
    )
    if curves.note:  # why a stored run shows fewer charts
        st.caption(curves.note)


def pictures(views: StepViews, source: str, step: int) -> None:
    """Filters | the digit's maps | its probabilities (stacked on a phone)."""
    filters, maps, answer = st.columns([1, 1, 1.15])
    filters.markdown("**The filters**")
    filters.image(views.kernels, alt="The six conv1 kernels at this moment")
    filters.image(views.filters, alt="The conv2 filters at this moment, one row for each")
    filters.caption(
        "Red weights add brightness, blue subtract it. conv2 filter k (row k) has one kernel "
        "for each conv1 map it reads (in 0-5)."
    )
    maps.markdown(f"**What they make of {source}**")
    maps.image(views.conv1, alt=f"The conv1 maps of {source} at this moment")
    maps.image(views.conv2, alt=f"The conv2 maps of {source} at this moment")
    chart(
        answer,
        probability_figure(views.probabilities, views.predicted),
        key="timeline_probabilities",
    )
    best = views.probabilities[views.predicted]
    answer.markdown(
        f"After step {step:,} the network reads {source} as **{views.predicted}** ({best:.0%})."
    )


def confusion(choice: TimelineRun, timeline: Timeline, index: int) -> None:
    """The validation confusion matrix at this step, computed when asked for (then cached)."""
    shown = st.toggle(
        "Validation confusion matrix at this step",
        key="timeline_confusion",
        help="Which digits the network mixes up, over the 6,000 validation images, with the "
        "weights it had at this step. It takes a moment the first time.",
    )
    if not shown:
        return
    step = timeline.snapshots[index].step
    model = snapshot_model(choice.key, step, timeline, choice.model)
    with st.spinner("Reading the 6,000 validation digits..."):
        matrix = validation_confusion(choice.key, step, model)
    figure = inspect_charts.confusion_figure(matrix)
    figure.layout.title.text = f"Validation confusion matrix after step {step:,}"
    left, right = st.columns([1.1, 1])
    chart(left, figure, key="timeline_confusion_chart")
    right.markdown(mistake_summary(matrix))


def mistake_summary(matrix: np.ndarray) -> str:
    """Validation accuracy and the most frequent mistake, in words."""
    right = int(np.trace(matrix))
    line = f"**{right / max(matrix.sum(), 1):.1%}** of the validation digits read right."
    wrong = matrix - np.diag(np.diag(matrix))
    if wrong.max() > 0:
        true, predicted = np.unravel_index(int(wrong.argmax()), wrong.shape)
        line += f" Most frequent mistake: {int(wrong.max())} {true}s read as {predicted}."
    return line


@st.cache_resource(show_spinner=False)
def _gifs() -> tuple[threading.Lock, OrderedDict]:
    """The server's GIFs, by (run, its snapshots, digit): made once, the newest GIFS kept."""
    return threading.Lock(), OrderedDict()


def _gif(args: tuple, timeline: Timeline, config, digit, source: str, times) -> bytes:
    lock, made = _gifs()
    with lock:
        if args in made:
            made.move_to_end(args)
            return made[args]
    from lenet.timeline.gif import timeline_gif

    costs.charge("GIF", times)  # this session's share (demo.session.costs)
    data = timeline_gif(timeline, config, digit, source)
    with lock:
        made[args] = data
        while len(made) > GIFS:
            made.popitem(last=False)
    return data


def gif_button(choice: TimelineRun, timeline: Timeline, digit: np.ndarray, source: str) -> None:
    """The whole timeline as an animated GIF, made only when clicked, once per run and digit
    for the whole server; a session that made its share of new ones this minute waits."""
    args = (choice.key, len(timeline.snapshots), digit.tobytes(), source)
    times = costs.ledger()
    lock, made = _gifs()
    with lock:
        wait = 0 if args in made else costs.wait_s(times)
    if wait:
        st.caption(costs.busy_line("GIF", wait))
    st.download_button(
        "Download the timeline as a GIF",
        data=lambda: _gif(args, timeline, choice.model, digit, source, times),
        file_name=f"lenet5_{choice.key}_timeline.gif",
        mime="image/gif",
        on_click="ignore",
        disabled=bool(wait),
        icon=":material/animated_images:",
        key="timeline_gif",
        help="One frame per saved moment of the training: the filters, the digit's maps and "
        "its probabilities, for slides. It takes a few seconds to make.",
    )


def draw_step(
    choice: TimelineRun, timeline: Timeline, index: int, curves: Curves, with_charts: bool = True
) -> None:
    """Every view of the network after snapshot `index` (`with_charts`: the curves too, when
    they are not drawn above already)."""
    snapshot = timeline.snapshots[index]
    if with_charts:
        charts(curves, snapshot.epoch)
    digit, source = pinned_digit()
    limits = run_limits(choice.key, len(timeline), timeline, choice.model)
    key = digit_key(digit)
    views = cached_views(choice.key, snapshot.step, key, limits, timeline, choice.model, digit)
    pictures(views, source, snapshot.step)
    confusion(choice, timeline, index)
    gif_button(choice, timeline, digit, source)
