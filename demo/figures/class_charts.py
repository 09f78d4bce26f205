"""Plotly figures of the Class page, built from plain data (no Streamlit): everyone's validation
curves overlaid, one colour per student, and learning rate against test accuracy coloured by
optimizer, with runs that learned nothing or diverged marked apart."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

from demo.figures.charts import BLUE, GREY, ORANGE, TOP, figure, line
from demo.figures.train_charts import waiting_note

OPTIMIZER_COLOURS = {"sgd": BLUE, "adam": ORANGE, "adamw": "#2ca02c"}
OPTIMIZER_NAMES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW"}
# one colour per student, in the order they first trained; none grey (grey marks failures)
STUDENT_COLOURS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22",
    "#17becf", "#1616a7", "#862a16", "#00a08b", "#b68100", "#620042", "#6c7c32", "#da16ff",
)  # fmt: skip
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")  # a student's runs apart
LEGEND_MOST = 16  # more students than this: names on hover only (a legend of 30 hides the chart)
MARKERS_MOST = 8  # runs drawn with a dot at each evaluation
WIDTH = 2.5  # a curve's line
NOTHING_LABEL = "learned nothing (about 10%, chance)"
FAILED_GREY = "#6b7280"  # failed runs' marks: 4.8:1 on white (the app's GREY is 2.3:1)
SPREAD = 0.12  # runs at one learning rate spread over this much of a decade, so none hides another
STEP = 0.025  # ... and at most this far apart (in decades)
OVERLAP = 0.25  # results closer than this (percentage points) would share a dot


@dataclass(frozen=True)
class CurveRun:
    """One run's curve as drawn: whose (`name` as shown, `student` their colour), which run, its
    settings in words, and its evaluations (dicts with epoch and val_accuracy)."""

    name: str
    student: int
    run: int
    settings: str
    curves: Sequence[dict]


def curves_figure(series: Sequence[CurveRun]) -> go.Figure:
    """Validation accuracy against epoch of each run, overlaid: one colour and one legend entry
    per student, their runs told apart by dashes. Runs with the same curve: each hover names
    them all; one student's are each drawn wider and paler than the next, so every one shows."""
    students = {name: rank for rank, name in enumerate(dict.fromkeys(r.name for r in series), 1)}
    legend, unlisted = len(students) <= LEGEND_MOST, set(students)
    shared = same_curves(series)
    seen: dict[str, int] = {}  # runs of each student drawn so far
    traces = []
    for run in series:
        nth = seen[run.name] = seen.get(run.name, -1) + 1
        same = shared[run.run]
        dash = DASHES[(nth + same.index(run)) % len(DASHES)]
        trace = _curve(run, dash, len(series), same)
        if legend and run.name in unlisted and trace["line"]["width"] == WIDTH:
            unlisted.remove(run.name)  # their legend entry: their first run drawn plainly
            trace |= {"showlegend": True, "legendrank": students[run.name]}
        traces.append(trace)
    rows = math.ceil(len(students) / 4) if legend else 0  # legend rows on a phone, about
    notes = [] if series else waiting_note("no curves match the filters")
    return figure(
        "Validation accuracy of the class",
        traces,
        height=400 + 20 * max(0, rows - 2),
        y_title="validation accuracy",
        yaxis={"ticksuffix": "%"},
        hovermode="closest",
        showlegend=legend,
        legend={"orientation": "h", "x": 0, "y": -0.2, "yanchor": "top", "title": {"text": ""}},
        annotations=notes,
        margin={"l": 55, "r": 15, "t": TOP, "b": 45},
    )


def same_curves(series: Sequence[CurveRun]) -> dict[int, list[CurveRun]]:
    """Run id -> the runs drawn with exactly its curve (itself included, in drawing order)."""
    groups: dict[tuple, list[CurveRun]] = {}
    for run in series:
        groups.setdefault(_shape(run), []).append(run)
    return {run.run: groups[_shape(run)] for run in series}


def _shape(run: CurveRun) -> tuple:
    return tuple((c.get("epoch"), round(100 * c["val_accuracy"], 2)) for c in _points(run))


def _points(run: CurveRun) -> list[dict]:
    return [c for c in run.curves if c.get("val_accuracy") is not None]


def _curve(run: CurveRun, dash: str, drawn: int, same: list[CurveRun]) -> dict:
    points = _points(run)
    trace = line(
        [c.get("epoch") for c in points],
        [100 * c["val_accuracy"] for c in points],
        run.name,
        colour=STUDENT_COLOURS[run.student % len(STUDENT_COLOURS)],
        width=WIDTH,
        markers=drawn <= MARKERS_MOST,
    )
    # the same curve in the same colour hides a run: each a halo round the next one drawn
    under = sum(o.name == run.name for o in same[same.index(run) + 1 :])
    trace["line"] |= {"dash": dash, "width": min(WIDTH + 3 * under, 9)}
    if under:
        trace["opacity"] = 0.5
    others = [f"{_escape(o.name)} (run {o.run})" for o in same if o is not run]
    also = f"<br>Same curve: {', '.join(others)}" if others else ""
    trace |= {
        "legendgroup": run.name,
        "showlegend": False,
        "hovertemplate": f"<b>{_escape(run.name)}</b> · run {run.run}<br>"
        f"{hover_lines(run.settings)}<br>epoch %{{x:.2f}}: %{{y:.2f}}%{also}<extra></extra>",
    }
    return trace


def hover_lines(settings: str) -> str:
    """Settings in words on two lines of a hover label (one line is wider than a phone)."""
    parts = [_escape(part) for part in settings.split(", ")]
    return ", ".join(parts[:2]) + ("<br>" + ", ".join(parts[2:]) if parts[2:] else "")


def lr_figure(points: Sequence[dict]) -> go.Figure:
    """Learning rate (log axis) against test accuracy, one colour per optimizer; the accuracy
    axis from just below the lowest real result, runs that learned nothing (hollow grey circles)
    and diverged runs (grey crosses) along its bottom. Each point: lr, accuracy (0-1, None when
    diverged), nothing (it learned nothing), optimizer, name, settings."""
    groups: dict[str, list[dict]] = {}
    for point in points:
        groups.setdefault(_kind(point), []).append(point)
    results = [100 * p["accuracy"] for p in points if _kind(p) not in FAILED]
    bottom = max(0.0, min(results, default=90.0) - 3)
    shifts = spread(points)
    traces = [
        _scatter(kind, group, bottom, shifts)
        for kind, group in sorted(groups.items(), key=lambda g: _order(g[0]))
    ]
    return figure(
        "What worked, as a class",
        traces,
        height=400,
        x_title="learning rate (log scale)",
        y_title="test accuracy",
        xaxis=lr_axis([p["lr"] for p in points]),
        yaxis=accuracy_axis(bottom, failed=any(_kind(p) in FAILED for p in points)),
        hovermode="closest",
        showlegend=bool(points),  # which colour is which optimizer, also when there is one
        annotations=[] if points else waiting_note("appears when the first run finishes"),
        margin={"l": 55, "r": 15, "t": TOP, "b": 95},
    )


FAILED = ("nothing", "diverged")  # drawn along the bottom, after the optimizers, in this order


def _order(kind: str) -> tuple:
    return (FAILED.index(kind) + 1 if kind in FAILED else 0, kind)


def _kind(point: dict) -> str:
    if point["accuracy"] is None:
        return "diverged"
    return "nothing" if point.get("nothing") else point["optimizer"]


def accuracy_axis(bottom: float, failed: bool) -> dict:
    """The test accuracy axis from just below `bottom`: round ticks above it, and the word
    "failed" at `bottom` when failed runs sit there (not a percentage they reached)."""
    span = 100 - bottom
    step = next((s for s in (1, 2, 5, 10) if span / s <= 6), 20)
    ticks = [t for t in range(100, int(bottom), -step) if t > bottom + step / 2][::-1]
    values = [bottom, *ticks] if failed else ticks
    return {
        "range": [bottom - 1, 100.5],
        "tickvals": values,
        "ticktext": ["failed"] * failed + [f"{t}%" for t in ticks],
    }


def spread(points: Sequence[dict]) -> dict[int, float]:
    """id(point) -> its factor on the lr axis: runs that would sit on one dot (the same rate and
    nearly the same result: identical runs, above all) side by side, in a fixed order."""
    at: dict[tuple, list[dict]] = {}
    for point in points:
        kind = _kind(point)  # failures share the bottom line: spread by kind, not result
        spot = kind if kind in FAILED else round(100 * point["accuracy"] / OVERLAP)
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


def _scatter(kind: str, group: list[dict], bottom: float, shifts: dict[int, float]) -> dict:
    failed = kind in FAILED
    outcome = {"diverged": "diverged", "nothing": "learned nothing, %{customdata[3]:.2f}%"}
    marker = {
        "diverged": {"symbol": "x", "color": FAILED_GREY, "line": {"width": 1, "color": "white"}},
        "nothing": {"symbol": "circle-open", "color": FAILED_GREY, "line": {"width": 2.5}},
    }.get(kind, {"symbol": "circle", "color": OPTIMIZER_COLOURS.get(kind, GREY)})
    return {
        "type": "scatter",
        "mode": "markers",
        "name": {"nothing": NOTHING_LABEL}.get(kind, OPTIMIZER_NAMES.get(kind, kind)),
        "x": [p["lr"] * shifts.get(id(p), 1.0) for p in group],
        "y": [bottom if failed else 100 * p["accuracy"] for p in group],
        "customdata": [
            [_escape(p["name"]), hover_lines(p["settings"]), p["lr"], 100 * (p["accuracy"] or 0)]
            for p in group
        ],
        "cliponaxis": False,
        "marker": {"size": 11, "opacity": 0.85, "line": {"width": 1, "color": "white"}} | marker,
        "hovertemplate": "<b>%{customdata[0]}</b><br>%{customdata[1]}<br>"
        "learning rate %{customdata[2]:g}: " + outcome.get(kind, "%{y:.2f}%") + "<extra></extra>",
    }


def _escape(text: str) -> str:
    """Text for a hover label, which Plotly reads as HTML."""
    return text.replace("&", "&amp;").replace("<", "&lt;")
