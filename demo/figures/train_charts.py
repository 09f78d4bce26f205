"""Plotly figures of a training run, built from plain events: loss, accuracy, learning rate,
accuracy per digit, and the session's runs side by side; the curves take a `cursor` (an epoch:
the training timeline's position, drawn as a vertical line). No Streamlit calls."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from demo.figures.charts import BLUE, CURVES, GREY, MAX_POINTS, ORANGE, TOP, figure, line
from lenet.training.trainer import BatchEnd, Evaluation


def _every(n: int) -> range:
    return range(0, n, max(1, n // MAX_POINTS))


def _epoch_axis(total_epochs: float | None, empty: bool = False) -> dict:
    """The epoch axis: the whole run when its length is known; [0, 1] for an empty chart."""
    if total_epochs:
        return {"range": [0, total_epochs]}
    return {"range": [0, 1]} if empty else {}


CURSOR = "#d62728"


def cursor_line(epoch: float | None) -> list[dict]:
    """A dotted vertical line across the plot at `epoch` (none for None)."""
    if epoch is None:
        return []
    return [
        {
            "type": "line",
            "x0": epoch,
            "x1": epoch,
            "y0": 0,
            "y1": 1,
            "yref": "paper",
            "line": {"color": CURSOR, "width": 2, "dash": "dot"},
        }
    ]


def waiting_note(text: str) -> list[dict]:
    """A grey note in the middle of an empty chart."""
    return [
        {
            "text": text,
            "showarrow": False,
            "x": 0.5,
            "y": 0.5,
            "xref": "paper",
            "yref": "paper",
            "font": {"color": GREY},
        }
    ]


def running_mean(values: Sequence[float], window: int = 50) -> list[float]:
    """Mean of the last `window` values at each point (fewer at the start)."""
    out, total = [], 0.0
    for i, value in enumerate(values):
        total += value
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def loss_figure(
    batches: Sequence[BatchEnd],
    total_epochs: float | None = None,
    total_steps: int | None = None,
    cursor: float | None = None,
) -> go.Figure:
    """Minibatch loss, raw and as a running mean (over ~5% of the run), against epochs; the loss
    axis starts at 0 (an empty chart shows 0 to 2.5: a new network starts near ln 10 = 2.3)."""
    traces, yaxis, notes = [], {"range": [0, 2.5]}, waiting_note("appears after the first batch")
    if batches:
        losses = [b.loss for b in batches]
        window = max(5, min(50, (total_steps or len(batches)) // 20))
        smooth = running_mean(losses, window)
        keep = _every(len(batches))
        epochs = [batches[i].epoch for i in keep]
        traces = [
            line(epochs, [losses[i] for i in keep], "each step", GREY, width=1),
            line(epochs, [smooth[i] for i in keep], f"average of {window} steps", BLUE),
        ]
        yaxis, notes = {"rangemode": "tozero"}, []
    return figure(
        "Training loss",
        traces,
        y_title="loss",
        **CURVES,
        xaxis=_epoch_axis(total_epochs, not batches),
        yaxis=yaxis,
        annotations=notes,
        shapes=cursor_line(cursor),
    )


def accuracy_figure(
    evaluations: Sequence[Evaluation],
    total_epochs: float | None = None,
    cursor: float | None = None,
) -> go.Figure:
    """Train (running, since the previous evaluation) and validation accuracy, in percent."""
    yaxis: dict = {"ticksuffix": "%", "range": [0, 100]}
    annotations = waiting_note("appears after the first evaluation")
    traces = []
    if evaluations:
        epochs = [e.epoch for e in evaluations]
        traces = [
            line(
                epochs,
                [100 * e.train_accuracy for e in evaluations],
                "training images",
                ORANGE,
                markers=True,
            ),
            line(
                epochs,
                [100 * e.val_accuracy for e in evaluations],
                "validation images",
                BLUE,
                markers=True,
            ),
        ]
        low = min(min(e.val_accuracy, e.train_accuracy) for e in evaluations)
        yaxis["range"], annotations = [max(0.0, 100 * low - 2), 100.5], []
    return figure(
        "Accuracy",
        traces,
        y_title="accuracy",
        **CURVES,
        xaxis=_epoch_axis(total_epochs, not evaluations),
        yaxis=yaxis,
        annotations=annotations,
        shapes=cursor_line(cursor),
    )


def lr_figure(
    batches: Sequence[BatchEnd], total_epochs: float | None = None, cursor: float | None = None
) -> go.Figure:
    """The learning rate against epochs, on an axis from 0 to a little above its largest value
    (a constant rate is a flat line near the top, not a line in the middle of -0.5 to 1)."""
    keep = _every(len(batches))
    rates = [batches[i].lr for i in keep]
    traces = [line([batches[i].epoch for i in keep], rates, "learning rate", BLUE)] if rates else []
    return figure(
        "Learning rate",
        traces,
        height=285,  # its plot as tall as the loss and accuracy plots beside it
        y_title="rate",
        xaxis=_epoch_axis(total_epochs, not rates),
        yaxis={"range": [0, 1.25 * max(rates)], "exponentformat": "e"}
        if rates and max(rates) > 0
        else {"range": [0, 1], "showticklabels": False},
        annotations=[] if rates else waiting_note("appears after the first batch"),
        shapes=cursor_line(cursor),
    )


def evaluation_loss_figure(
    evaluations: Sequence[Evaluation],
    total_epochs: float | None = None,
    cursor: float | None = None,
) -> go.Figure:
    """Train (running) and validation loss at each evaluation: a stored run's loss curve (the
    store keeps its evaluations, not every minibatch)."""
    traces = []
    if evaluations:
        epochs = [e.epoch for e in evaluations]
        traces = [
            line(epochs, [e.train_loss for e in evaluations], "training images", ORANGE, 2, True),
            line(epochs, [e.val_loss for e in evaluations], "validation images", BLUE, 2, True),
        ]
    return figure(
        "Loss at each evaluation",
        traces,
        y_title="loss",
        **CURVES,
        xaxis=_epoch_axis(total_epochs, not evaluations),
        yaxis={"rangemode": "tozero"},
        annotations=[] if evaluations else waiting_note("no evaluations kept"),
        shapes=cursor_line(cursor),
    )


def per_class_figure(per_class: Sequence[float]) -> go.Figure:
    """Test accuracy of each digit as bars on an axis from 0 (an axis from 90% made a 1-point
    gap look like half the bar), the exact figure on each bar, the weakest highlighted."""
    values = [100 * a for a in per_class]
    weakest = min(range(len(values)), key=values.__getitem__) if values else -1
    bars = {
        "type": "bar",
        "x": [str(d) for d in range(len(values))],
        "y": values,
        "marker": {"color": [ORANGE if i == weakest else BLUE for i in range(len(values))]},
        "text": [f"{v:.1f}" for v in values],
        "textposition": "outside",
        "textfont": {"size": 12},
        "constraintext": "none",  # Plotly shrank labels to the bar width: ~7 px on a projector
        "hovertemplate": "digit %{x}: %{y:.2f}%<extra></extra>",
    }
    return figure(
        "Test accuracy per digit (weakest in orange)",
        [bars],
        height=280,
        x_title="digit",
        y_title="accuracy",
        hovermode="closest",
        yaxis={"range": [0, 112], "tickvals": [0, 25, 50, 75, 100], "ticksuffix": "%"},
    )


def comparison_figure(runs: Sequence[tuple[str, Sequence[Evaluation]]]) -> go.Figure:
    """Validation accuracy of several runs overlaid; each legend entry names its settings."""
    traces = [
        line(
            [e.epoch for e in evaluations],
            [100 * e.val_accuracy for e in evaluations],
            label,
            markers=True,
        )
        for label, evaluations in runs
    ]
    return figure(
        "Validation accuracy of your runs",
        traces,
        height=360 + 22 * len(runs),
        y_title="validation accuracy",
        yaxis={"ticksuffix": "%"},
        hovermode="closest",
        legend={"orientation": "v", "y": -0.2, "x": 0, "yanchor": "top"},
        margin={"l": 55, "r": 15, "t": TOP, "b": 40 + 22 * len(runs)},
    )
