"""The Inspect page's "Pixels that mattered" and "What filters look for" parts (AppTest)."""

from __future__ import annotations

import json

from demo.views.inspect import attributions as inspect_attributions
from demo.views.inspect import dreams as inspect_dreams
from demo.views.inspect.page import PART
from lenet.explain.attributions import METHODS
from lenet.explain.dreams import DreamConfig
from tests.demo.views import test_inspect

page = test_inspect.page  # the Inspect page on the fixture (a pytest fixture, shared)


def open_part(at, part: str):
    """The page showing a part, by its link name."""
    at.session_state[PART] = part
    return at.run()


def chart_titles(at) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def test_four_attribution_pictures_each_with_its_sentence(page, small_mnist):
    at = open_part(page.run(), "pixels")
    assert not at.exception
    assert chart_titles(at) == list(METHODS)
    label = int(small_mnist.test.labels[0])  # the shipped model reads it right
    control = next(g for g in at.get("button_group") if g.key == f"attributions_class_{label}")
    assert control.proto.help and control.value == label
    sentences = [c.value for c in at.caption if f"score of {label}" in c.value]
    assert len(sentences) == 4
    assert any("add up to" in s for s in sentences) and any(
        "never negative" in s for s in sentences
    )


def test_another_class_redraws_for_it(page, small_mnist):
    at = open_part(page.run(), "pixels")
    other = (int(small_mnist.test.labels[0]) + 1) % 10
    at.session_state[f"attributions_class_{int(small_mnist.test.labels[0])}"] = other
    at.run()
    assert not at.exception
    assert len([c for c in at.caption if f"score of {other}" in c.value]) == 4


def test_what_filters_want_shows_two_grids_and_how_they_were_made(page, monkeypatch):
    quick = DreamConfig(steps=5)
    monkeypatch.setattr(inspect_dreams, "DreamConfig", lambda: quick)
    monkeypatch.setattr("lenet.explain.dreams.DreamConfig", lambda: quick)
    at = open_part(page.run(), "wants")
    assert not at.exception
    assert chart_titles(at) == [
        "conv1: what each of its 6 filters (ch) wants",
        "conv2: what each of its 16 filters (ch) wants",
    ]
    assert any("gradient ascent" in c.value and "seed 0" in c.value for c in at.caption)


def test_the_sentences_name_every_method():
    assert set(inspect_attributions.SENTENCES) == set(METHODS)
