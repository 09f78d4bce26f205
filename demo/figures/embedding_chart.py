"""The Inspect page's embedding figure: test digits laid out by t-SNE, one colour a class,
and the current digit as a star."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from demo.figures.charts import ORANGE, TOP, figure

LEGEND = {"orientation": "h", "x": 0, "y": 0, "yref": "container", "yanchor": "bottom"}
# Paul Tol's "muted" scheme (colour-blind safe) with its pale grey swapped for a dark one
CLASS_COLOURS = [
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933",
    "#DDCC77", "#CC6677", "#882255", "#AA4499", "#555555",
]  # fmt: skip


def embedding_figure(
    positions: np.ndarray,
    labels: np.ndarray,
    details: np.ndarray,
    current: np.ndarray | None,
    current_name: str,
) -> go.Figure:
    """The 2-D embedding, one trace (colour, legend entry) per class, each class's digit written
    at its middle; details (M, 2) = (test index, prediction) per point, for hover and clicks; the
    current digit, if given, as a black-ringed star."""
    traces = []
    for digit in range(10):
        mine = labels == digit
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": str(digit),
                "x": positions[mine, 0].tolist(),
                "y": positions[mine, 1].tolist(),
                "customdata": np.column_stack([details[mine], labels[mine]]).tolist(),
                "marker": {"color": CLASS_COLOURS[digit], "size": 5, "opacity": 0.8},
                "selected": {"marker": {"size": 14, "opacity": 1}},  # the clicked point
                "unselected": {"marker": {"opacity": 0.6}},
                "hovertemplate": "test digit #%{customdata[0]}: labelled %{customdata[2]}, "
                "read as %{customdata[1]}<br>click to see it<extra></extra>",
            }
        )
    if current is not None:
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": current_name,
                "x": [float(current[0])],
                "y": [float(current[1])],
                "marker": {
                    "symbol": "star",
                    "size": 24,
                    "color": ORANGE,
                    "line": {"color": "black", "width": 2},
                },
                "unselected": {"marker": {"opacity": 1}},
                "hovertemplate": f"{current_name}<extra></extra>",
            }
        )
    names = [d for d in range(10) if (labels == d).any()]
    middles = np.array([np.median(positions[labels == d], axis=0) for d in names]).reshape(-1, 2)
    traces.insert(10, {  # each class's digit at its middle, under the star
        "type": "scatter", "mode": "text", "x": middles[:, 0].tolist(),
        "y": middles[:, 1].tolist(), "text": [f"<b>{d}</b>" for d in names],
        "textfont": {"size": 22, "color": "black"}, "hoverinfo": "skip", "showlegend": False,
        "unselected": {"textfont": {"color": "black"}},
    })  # fmt: skip
    notes = []
    if current is not None:
        notes.append(
            {"x": float(current[0]), "y": float(current[1]), "text": current_name, "ax": 40,
             "ay": -40, "arrowhead": 2, "font": {"size": 14}, "bgcolor": "rgba(255,255,255,0.8)"}
        )  # fmt: skip
    hidden = {"showticklabels": False, "showgrid": False, "zeroline": False}
    return figure(
        "fc2 features of test digits, laid out by t-SNE",
        traces,
        height=520,
        x_title="",
        hovermode="closest",
        xaxis=hidden,
        yaxis=hidden,
        annotations=notes,
        margin={"l": 10, "r": 10, "t": TOP, "b": 60},
        legend={**LEGEND, "title": {"text": "label"}},
    )
