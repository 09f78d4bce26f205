"""Plotly figures built from plain data (no Streamlit here), styled for a projector.

Each figure is built in one go from plain dicts, and not validated: Plotly's validation (of the
template above all, 5 ms a figure) was the largest part of a Draw rerun's server time, for
figures the tests check are valid and unchanged by it (tests/demo/figures/test_charts.py). The Train
page rebuilds its charts once a second for every student watching a run.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import plotly.colors
import plotly.graph_objects as go
import plotly.io

MAX_POINTS = 400  # a longer series is thinned evenly: a chart is ~450 px wide anyway
BLUE, ORANGE, GREY = "#1f77b4", "#ff7f0e", "#9aa7b8"
# a title's top: charts show no Plotly toolbar (demo.ui.screen.chart), so no room is kept for it
TITLE_TOP = 8
TOP = TITLE_TOP + 30
# the training curves: room at the bottom for ticks, the axis title and a two-line legend
CURVES = {"height": 320, "margin": {"l": 55, "r": 15, "t": TOP, "b": 95}}


def figure(
    title: str,
    traces: list[dict],
    height: int = 300,
    x_title: str = "epoch",
    y_title: str = "",
    xaxis: dict | None = None,
    yaxis: dict | None = None,
    **layout,
) -> go.Figure:
    """One Plotly figure in the app's style."""
    base = {
        "title": {
            "text": title,
            "font": {"size": 16},
            "x": 0.01,
            "xanchor": "left",
            "y": 1,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": TITLE_TOP},
        },
        "height": height,
        "margin": {"l": 55, "r": 15, "t": TOP, "b": 40},
        "xaxis": {"title": {"text": x_title}, **(xaxis or {})},
        "yaxis": {"title": {"text": y_title}, **(yaxis or {})},
        # at the very bottom, in its own room below the axis title (see CURVES)
        "legend": {"orientation": "h", "x": 0, "y": 0, "yref": "container", "yanchor": "bottom"},
        "hovermode": "x unified",
        "template": template(),
    }
    merged = {key: value for key, value in {**base, **layout}.items() if value != []}
    if "coloraxis" in merged:
        merged["coloraxis"] = _named_scale(merged["coloraxis"])
    traces = [_named_scale(trace) for trace in traces]
    return go.Figure(data=traces, layout=merged, _validate=False)


def _named_scale(spec: dict) -> dict:
    """`spec` with a colour scale's name ("gray", "RdBu") spelled out, as validation would:
    plotly.js knows only some of Plotly's names."""
    name = spec.get("colorscale")
    return {**spec, "colorscale": _colorscale(name)} if isinstance(name, str) else spec


@functools.cache
def _colorscale(name: str) -> list:
    return [list(stop) for stop in plotly.colors.get_colorscale(name)]


@functools.cache
def template() -> dict:
    """Plotly's "plotly_white" as the dict that validation would have put in each figure."""
    return plotly.io.templates["plotly_white"].to_plotly_json()


def image_figure(
    title: str, traces: list[dict], height: int, left: int = 10, top: int = TOP, **layout
) -> go.Figure:
    """A figure for pictures (digits, maps, kernels): no axes, square cells, row 0 on top."""
    return figure(
        title,
        traces,
        height=height,
        x_title="",
        hovermode="closest",
        margin={"l": left, "r": 10, "t": top, "b": 10},
        xaxis={"visible": False, "constrain": "domain"},
        yaxis={
            "visible": False,
            "autorange": "reversed",
            "scaleanchor": "x",
            "constraintoward": "top",  # a square picture in a wide plot sits under its title
            **layout.pop("yaxis", {}),
        },
        **layout,
    )


def line(
    x: Sequence,
    y: Sequence,
    name: str,
    colour: str | None = None,
    width: float = 3,
    markers: bool = False,
) -> dict:
    trace = {
        "type": "scatter",
        "x": list(x),
        "y": list(y),
        "name": name,
        "mode": "lines+markers" if markers else "lines",
        "line": {"width": width},
    }
    if colour:
        trace["line"]["color"] = colour
    return trace


LABEL_FROM = 15.0  # percent


def probability_figure(probabilities: Sequence[float], predicted: int | None) -> go.Figure:
    """The ten class probabilities (softmax) as bars, the predicted digit highlighted."""
    values = [100 * p for p in probabilities]
    bars = {
        "type": "bar",
        "x": [str(d) for d in range(len(values))],
        "y": values,
        "marker": {"color": [ORANGE if d == predicted else BLUE for d in range(len(values))]},
        # labels on the predicted bar and on bars of 15% or more: ten labels of ~10% each (an
        # untrained network) ran into each other on a narrow chart
        "text": [
            f"{v:.0f}%" if d == predicted or v >= LABEL_FROM else "" for d, v in enumerate(values)
        ],
        "textposition": "outside",
        "textfont": {"size": 13},
        "constraintext": "none",  # Plotly shrank labels to the bar width: ~7 px on a projector
        "cliponaxis": False,  # a label above a 100% bar ran past the axis and was cut to "00%"
        "hovertemplate": "digit %{x}: %{y:.2f}%<extra></extra>",
    }
    return figure(
        "Probability of each digit",
        [bars],
        height=300,
        x_title="digit",
        y_title="probability",
        hovermode="closest",
        # every digit labelled: on a narrow chart Plotly showed only 0 2 4 6 8
        xaxis={"tickmode": "linear", "dtick": 1},
        yaxis={"range": [0, 110], "ticksuffix": "%"},
    )


def pixels_figure(image, title: str, height: int = 260, signed: bool = False) -> go.Figure:
    """An image as a heatmap with one visible cell per pixel, hover values, row 0 on top."""
    colours = "RdBu" if signed else "gray"
    cells = {
        "type": "heatmap",
        "z": [list(map(float, row)) for row in image],
        "colorscale": colours,
        "reversescale": signed,
        "showscale": False,
        "xgap": 1,
        "ygap": 1,
        "hovertemplate": "row %{y}, column %{x}: %{z:.2f}<extra></extra>",
    }
    if signed:
        cells["zmid"] = 0
    return image_figure(title, [cells], height, plot_bgcolor="#888")
