"""The Whole network and One number by hand parts (AppTest), and their figures."""

from __future__ import annotations

import json

import numpy as np
import plotly.io
import pytest

from demo.figures import network_figures
from demo.figures.slide_figure import slide_figure
from tests.demo.views import test_inspect
from tests.demo.views.test_inspect import open_part

page = test_inspect.page  # the Inspect page on the fixture (a pytest fixture, shared)


def specs(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def titles(at) -> list[str]:
    return [spec["layout"].get("title", {}).get("text", "") for spec in specs(at)]


def overview_markup(at) -> str:
    """The whole network's HTML, as the page sent it to the browser."""
    component = next(c for c in at.get("bidi_component") if c.proto.component_name.endswith(
        "network_overview"))  # fmt: skip
    return json.loads(component.proto.json)["html"]


def test_whole_network_shows_every_stage_small(page):
    at = open_part(page.run(), "network")
    assert not at.exception
    markup = overview_markup(at)
    for stage in ["input", "conv1", "pool1", "conv2", "pool2", "fc1", "fc2", "answer"]:
        assert f"<b>{stage}</b>" in markup
    # every map a button of its own, named for a screen reader; nothing opened yet
    for layer, count in [("conv1", 6), ("pool1", 6), ("conv2", 16), ("pool2", 16)]:
        assert markup.count(f'data-layer="{layer}"') == count
    assert 'aria-label="conv2 map 0: open it large' in markup and "picked" not in markup
    assert not at.get("dialog") or not at.get("dialog")[0].children


def test_the_overview_is_square_whole_and_marks_the_opened_map(small_mnist):
    from demo.figures.network_overview import overview_html
    from lenet.explain.features import feature_maps
    from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint

    model = load_checkpoint(DEFAULT_CHECKPOINT)[0]
    x = small_mnist.test.images[:1]
    markup = overview_html(x[0, 0].numpy(), feature_maps(model, x), ("conv2", 3))
    assert 'class="input"' in markup and "aspect-ratio" not in markup  # the CSS keeps it square
    assert markup.count('aria-pressed="true"') == 1
    assert 'data-layer="conv2" data-map="3" class="picked"' in markup
    top = int(feature_maps(model, x)["probabilities"][0].argmax())
    assert f'class="bar top"><b>{top}</b>' in markup


def test_an_opened_conv2_map_shows_its_six_feeding_maps_and_a_picked_cell(page):
    at = page.run()
    at.session_state["net_map"] = ("conv2", 5)
    at = open_part(at, "network")
    assert not at.exception
    assert at.get("dialog")[0].proto.dialog.title == "conv2 map 5"  # where one looks
    shown = titles(at)
    assert "conv2 map 5: click a cell" in shown
    assert (
        "fed by: the six pool1 maps, 0 to 5" in shown
        and "weighted by: its six 5x5 kernel slices" in shown
    )
    assert "Sliding the kernel: conv2 map 5" in shown
    at.session_state["net_cell"] = (3, 7)
    at.run()
    text = "\n".join(m.value for m in at.markdown)
    assert "row 3, column 7 ✔" in text and text.count("pool1 map") == 6
    assert "What conv2 map 5, cell (3, 7) sees" in titles(at)


def test_an_opened_pool_map_shows_the_conv_map_it_pools(page):
    at = page.run()
    at.session_state["net_map"] = ("pool1", 2)
    at = open_part(at, "network")
    assert not at.exception and "fed by: conv1 map 2" in titles(at)


@pytest.mark.parametrize("layer, side", [("conv1", 28), ("conv2", 10)])
def test_one_number_by_hand_for_both_layers(page, layer, side):
    at = open_part(page.run(), "cell")
    at.segmented_control(key="cell_layer").set_value(layer).run()
    assert not at.exception
    prefix = "cell" if layer == "conv1" else "cell2"
    assert at.slider(key=f"{prefix}_row").max == side - 1
    assert any("✔" in m.value for m in at.markdown)
    at.slider(key=f"{prefix}_col").set_value(2).run()
    assert any(f"row {side // 2}, column 2 ✔" in m.value for m in at.markdown)
    assert f"Sliding the kernel: {layer} map 0" in titles(at)


def test_map_markers_say_which_cell_was_clicked():
    values = np.arange(28 * 28, dtype=float).reshape(28, 28)
    fig = network_figures.map_figure(values, "m", picked=(3, 4))
    markers = fig.data[-1]
    index = 3 * 28 + 4
    assert (markers.y[index], markers.x[index]) == (3, 4)
    assert network_figures.cell_of(index, 28) == (3, 4)
    assert fig.layout.hoverdistance == -1  # a click anywhere picks the nearest cell


def test_the_slide_animation_has_a_frame_per_cell_and_plays():
    fig = slide_figure(np.zeros((6, 14, 14)), np.ones((10, 10)), "t")
    spec = json.loads(plotly.io.to_json(fig, validate=False))
    assert [f["name"] for f in spec["frames"]] == [str(k) for k in range(100)]
    kernel = spec["frames"][13]["layout"]["shapes"][0]["path"]
    assert kernel.count("M") == 6 and kernel.startswith("M2.5,0.5H7.5V5.5H2.5Z")  # row 1, column 3
    labels = [b["label"] for b in spec["layout"]["updatemenus"][0]["buttons"]]
    assert labels == ["▶ Slow", "▶ Play", "▶ Fast", "❚❚ Pause"]


@pytest.mark.parametrize(
    "forged",
    [("conv1", True), (["conv1"], 1), ({"a": 1}, 1), ("fc1", 0), ("conv2", 16), ("conv1", -1),
     ("conv1", 1.0), ("conv1", "1"), "conv1", None, ("conv1", 1, 2)],
)  # fmt: skip
def test_a_forged_map_report_opens_nothing_and_raises_nothing(forged, small_mnist):
    from demo.views.inspect.network import valid_cell, valid_map
    from lenet.explain.features import feature_maps
    from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint

    maps = feature_maps(load_checkpoint(DEFAULT_CHECKPOINT)[0], small_mnist.test.images[:1])
    assert valid_map(forged, maps) is None
    assert valid_map(("conv2", 15), maps) == ("conv2", 15)
    values = maps["conv1"][0, 0].numpy()
    assert valid_cell((True, 1), values) is None and valid_cell((27, 27), values) == (27, 27)


@pytest.mark.parametrize(
    "points",
    [[{"customdata": "ab"}], [{"customdata": [-1, -1]}], [{"customdata": [True, 1]}], "x",
     [{"x": "1", "y": 2}], [None], [{"customdata": [3.5, 1]}]],
)  # fmt: skip
def test_a_forged_confusion_click_picks_no_cell(points):
    from demo.figures.inspect_charts import cell_from_points

    assert cell_from_points(points) is None
    assert cell_from_points([{"customdata": [9, 4]}]) == (9, 4)
    assert cell_from_points([{"x": 4.0, "y": 9}]) == (9, 4)
