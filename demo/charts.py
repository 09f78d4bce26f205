"""Plotly figures built from plain data (no Streamlit here), styled for a projector."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from lenet.train import BatchEnd, Evaluation

MAX_POINTS = 400  # a longer series is thinned evenly: a chart is ~450 px wide anyway
BLUE, ORANGE, GREY = "#1f77b4", "#ff7f0e", "#9aa7b8"


def _layout(fig: go.Figure, title: str, y_title: str, height: int = 300) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 16}},
        height=height,
        margin={"l": 55, "r": 15, "t": 45, "b": 40},
        xaxis_title="epoch",
        yaxis_title=y_title,
        legend={"orientation": "h", "y": -0.25, "x": 0},
        hovermode="x unified",
        template="plotly_white",
    )
    return fig


def _thin(items: Sequence) -> Sequence:
    step = max(1, len(items) // MAX_POINTS)
    return items[::step] if step > 1 else items


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
    batches: Sequence[BatchEnd], total_epochs: float | None = None, total_steps: int | None = None
) -> go.Figure:
    """Minibatch loss, raw and as a running mean (over ~5% of the run), against epochs."""
    fig = go.Figure()
    if batches:
        epochs = [b.epoch for b in batches]
        losses = [b.loss for b in batches]
        window = max(5, min(50, (total_steps or len(batches)) // 20))
        smooth = running_mean(losses, window)
        keep = range(0, len(batches), max(1, len(batches) // MAX_POINTS))
        fig.add_scatter(
            x=[epochs[i] for i in keep],
            y=[losses[i] for i in keep],
            name="minibatch loss",
            mode="lines",
            line={"color": GREY, "width": 1},
        )
        fig.add_scatter(
            x=[epochs[i] for i in keep],
            y=[smooth[i] for i in keep],
            name="running mean (50 batches)",
            mode="lines",
            line={"color": BLUE, "width": 3},
        )
    if total_epochs:
        fig.update_xaxes(range=[0, total_epochs])
    return _layout(fig, "Training loss", "cross-entropy")


def accuracy_figure(
    evaluations: Sequence[Evaluation], total_epochs: float | None = None
) -> go.Figure:
    """Train (running, since the previous evaluation) and validation accuracy, in percent."""
    fig = go.Figure()
    if evaluations:
        epochs = [e.epoch for e in evaluations]
        fig.add_scatter(
            x=epochs,
            y=[100 * e.train_accuracy for e in evaluations],
            name="train",
            mode="lines+markers",
            line={"color": ORANGE, "width": 3},
        )
        fig.add_scatter(
            x=epochs,
            y=[100 * e.val_accuracy for e in evaluations],
            name="validation",
            mode="lines+markers",
            line={"color": BLUE, "width": 3},
        )
        low = min(min(e.val_accuracy, e.train_accuracy) for e in evaluations)
        fig.update_yaxes(range=[max(0.0, 100 * low - 2), 100.5])
    else:
        fig.update_yaxes(range=[0, 100])
        fig.add_annotation(
            text="appears after the first evaluation",
            showarrow=False,
            x=0.5,
            y=0.5,
            xref="paper",
            yref="paper",
            font={"color": GREY},
        )
    if total_epochs:
        fig.update_xaxes(range=[0, total_epochs])
    fig.update_yaxes(ticksuffix="%")
    return _layout(fig, "Accuracy", "accuracy")


def lr_figure(batches: Sequence[BatchEnd], total_epochs: float | None = None) -> go.Figure:
    fig = go.Figure()
    if batches:
        shown = _thin(batches)
        fig.add_scatter(
            x=[b.epoch for b in shown],
            y=[b.lr for b in shown],
            name="learning rate",
            mode="lines",
            line={"color": BLUE, "width": 3},
        )
    if total_epochs:
        fig.update_xaxes(range=[0, total_epochs])
    fig.update_yaxes(exponentformat="e")
    return _layout(fig, "Learning rate", "rate", height=240)


def per_class_figure(per_class: Sequence[float]) -> go.Figure:
    """Test accuracy of each digit as bars, the weakest highlighted."""
    values = [100 * a for a in per_class]
    weakest = min(range(len(values)), key=values.__getitem__) if values else -1
    colours = [ORANGE if i == weakest else BLUE for i in range(len(values))]
    fig = go.Figure(
        go.Bar(
            x=[str(d) for d in range(len(values))],
            y=values,
            marker_color=colours,
            text=[f"{v:.1f}%" for v in values],
            textposition="outside",
            hovertemplate="digit %{x}: %{y:.2f}%<extra></extra>",
        )
    )
    fig.update_yaxes(range=[max(0.0, min(values, default=0) - 5), 101], ticksuffix="%")
    fig = _layout(fig, "Test accuracy per digit (weakest in orange)", "accuracy", height=280)
    fig.update_layout(xaxis_title="digit", hovermode="closest")
    return fig


def comparison_figure(runs: Sequence[tuple[str, Sequence[Evaluation]]]) -> go.Figure:
    """Validation accuracy of several runs overlaid; each legend entry names its settings."""
    fig = go.Figure()
    for label, evaluations in runs:
        fig.add_scatter(
            x=[e.epoch for e in evaluations],
            y=[100 * e.val_accuracy for e in evaluations],
            name=label,
            mode="lines+markers",
            line={"width": 3},
        )
    fig.update_yaxes(ticksuffix="%")
    fig = _layout(fig, "Validation accuracy of your runs", "validation accuracy", height=360)
    fig.update_layout(
        legend={"orientation": "v", "y": -0.2, "x": 0, "yanchor": "top"},
        hovermode="closest",
        margin={"b": 40 + 22 * len(runs)},
        height=360 + 22 * len(runs),
    )
    return fig
