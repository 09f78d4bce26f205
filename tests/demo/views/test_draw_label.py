"""The Draw page's "This is a 3: add it to the class's digits" (issue 27, point 1), through
AppTest with the fake canvas: the student's label is kept (never the reading), with the digit as
MNIST holds it; bad additions get one line; a student removes only their own."""

from __future__ import annotations

import numpy as np
import pytest

import demo.session.store_state
from lenet.data.preprocess import mnist_style
from lenet.store.runs import open_store
from tests.demo.views import test_draw_page
from tests.demo.views.test_draw_page import LABELS, canvas_image, prediction

page = test_draw_page.page  # the Draw page with the fake canvas


@pytest.fixture
def store_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'class.db'}"
    monkeypatch.setenv("LENET_DATABASE_URL", url)
    demo.session.store_state.server_store.clear()
    yield url
    demo.session.store_state.server_store.clear()


def kept(url: str):
    store = open_store(url)
    try:
        return store.digit_set(), store.class_digits()
    finally:
        store.close()


def add(at, label):
    if label is not None:
        at.selectbox(key="class_label").set_value(label)
    return at.button(key="class_add").click().run()


def notice(at) -> str:
    return " ".join([s.value for s in at.success] + [e.value for e in at.error])


def test_the_students_label_is_kept_not_the_networks_reading(page, store_url):
    page.canvas.image = canvas_image(0)  # MNIST's first test digit, a 7, redrawn
    at = page.run()
    assert LABELS[0] == 7 and prediction(at).startswith("7")
    at = add(at, 1)  # the student says it is a 1: their word counts
    assert not at.exception
    assert "Added your 1 to the class's digits under" in notice(at)
    digits, rows = kept(store_url)
    assert digits.labels.tolist() == [1] and rows[0].name == at.session_state["nickname"]
    expected = (mnist_style(canvas_image(0)) * 255).round().astype(np.uint8)
    assert np.array_equal(digits.images[0], expected)  # as the page made it, before any probe
    assert at.selectbox(key="class_label").value is None  # ready for the next one
    assert prediction(at) == "–"  # the box was cleared
    expander = next(e for e in at.expander if e.label.startswith("Your digits"))
    assert expander.label == "Your digits in the class's set (1)"


@pytest.mark.parametrize(
    ("setup", "label", "said"),
    [
        ("empty", 3, "Draw a digit in the box first, then add it."),
        ("drawn", None, "Choose which digit you meant first"),
        ("test digit", 3, "Draw a digit in the box first: test digits are MNIST's"),
    ],
)
def test_what_cannot_be_added_says_so_in_one_line(page, store_url, setup, label, said):
    if setup == "drawn":
        page.canvas.image = canvas_image(1)
    at = page.run()
    if setup == "test digit":
        next(b for b in at.button if b.label == "Random test digit").click().run()
    at = add(at, label)
    assert not at.exception and said in notice(at)
    assert kept(store_url)[1] == []


def test_a_student_removes_their_own_digits(page, store_url):
    store = open_store(store_url)
    other = store.add_digit("Someone", 4, mnist_style(canvas_image(2)))
    store.close()
    page.canvas.image = canvas_image(0)
    at = add(page.run(), 7)
    mine = kept(store_url)[1][0].id
    assert mine != other
    at.multiselect(key="class_remove").set_value([mine])
    at = at.button(key="class_remove_button").click().run()
    assert "Removed 1 of your digits" in notice(at)
    assert [r.id for r in kept(store_url)[1]] == [other]  # another student's stays
    assert not any(e.label.startswith("Your digits") for e in at.expander)
