"""The clickable confusion matrix and the gallery it filters: mistakes of a pair, or the digits
of a class read right; the click itself is checked in Chromium (tests/browser)."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest
import torch
from streamlit.testing.v1 import AppTest

import demo.training.state
from demo.figures import inspect_charts
from demo.figures.inspect_charts import cell_from_points
from demo.views.inspect.mistakes import CELL, CELL_SHOWN, SHOWN, matching
from demo.views.inspect.page import PART
from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint
from lenet.training.metrics import confusion_matrix, predict_logits
from tests.paths import APPS

PAGE = str(APPS / "inspect_page.py")
PROBS = torch.tensor([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.2, 0.8], [0.45, 0.55]])
LABELS = torch.tensor([0, 0, 0, 1, 1])


def test_matching_mistakes_and_digits_read_right():
    assert matching(PROBS, LABELS, 0, 1) == (1, [2])
    assert matching(PROBS, LABELS, "all", "all") == (1, [2])
    assert matching(PROBS, LABELS, 0, 0) == (2, [1, 0])  # read right: least sure first
    assert matching(PROBS, LABELS, 1, 1) == (2, [4, 3])
    assert matching(PROBS, LABELS, 1, 0) == (0, [])


def test_a_clicked_point_names_its_cell():
    assert cell_from_points([]) is None
    assert cell_from_points([{"x": 5, "y": 3, "customdata": [3, 5, 12]}]) == (3, 5)
    assert cell_from_points([{"x": 2, "y": 7}]) == (7, 2)


def test_the_matrix_has_a_clickable_point_on_every_cell_and_frames_the_chosen_one():
    matrix = torch.randint(0, 50, (10, 10)).numpy()
    fig = inspect_charts.confusion_figure(matrix, (4, 9))
    go.Figure(fig.to_dict())  # a valid figure
    clicks = fig.data[1]
    assert clicks.type == "scatter" and len(clicks.x) == 100
    for x, y, (t, p, count) in zip(clicks.x, clicks.y, clicks.customdata, strict=True):
        assert (y, x) == (t, p) and count == matrix[t, p]
    frame = fig.layout.shapes[0]
    assert (frame.x0, frame.x1, frame.y0, frame.y1) == (8.5, 9.5, 3.5, 4.5)
    assert not inspect_charts.confusion_figure(matrix).layout.shapes


@pytest.fixture
def confusion(small_mnist, monkeypatch):
    monkeypatch.setattr(demo.training.state, "_verified_mnist", lambda: small_mnist)
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.session_state[PART] = "confusion"
    return at.run()


def shown(at) -> list[str]:
    return [b.label for b in at.button if b.key and b.key.startswith("mistake_")]


def test_before_a_click_the_matrix_asks_for_one(confusion):
    assert not confusion.exception and not shown(confusion)
    assert any("Click a cell" in i.value for i in confusion.info)


def test_a_clicked_off_diagonal_cell_shows_exactly_its_mistakes(confusion, small_mnist):
    model = load_checkpoint(DEFAULT_CHECKPOINT)[0]
    matrix = confusion_matrix(predict_logits(model, small_mnist.test.images).argmax(1),
                              small_mnist.test.labels).fill_diagonal_(0)  # fmt: skip
    true, guess = divmod(int(matrix.argmax()), 10)  # the most common mistake
    confusion.session_state[CELL] = (true, guess)  # what a click on that cell leaves
    at = confusion.run()
    labels = shown(at)
    assert len(labels) == min(int(matrix[true, guess]), CELL_SHOWN)
    assert all(label.startswith(f"{true} → {guess} ") for label in labels)
    assert any(f"labelled {true} read as {guess}" in m.value for m in at.markdown)


def test_a_clicked_diagonal_cell_shows_digits_read_right(confusion):
    confusion.session_state[CELL] = (3, 3)
    at = confusion.run()
    labels = shown(at)
    assert len(labels) == CELL_SHOWN and all(label.startswith("3 → 3 ") for label in labels)
    assert any("labelled 3 read right" in m.value for m in at.markdown)
    more = next(b for b in at.button if b.label.startswith("All "))
    more.click().run()  # the whole class in the Mistakes tab, filtered the same way
    assert at.session_state[PART] == "mistakes"


def test_the_mistakes_tab_shows_a_class_read_right(confusion):
    at = confusion
    at.session_state[PART] = "mistakes"
    at.run()
    at.selectbox(key="filter_true").set_value(7).run()
    at.selectbox(key="filter_pred").set_value(7).run()
    labels = shown(at)
    assert len(labels) == SHOWN and all(label.startswith("7 → 7 ") for label in labels)
    assert any("read right" in c.value for c in at.caption)
