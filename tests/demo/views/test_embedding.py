"""The fc2 embedding: a point per digit, the same with the same seed, new digits placed among
their neighbours; its figure; and the Inspect page's embedding tab."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

import demo.preload
import demo.training.state
from demo.figures import embedding_chart
from demo.models import choices as models
from demo.views.inspect import attributions as inspect_attributions
from demo.views.inspect import dreams as inspect_dreams
from demo.views.inspect import embedding as inspect_embedding
from demo.views.inspect.page import PART
from lenet.explain.embedding import (
    Embedding,
    EmbeddingError,
    balanced_sample,
    embed,
    fc2_features,
    place,
    tsne_2d,
)
from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint
from tests.paths import APPS

PAGE = str(APPS / "inspect_page.py")


@pytest.fixture(scope="module")
def shipped():
    return load_checkpoint(DEFAULT_CHECKPOINT)[0]


@pytest.fixture(scope="module")
def small_embedding(shipped, small_mnist) -> Embedding:
    return embed(shipped, small_mnist.test.images, small_mnist.test.labels, count=300)


def test_the_sample_is_seeded_and_balanced_between_classes():
    labels = np.random.default_rng(0).integers(0, 10, 5000)
    chosen = balanced_sample(labels, 2000, seed=3)
    assert len(chosen) == 2000 and len(np.unique(chosen)) == 2000
    assert np.all(np.diff(chosen) > 0)
    assert np.bincount(labels[chosen]).tolist() == [200] * 10
    assert np.array_equal(chosen, balanced_sample(labels, 2000, seed=3))
    assert not np.array_equal(chosen, balanced_sample(labels, 2000, seed=4))


def test_a_point_per_digit(small_embedding, small_mnist):
    e = small_embedding
    assert e.positions.shape == (len(e.indices), 2) == (300, 2)
    assert e.features.shape == (300, 84) and np.isfinite(e.positions).all()
    assert np.array_equal(e.labels, small_mnist.test.labels.numpy()[e.indices])
    assert len(np.unique(e.positions, axis=0)) == 300  # no two digits on one spot


def test_the_same_seed_gives_the_same_embedding(shipped, small_mnist, small_embedding):
    again = embed(shipped, small_mnist.test.images, small_mnist.test.labels, count=300)
    assert np.array_equal(again.indices, small_embedding.indices)
    assert np.array_equal(again.positions, small_embedding.positions)
    other = embed(shipped, small_mnist.test.images, small_mnist.test.labels, count=300, seed=1)
    assert not np.array_equal(other.indices, small_embedding.indices)


def test_classes_form_neighbourhoods(small_embedding):
    e = small_embedding
    distances = np.linalg.norm(e.positions[:, None] - e.positions[None], axis=2)
    np.fill_diagonal(distances, np.inf)
    nearest = distances.argmin(1)
    assert (e.labels[nearest] == e.labels).mean() > 0.85  # the shipped model is ~99% right


def test_a_digit_of_the_embedding_is_placed_on_its_own_point(small_embedding):
    e = small_embedding
    assert np.array_equal(place(e, e.features[7]), e.positions[7])


def test_a_new_digit_goes_to_the_weighted_mean_of_its_nearest_neighbours():
    features = np.array([[0, 0], [1, 0], [0, 3], [10, 10]], np.float32)
    positions = np.array([[0, 0], [4, 0], [0, 8], [100, 100]], np.float32)
    e = Embedding(np.arange(4), np.zeros(4, np.int64), features, positions)
    new = np.array([0.5, 0], np.float32)  # 0.5 from the first two, ~3.04 from the third
    weights = 1 / np.array([0.5, 0.5, np.hypot(0.5, 3)])
    expected = (weights[:, None] * positions[:3]).sum(0) / weights.sum()
    assert np.allclose(place(e, new, k=3), expected)
    assert np.allclose(place(e, new, k=2), [2, 0])  # halfway between its two equal neighbours


def test_a_test_digit_outside_the_sample_lands_among_its_own_class(shipped, small_mnist):
    e = embed(shipped, small_mnist.test.images, small_mnist.test.labels, count=300)
    outside = np.setdiff1d(np.arange(len(small_mnist.test)), e.indices)[:40]
    hits = 0
    for index in outside:
        star = place(e, fc2_features(shipped, small_mnist.test.images[index : index + 1])[0])
        nearest = np.linalg.norm(e.positions - star, axis=1).argmin()
        hits += int(e.labels[nearest] == small_mnist.test.labels[index])
    assert hits >= 34  # most new digits land in their own class's cluster


@pytest.mark.parametrize("fill", [0.0, 1e-30, float("nan"), float("inf")])
def test_features_it_cannot_lay_out_are_refused_in_one_line(fill):
    # scikit-learn's PCA start divides by the features' spread and then crashes the whole
    # process (a segfault, found by the attacker review) on features all alike: never call it
    features = np.full((300, 84), fill, np.float32)
    with pytest.raises(EmbeddingError) as error:
        tsne_2d(features)
    assert "\n" not in str(error.value) and "nothing to lay out" in str(error.value)


def test_a_dead_network_gets_no_embedding(shipped, small_mnist):
    import copy

    import torch

    dead = copy.deepcopy(shipped)
    with torch.no_grad():
        for parameter in dead.parameters():
            parameter.zero_()
    with pytest.raises(EmbeddingError, match="same 84 fc2 features"):
        embed(dead, small_mnist.test.images, small_mnist.test.labels, count=300)


def test_the_figure_has_a_trace_per_class_and_the_marked_digit():
    positions = np.random.default_rng(0).normal(size=(50, 2))
    labels = np.arange(50) % 10
    details = np.column_stack([np.arange(50) * 3, labels])
    fig = embedding_chart.embedding_figure(positions, labels, details, np.zeros(2), "★ this")
    go.Figure(fig.to_dict())  # a valid figure
    assert [t.name for t in fig.data if t.showlegend is not False] == [*"0123456789", "★ this"]
    assert fig.data[10].mode == "text" and len(fig.data[10].text) == 10  # the class names
    assert fig.data[-1].marker.symbol == "star"  # drawn last: on top
    assert sum(len(t.x) for t in fig.data[:10]) == 50
    assert fig.data[3].customdata[0][0] == 9  # test index 9 is label 3's first point
    assert len(set(embedding_chart.CLASS_COLOURS)) == 10


@pytest.fixture
def page(small_mnist, monkeypatch):
    monkeypatch.setattr(demo.training.state, "_verified_mnist", lambda: small_mnist)
    return AppTest.from_file(PAGE, default_timeout=120)


def test_the_embedding_tab_marks_the_digit_and_shows_a_clicked_point(page, small_mnist):
    at = page.run()
    at.session_state[PART] = "embedding"
    at.run()
    assert not at.exception
    assert any("★ is test digit #0" in c.value for c in at.caption)
    assert any("Click a point" in i.value for i in at.info)
    at.session_state["embedding_point"] = 5  # what a click on test digit #5 leaves
    at.run()
    label = int(small_mnist.test.labels[5])
    assert any(f"Test digit **#5**, labelled **{label}**" in m.value for m in at.markdown)
    at.button(key="embedding_inspect").click().run()
    assert at.session_state["inspect_index"] == 5 and not at.exception
    assert any("★ is test digit #5" in c.value for c in at.caption)


def test_the_shipped_model_is_ready_before_the_first_student_asks(small_mnist, monkeypatch):
    inspect_embedding._embedding.clear()
    demo.preload.warm_shipped(small_mnist)  # what the server's warm-up thread does
    model, _ = models.model_file(DEFAULT_CHECKPOINT)
    warm = inspect_embedding.embedding(models.SHIPPED, model, small_mnist)
    probabilities = models.test_probabilities(models.SHIPPED, model, small_mnist)

    def again(*args, **kwargs):
        raise AssertionError("computed again")

    monkeypatch.setattr(inspect_embedding, "embed", again)
    monkeypatch.setattr("demo.models.choices.predict_logits", again)
    assert inspect_embedding.embedding(models.SHIPPED, model, small_mnist) is warm
    assert models.test_probabilities(models.SHIPPED, model, small_mnist) is probabilities
    assert probabilities.shape == (len(small_mnist.test), 10)
    result, predicted = warm
    assert len(predicted) == len(result.indices) and (predicted == result.labels).mean() > 0.9
    shared = [*vars(result).values(), predicted]  # one copy for every session: read-only
    assert not any(array.flags.writeable for array in shared)


@pytest.mark.parametrize(
    "wait", [inspect_embedding.WAIT, inspect_dreams.WAIT, inspect_attributions.WAIT]
)
def test_the_waits_are_said_in_plain_words(wait):
    textstat = pytest.importorskip("textstat")
    assert wait.endswith("...") and "(" in wait  # what is happening, and for about how long
    assert textstat.flesch_kincaid_grade(wait) <= 10
