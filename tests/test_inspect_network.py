"""The Whole network and One number by hand tabs (AppTest), and their figures."""

from __future__ import annotations

import json

import numpy as np
import plotly.io
import pytest

from demo import network_figures
from demo.slide_figure import slide_figure
from tests import test_inspect
from tests.test_inspect import open_part

page = test_inspect.page  # the Inspect page on the fixture (a pytest fixture, shared)


def specs(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def titles(at) -> list[str]:
    return [spec["layout"].get("title", {}).get("text", "") for spec in specs(at)]


def test_whole_network_shows_every_stage_small(page):
    at = open_part(page.run(), "Whole network")
    assert not at.exception
    shown = titles(at)
    for stage in ["input", "conv1 · 6", "pool1 · 6", "conv2 · 16", "pool2 · 16", "fc1 · 120"]:
        assert stage in shown
    assert "fc2 · 84" in shown and "softmax" in shown
    assert any("Click any map" in i.value for i in at.info)


def test_an_opened_conv2_map_shows_its_six_feeding_maps_and_a_picked_cell(page):
    at = page.run()
    at.session_state["net_map"] = ("conv2", 5)
    at = open_part(at, "Whole network")
    assert not at.exception
    shown = titles(at)
    assert "conv2 map 5: click a cell" in shown
    assert (
        "fed by: the six pool1 maps" in shown and "weighted by: its six 5x5 kernel slices" in shown
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
    at = open_part(at, "Whole network")
    assert not at.exception and "fed by: conv1 map 2" in titles(at)


@pytest.mark.parametrize("layer, side", [("conv1", 28), ("conv2", 10)])
def test_one_number_by_hand_for_both_layers(page, layer, side):
    at = open_part(page.run(), "One number by hand")
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
