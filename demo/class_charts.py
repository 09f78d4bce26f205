"""Plotly figures of the Class page, built from plain data (no Streamlit): everyone's validation
curves overlaid, and learning rate against test accuracy coloured by optimizer."""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go

from demo.charts import BLUE, GREY, ORANGE, TOP, figure, line
from demo.train_charts import waiting_note

OPTIMIZER_COLOURS = {"sgd": BLUE, "adam": ORANGE, "adamw": "#2ca02c"}
LEGEND_MOST = 8  # more traces than this: names on hover only (a legend of 50 hides the chart)
SPREAD = 0.12  # runs at one learning rate spread over this much of a decade, so none hides another
STEP = 0.025  # ... and at most this far apart (in decades)
OVERLAP = 0.25  # results closer than this (percentage points) would share a dot


def curves_figure(series: Sequence[tuple[str, str, Sequence[dict]]]) -> go.Figure:
    """Validation accuracy against epoch of each (name, settings, curves) run, overlaid."""
    traces = []
    for name, settings, curves in series:
        points = [c for c in curves if c.get("val_accuracy") is not None]
        trace = line(
            [c.get("epoch") for c in points],
            [100 * c["val_accuracy"] for c in points],
            name,
            width=2,
            markers=len(series) <= LEGEND_MOST,
        )
        trace["hovertemplate"] = (
            f"<b>{_escape(name)}</b><br>{_escape(settings)}<br>"
            "epoch %{x:.2f}: %{y:.2f}%<extra></extra>"
        )
        traces.append(trace)
    legend = len(series) <= LEGEND_MOST
    notes = [] if series else waiting_note("no curves match the filters")
    return figure(
        "Validation accuracy of the class",
        traces,
        height=420,
        y_title="validation accuracy",
        yaxis={"ticksuffix": "%"},
        hovermode="closest",
        showlegend=legend,
        annotations=notes,
        margin={"l": 55, "r": 15, "t": TOP, "b": 100 if legend else 45},
    )


def lr_figure(points: Sequence[dict]) -> go.Figure:
    """Learning rate (log axis) against test accuracy, one colour per optimizer; the accuracy
    axis from just below the lowest result, diverged runs as grey crosses along its bottom.
    Each point: lr, accuracy (0-1, None when diverged), optimizer, name, settings."""
    groups: dict[str, list[dict]] = {}
    for point in points:
        key = point["optimizer"] if point["accuracy"] is not None else "diverged"
        groups.setdefault(key, []).append(point)
    results = [100 * p["accuracy"] for p in points if p["accuracy"] is not None]
    bottom = max(0.0, min(results, default=90.0) - 3)
    shifts = spread(points)
    traces = [
        _scatter(label, group, bottom, shifts)
        for label, group in sorted(groups.items(), key=lambda g: (g[0] == "diverged", g[0]))
    ]
    return figure(
        "What worked, as a class",
        traces,
        height=400,
        x_title="learning rate (log scale)",
        y_title="test accuracy",
        xaxis=lr_axis([p["lr"] for p in points]),
        yaxis={"ticksuffix": "%", "range": [bottom - 1, 100.5]},
        hovermode="closest",
        annotations=[] if points else waiting_note("appears when the first run finishes"),
        margin={"l": 55, "r": 15, "t": TOP, "b": 95},
    )


def spread(points: Sequence[dict]) -> dict[int, float]:
    """id(point) -> its factor on the lr axis: runs that would sit on one dot (the same rate and
    nearly the same result: identical runs, above all) side by side, in a fixed order."""
    at: dict[tuple, list[dict]] = {}
    for point in points:
        result = point["accuracy"]
        spot = None if result is None else round(100 * result / OVERLAP)
        at.setdefault((point["lr"], spot), []).append(point)
    shifts = {}
    for group in at.values():
        group.sort(key=lambda p: (p["optimizer"], p["accuracy"] or 0.0, p["name"]))
        step = min(STEP, SPREAD / max(1, len(group) - 1))
        for i, point in enumerate(group):
            shifts[id(point)] = 10 ** (step * (i - (len(group) - 1) / 2))
    return shifts


def lr_axis(rates: Sequence[float]) -> dict:
    """A log axis labelled only at whole decades (10^-3, big enough for a projector), wide
    enough to hold at least two of them and the spread dots."""
    logs = [math.log10(r) for r in rates if r > 0] or [-3.0]
    low, high = math.floor(min(logs) - SPREAD), math.ceil(max(logs) + SPREAD)
    return {
        "type": "log",
        "exponentformat": "power",
        "dtick": 1,
        "range": [low - 0.05, max(high, low + 1) + 0.05],  # the end labels inside
        "tickfont": {"size": 15},
        "minor": {"ticks": "outside", "dtick": "D1", "showgrid": False},
    }


def _scatter(label: str, group: list[dict], bottom: float, shifts: dict[int, float]) -> dict:
    diverged = label == "diverged"
    return {
        "type": "scatter",
        "mode": "markers",
        "name": label,
        "x": [p["lr"] * shifts.get(id(p), 1.0) for p in group],
        "y": [bottom if diverged else 100 * p["accuracy"] for p in group],
        "customdata": [[p["name"], p["settings"], p["lr"]] for p in group],
        "cliponaxis": False,
        "marker": {
            "size": 11,
            "color": GREY if diverged else OPTIMIZER_COLOURS.get(label, GREY),
            "symbol": "x" if diverged else "circle",
            "opacity": 0.8,
            "line": {"width": 1, "color": "white"},
        },
        "hovertemplate": "<b>%{customdata[0]}</b><br>%{customdata[1]}<br>lr %{customdata[2]:g}: "
        + ("diverged" if diverged else "%{y:.2f}%")
        + "<extra></extra>",
    }


def _escape(text: str) -> str:
    """Text for a hover label, which Plotly reads as HTML."""
    return text.replace("&", "&amp;").replace("<", "&lt;")
