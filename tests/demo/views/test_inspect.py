"""Looks inside: the single-cell arithmetic, saliency, grids and PNGs, and the Inspect page."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

import demo.training.state
from demo.figures import inside
from demo.views.inspect import page as inspect
from demo.views.inspect import parts as inspect_parts
from lenet.data.preprocess import digit_to_input
from lenet.explain.cells import conv_cell
from lenet.explain.features import feature_maps, saliency
from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint
from lenet.training.metrics import confusion_matrix, predict_logits
from tests.paths import APPS

PAGE = str(APPS / "inspect_page.py")


@pytest.fixture(scope="module")
def shipped():
    return load_checkpoint(DEFAULT_CHECKPOINT)[0]


@pytest.mark.parametrize("channel, row, col", [(0, 0, 0), (3, 14, 9), (5, 27, 27)])
def test_one_cell_by_hand_equals_the_feature_map(shipped, small_mnist, channel, row, col):
    x = small_mnist.test.images[:1]
    cell = conv_cell(shipped, x, "conv1", channel, row, col)
    in_map = feature_maps(shipped, x)["conv1"][0, channel, row, col].item()
    assert cell.value == pytest.approx(in_map, abs=1e-5)
    assert cell.pre_activation == pytest.approx(cell.products.sum() + cell.bias, abs=1e-9)
    assert np.allclose(cell.products, cell.patches * cell.kernels)
    assert np.allclose(cell.patches[0], x[0, 0, row : row + 5, col : col + 5].numpy())


def test_saliency_shape_finiteness_and_no_side_effects(shipped, small_mnist):
    x = small_mnist.test.images[:1]
    heat = saliency(shipped, x, target=int(small_mnist.test.labels[0]))
    assert heat.shape == (32, 32) and torch.isfinite(heat).all() and heat.abs().sum() > 0
    assert all(p.grad is None for p in shipped.parameters())
    other = saliency(shipped, x, target=(int(small_mnist.test.labels[0]) + 1) % 10)
    assert not torch.allclose(heat, other)


def test_confusion_matrix_of_the_full_test_set(shipped, full_mnist):
    logits = predict_logits(shipped, full_mnist.test.images)
    predicted = logits.argmax(1)
    matrix = confusion_matrix(predicted, full_mnist.test.labels)
    assert matrix.sum() == 10_000
    accuracy = (predicted == full_mnist.test.labels).float().mean().item()
    assert matrix.diag().sum().item() / 10_000 == pytest.approx(accuracy)


def test_tiles_keep_every_value_in_its_place():
    maps = np.arange(6 * 4 * 3, dtype=float).reshape(6, 4, 3)
    grid, where = inside.tile(maps, cols=4)
    assert grid.shape == (2 * 5 - 1, 4 * 4 - 1)
    assert np.isnan(grid).sum() == grid.size - maps.size
    for i in range(6):
        r, c = divmod(i, 4)
        assert np.array_equal(grid[r * 5 : r * 5 + 4, c * 4 : c * 4 + 3], maps[i])
        assert (where[r * 5, c * 4] == [i, 0, 0]).all()


def test_grid_png_is_a_picture_of_the_grid():
    maps = np.random.default_rng(0).normal(size=(16, 5, 5))
    png = inside.grid_png(maps, 8, "conv2 feature maps", zoom=10)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width > 8 * 5 * 10 and image.height > 2 * 5 * 10
    pixels = np.asarray(image.convert("RGB"))
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50  # coloured maps, not blank


def test_feature_maps_are_fast_enough_to_follow_every_change(shipped):
    x = digit_to_input(np.zeros((28, 28), dtype=np.float32))
    feature_maps(shipped, x)
    import time

    began = time.perf_counter()
    for _ in range(20):
        feature_maps(shipped, x)
    assert (time.perf_counter() - began) / 20 < 0.1  # generous; the benchmark has the figure


@pytest.fixture
def page(small_mnist, monkeypatch):
    monkeypatch.setattr(demo.training.state, "_verified_mnist", lambda: small_mnist)
    return AppTest.from_file(PAGE, default_timeout=60)


def open_part(at, part: str):
    """The page showing a part, by its link name ("maps")."""
    at.session_state[inspect.PART] = part
    return at.run()


def shown_part(at) -> tuple[str, str]:
    """(question, part) as the two rows of buttons show them."""
    question = at.pills(key="inspect_question").value
    return question, at.pills(key=f"inspect_part_{question}").value


def test_page_for_a_test_digit_shows_the_answer_and_only_the_open_part(page, small_mnist):
    at = page.run()
    assert not at.exception
    assert not at.radio  # no drawing: nothing to choose between, and it says where one comes from
    assert any("Draw a digit on the **Draw** page" in c.value for c in at.caption)
    metric = next(m for m in at.metric if m.label == "Prediction")
    assert metric.value.startswith(str(int(small_mnist.test.labels[0])))
    assert at.pills(key="inspect_question").options == list(inspect.QUESTIONS)
    # every part under one question
    assert len(inspect.QUESTIONS) <= 5 and sorted(sum(inspect.QUESTIONS.values(), ())) == sorted(
        inspect.PARTS
    )
    assert shown_part(at) == ("Follow your digit", "network")
    # the whole network is HTML (and an empty chart that loads the chart code early); the other
    # parts cost nothing until shown
    assert [c.key for c in at.get("plotly_chart")] == ["chart_code_chart"]
    at = open_part(at, "maps")
    assert shown_part(at) == ("Follow your digit", "maps")
    assert at.segmented_control(key="maps_layer").value == "conv1"


@pytest.mark.parametrize("part", list(inspect.PARTS))
def test_every_part_draws_without_error_under_its_question(page, part):
    at = open_part(page.run(), part)
    assert not at.exception
    assert shown_part(at) == (inspect.question_of(part), part)


def test_a_question_opens_on_its_first_part_then_on_the_one_last_shown(page):
    at = page.run()
    at.pills(key="inspect_question").set_value("All the test digits").run()
    assert shown_part(at) == ("All the test digits", "mistakes")
    at.pills(key="inspect_part_All the test digits").set_value("confusion").run()
    at.pills(key="inspect_question").set_value("The filters").run()
    assert shown_part(at) == ("The filters", "filters")
    at.pills(key="inspect_question").set_value("All the test digits").run()
    assert shown_part(at) == ("All the test digits", "confusion")


def test_the_link_names_the_part_shown(page):
    page.query_params["part"] = "embedding"
    at = page.run()
    assert shown_part(at) == ("Why this answer?", "embedding")
    page.query_params["part"] = "nonsense"
    assert shown_part(page.run()) == ("Why this answer?", "embedding")  # kept, not reset


def test_fooling_the_network_turns_the_seven_into_the_digit_chosen(page, small_mnist):
    assert int(small_mnist.test.labels[0]) == 7  # the page's first digit
    at = open_part(page.run(), "fool")
    target = at.selectbox(key="fool_target_7")
    assert target.value == 3 and 7 not in target.options  # its runner-up; never its own answer
    assert any(w.value.startswith("Not fooled at 10%: it reads 7") for w in at.warning) or any(
        s.value.startswith("Fooled") for s in at.success
    )
    target.set_value(8).run()
    at.select_slider(key="fool_strength").set_value(0.3).run()
    assert not at.exception
    assert any(s.value.startswith("Fooled: it now reads **8**") for s in at.success)
    smallest = next(m.value for m in at.markdown if m.value.startswith("**Smallest strength"))
    assert smallest.startswith("**Smallest strength that makes it read 8: 1")  # 10-19%: 12% now
    titles = [h.body for h in at.get("html")]
    assert any("Before: reads 7" in t and "After: reads 8" in t for t in titles)
    assert any("trusting a network" in i.value for i in at.info)
    at.segmented_control(key="fool_method").set_value("FGSM").run()
    assert any("Even at 50% FGSM does not make it read 8" in m.value for m in at.markdown)


def test_the_hand_computation_matches_the_map(page):
    at = open_part(page.run(), "cell")
    assert any("✔" in m.value for m in at.markdown)
    at.slider(key="cell_row").set_value(3).run()
    assert any("✔" in m.value for m in at.markdown) and any("row 3" in m.value for m in at.markdown)


def test_each_layer_of_feature_maps(page):
    at = open_part(page.run(), "maps")
    for layer in inspect_parts.LAYERS:
        at.segmented_control(key="maps_layer").set_value(layer).run()
        assert not at.exception
        assert at.get("download_button")[0].proto.label == f"Download the {layer} maps (PNG)"


def test_page_for_a_drawn_digit(page, small_mnist):
    drawn = small_mnist.test_digits[1] / np.float32(255)
    page.session_state["current_digit"] = (drawn, "your drawing")
    at = page.run()
    assert not at.exception
    assert at.radio(key="inspect_source").value == "drawing"
    assert any("your last drawing" in c.value for c in at.caption)


def test_choosing_a_mistake_makes_it_the_input_and_says_so(page, small_mnist):
    at = open_part(page.run(), "mistakes")
    buttons = [b for b in at.button if b.key and b.key.startswith("mistake_")]
    assert buttons, "the shipped model makes some mistakes on the fixture"
    index = int(buttons[0].key.split("_")[1])
    buttons[0].click().run()
    assert at.session_state["inspect_index"] == index
    assert at.session_state["inspect_source"] == "test" and not at.radio  # no drawing to offer
    label = int(small_mnist.test.labels[index])
    metric = next(m for m in at.metric if m.label == "Prediction")
    assert not metric.value.startswith(str(label))  # it is one the model gets wrong
    # a window over the page names the chosen digit, wherever the user had scrolled
    assert any(f"Test digit #{index}**, labelled **{label}**" in m.value for m in at.markdown)
    chosen = next(b for b in at.button if b.key and b.key == f"mistake_{index}")
    assert chosen.proto.type == "primary"  # and the gallery marks it
    next(b for b in at.button if b.label == "Look inside it").click().run()
    assert shown_part(at) == ("Follow your digit", "maps")
    assert not any("Test digit #" in m.value for m in at.markdown)  # the window has closed


def test_the_mistake_filter(page):
    at = open_part(page.run(), "mistakes")
    at.selectbox(key="filter_true").set_value(9).run()
    shown = [b.label for b in at.button if b.key and b.key.startswith("mistake_")]
    assert shown and all(label.startswith("9 →") for label in shown)
