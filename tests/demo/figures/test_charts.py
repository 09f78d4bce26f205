"""The figures' layouts: honest axes, labels in their own space, readable colour bars and text."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from demo.figures import charts, inside, inspect_charts, train_charts
from lenet.training.trainer import BatchEnd, Evaluation

RNG = np.random.default_rng(0)


def batches(rates: list[float]) -> list[BatchEnd]:
    return [BatchEnd(i + 1, (i + 1) / 100, 2.3 / (i + 1), lr, 1000.0) for i, lr in enumerate(rates)]


def evaluation(epoch: float, train: float, val: float) -> Evaluation:
    return Evaluation(int(epoch * 100), epoch, 0.3, train, 0.3, val)


def kernel_rows():
    kernels = RNG.normal(size=(96, 5, 5))
    return inside.grid_figure(kernels, "k", 6, "kernel", True, 760, [f"map {k}" for k in range(16)])


def every_figure():
    """One of each figure the app draws, with typical data."""
    maps = RNG.normal(size=(16, 10, 10))
    return {
        "loss": train_charts.loss_figure(batches([0.01] * 50), 3),
        "accuracy": train_charts.accuracy_figure([evaluation(1, 0.9, 0.95)], 3),
        "lr": train_charts.lr_figure(batches([0.01] * 50), 3),
        "per class": train_charts.per_class_figure([0.99] * 10),
        "comparison": train_charts.comparison_figure([("run 1", [evaluation(1, 0.9, 0.95)])]),
        "probabilities": charts.probability_figure([0.1] * 10, 3),
        "pixels": charts.pixels_figure(RNG.random((28, 28)), "28x28"),
        "grid": inside.grid_figure(maps, "conv2 feature maps", 8),
        "kernel rows": inside.grid_figure(
            RNG.normal(size=(96, 5, 5)),
            "k",
            6,
            "kernel",
            True,
            760,
            [f"map {k}" for k in range(16)],
        ),
        "strip": inside.strip_figure(RNG.random(400), "400 numbers"),
        "bars": inspect_charts.bars_figure(RNG.random(10), "logits", 3),
        "numbers": inspect_charts.numbers_figure(RNG.normal(size=(5, 5)), "kernel", True),
        "attribution": inspect_charts.attribution_figure(
            RNG.random((32, 32)), RNG.normal(size=(32, 32)), "s"
        ),
        "confusion": inspect_charts.confusion_figure(RNG.integers(0, 50, (10, 10))),
    }


@pytest.mark.parametrize("name", list(every_figure()))
def test_every_title_sits_at_the_top_and_the_plot_below_it(name):
    layout = every_figure()[name].layout
    title = layout.title
    assert title.yref == "container" and title.y == 1 and title.yanchor == "top"
    assert 0 < title.pad.t <= 10  # no room kept for Plotly's toolbar: demo.ui.screen.chart drops it
    assert layout.margin.t >= title.pad.t + title.font.size + 4  # and the plot starts below it


def test_charts_are_shown_without_plotly_toolbar_and_larger_on_a_projector(monkeypatch):
    from demo.ui import screen

    shown = {}

    class Where:
        def plotly_chart(self, figure, **kwargs):
            shown.update(figure=figure, **kwargs)

    figure = charts.probability_figure([0.1] * 10, 3)
    screen.chart(Where(), figure, key="probs", config={"scrollZoom": False})
    assert shown["config"] == {"scrollZoom": False, "displayModeBar": False}
    assert shown["figure"].layout.font.size is None  # Plotly's own 12 px on a desktop
    monkeypatch.setattr(screen, "projector", lambda: True)
    screen.chart(Where(), figure, key="probs")
    assert shown["figure"].layout.font.size == screen.PROJECTOR_FONT
    assert shown["figure"].layout.title.font.size == screen.PROJECTOR_TITLE_FONT


def test_every_probability_bar_is_labelled():
    axis = charts.probability_figure([0.1] * 10, 7).layout.xaxis
    assert axis.tickmode == "linear" and axis.dtick == 1  # not Plotly's 0 2 4 6 8


def test_an_empty_loss_chart_starts_at_zero():
    layout = train_charts.loss_figure([]).layout
    assert list(layout.yaxis.range) == [0, 2.5]  # not Plotly's empty -1 to 4
    assert list(layout.xaxis.range) == [0, 1]
    assert layout.annotations[0].text == "appears after the first batch"
    assert list(train_charts.loss_figure([], 4).layout.xaxis.range) == [0, 4]


def test_a_loss_chart_with_data_starts_at_zero():
    layout = train_charts.loss_figure(batches([0.01] * 30), 2).layout
    assert layout.yaxis.rangemode == "tozero" and not layout.annotations


def test_an_empty_accuracy_chart_shows_0_to_100_percent():
    layout = train_charts.accuracy_figure([]).layout
    assert list(layout.yaxis.range) == [0, 100] and layout.yaxis.ticksuffix == "%"
    assert list(layout.xaxis.range) == [0, 1]


def test_a_constant_learning_rate_is_drawn_near_the_top_of_an_axis_from_zero():
    low, high = train_charts.lr_figure(batches([0.5] * 40), 3).layout.yaxis.range
    assert low == 0 and 0.5 < high <= 0.5 * 1.5  # a flat line in the upper part, not -0.5 to 1


def test_a_learning_rate_schedule_fits_its_axis():
    rates = list(np.linspace(1e-4, 3e-3, 40)) + list(np.linspace(3e-3, 1e-5, 40))
    low, high = train_charts.lr_figure(batches(rates), 3).layout.yaxis.range
    assert low == 0 and max(rates) < high <= 1.5 * max(rates)


def test_an_empty_learning_rate_chart_claims_no_scale():
    layout = train_charts.lr_figure([]).layout
    assert layout.yaxis.showticklabels is False and layout.annotations


def test_per_digit_accuracy_bars_start_at_zero():
    layout = train_charts.per_class_figure(
        [0.97, 0.99, 0.985, 0.93, 0.99, 0.98, 0.97, 0.99, 0.96, 0.95]
    )
    low, high = layout.layout.yaxis.range
    assert low == 0 and high >= 100


def row_bands_px(fig) -> list[float]:
    """The pixels between one row of tiles' axis domain and the next, top to bottom."""
    layout = fig.layout
    plot = layout.height - layout.margin.t - layout.margin.b
    domains = sorted(
        (layout[key].domain for key in layout.to_plotly_json() if key.startswith("yaxis")),
        key=lambda d: -d[1],
    )
    return [
        (upper[0] - lower[1]) * plot for upper, lower in zip(domains, domains[1:], strict=False)
    ]


@pytest.mark.parametrize(
    "shape, cols", [((16, 10, 10), 8), ((16, 5, 5), 8), ((6, 5, 5), 3), ((6, 28, 28), 6)]
)
def test_grid_labels_sit_above_their_own_tiles(shape, cols):
    fig = inside.grid_figure(RNG.normal(size=shape), "maps", cols)
    labels = fig.layout.annotations
    assert len(labels) == shape[0]
    for i, label in enumerate(labels):
        row = i // cols
        assert label.yref == (f"y{row + 1}" if row else "y") and label.y == -0.5  # its row's top
        assert label.yanchor == "bottom"  # so the text runs up into the band, not onto a tile
        assert label.x == (i % cols) * (shape[2] + 1) + (shape[2] - 1) / 2
        need = label.font.size + label.yshift + 2
    assert all(band >= need for band in row_bands_px(fig))  # the band between rows, any width
    title_bottom = fig.layout.title.pad.t + fig.layout.title.font.size + 4
    assert fig.layout.margin.t - title_bottom >= need  # and above the first row
    assert {trace.coloraxis for trace in fig.data} == {"coloraxis"}  # one scale for the grid


def test_row_labels_sit_left_of_the_tiles():
    fig = kernel_rows()
    labels = fig.layout.annotations
    assert [a.text for a in labels] == [f"map {k}" for k in range(16)]
    assert all(a.x < -0.5 and a.xanchor == "right" for a in labels)
    assert fig.layout.margin.l >= 60  # room for "map 15"


def test_colour_bars_are_readable():
    strip = inside.strip_figure(RNG.random(120), "fc1: 120 units").data[0].colorbar
    assert strip.orientation == "h" and strip.lenmode == "pixels" and strip.len >= 200
    assert strip.tickfont.size >= 12 and strip.yref == "container"
    grid = inside.grid_figure(RNG.normal(size=(6, 28, 28)), "conv1", 6).layout.coloraxis.colorbar
    assert grid.tickfont.size >= 12 and grid.thickness >= 12


def ink_rows(image: np.ndarray) -> np.ndarray:
    """Rows holding dark grey text pixels (the tiles are coloured: Viridis has no greys)."""
    rgb = image.astype(int)
    text = (rgb.max(-1) < 110) & (rgb.max(-1) - rgb.min(-1) < 25)
    return text.any(1)


def test_grid_png_text_is_large_and_never_on_a_tile():
    maps = RNG.random((6, 28, 28))
    image = np.asarray(Image.open(io.BytesIO(inside.grid_png(maps, 6, "conv1 maps", zoom=3))))
    text, coloured = ink_rows(image), (np.ptp(image.astype(int), axis=-1) > 40).any(1)
    assert not (text & coloured).any()  # no row holds both label text and a tile's pixels
    first_tile = int(np.argmax(coloured))
    label_rows = np.flatnonzero(text[:first_tile])
    runs = np.split(label_rows, np.flatnonzero(np.diff(label_rows) > 1) + 1)
    assert len(runs) == 2  # the title line, then the labels of the first row
    assert all(run[-1] - run[0] + 1 >= 13 for run in runs)  # ~16 px text (was ~7 px)


def test_a_long_strip_has_no_gaps_that_would_hide_its_cells_on_a_phone():
    assert inside.strip_figure(RNG.random(400), "pool2").data[0].xgap == 0
    assert inside.strip_figure(RNG.random(84), "fc2").data[0].xgap == 1


def test_probability_labels_never_crowd_each_other():
    assert charts.probability_figure([0.1] * 10, 3).data[0].text == ("",) * 3 + ("10%",) + ("",) * 6
    two = charts.probability_figure([0.6, 0.38] + [0.0025] * 8, 0).data[0].text
    assert two == ("60%", "38%") + ("",) * 8


def test_bar_labels_stay_readable_on_a_projector():
    for bars in (
        charts.probability_figure([0.05] * 9 + [0.55], 9).data[0],
        train_charts.per_class_figure([0.99] * 10).data[0],
    ):
        assert bars.textfont.size >= 12 and bars.constraintext == "none"


@pytest.mark.parametrize("name", list(every_figure()))
def test_every_figure_is_valid_and_what_validation_would_send(name):
    """Figures are built unvalidated for speed: Plotly's validation must accept each one and
    change nothing the browser receives (the template included)."""
    import json

    import plotly.graph_objects as go
    import plotly.io

    built = every_figure()[name]
    validated = go.Figure(built.to_dict())  # raises on anything invalid
    sent = json.loads(plotly.io.to_json(built, validate=False))
    assert sent == json.loads(plotly.io.to_json(validated, validate=False))
    assert sent["layout"]["template"]["layout"]["plot_bgcolor"] == "white"
