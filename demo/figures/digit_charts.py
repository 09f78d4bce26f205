"""The class's own digits as a chart (plain Python, no Streamlit): each run's accuracy on MNIST's
test set against its accuracy on the digits the class drew and labelled."""

from __future__ import annotations

import html
from collections.abc import Sequence

import plotly.graph_objects as go

from demo.figures.charts import BLUE, GREY, TOP, figure


def digits_figure(points: Sequence[dict]) -> go.Figure:
    """One dot a run: MNIST test accuracy (x) against class-digit accuracy (y), both in
    percent, with the line where they are equal. Each point: mnist, class (0-1), name."""
    xs = [100 * p["mnist"] for p in points]
    ys = [100 * p["class"] for p in points]
    low = max(0.0, min(xs + ys, default=90.0) - 3)
    dots = {
        "type": "scatter",
        "mode": "markers",
        "x": xs,
        "y": ys,
        "marker": {"color": BLUE, "size": 10, "line": {"width": 1, "color": "white"}},
        "customdata": [html.escape(p["name"]) for p in points],
        "hovertemplate": "%{customdata}<br>MNIST test %{x:.2f}%<br>class digits %{y:.2f}%"
        "<extra></extra>",
        "showlegend": False,
    }
    same = {
        "type": "scatter",
        "mode": "lines",
        "x": [low, 100],
        "y": [low, 100],
        "line": {"color": GREY, "dash": "dot", "width": 1},
        "hoverinfo": "skip",
        "showlegend": False,
    }
    return figure(
        "MNIST against the class's own digits",
        [same, dots],
        height=380,
        x_title="MNIST test accuracy (%)",
        y_title="accuracy on the class's digits (%)",
        xaxis={"range": [low, 100.5]},
        yaxis={"range": [low, 100.5]},
        hovermode="closest",
        margin={"l": 60, "r": 15, "t": TOP, "b": 50},
    )
