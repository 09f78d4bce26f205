"""The "doesn't look like a digit" signal (lenet.explain.familiar), its scribbles, and its page
helper."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

import demo.training.state
from lenet.data.preprocess import digit_to_input, mnist_style
from lenet.data.scribbles import SCRIBBLE_KINDS, SIZE, drawn_digits, scribbles
from lenet.explain import familiar
from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint


def inputs(drawings) -> torch.Tensor:
    """Model inputs of canvases, each through the Draw page's preprocessing."""
    digits = [mnist_style(d.canvas) for d in drawings]
    assert all(d is not None for d in digits)
    return digit_to_input(np.stack(digits))


@pytest.fixture(scope="module")
def stats(fixture_model, small_mnist) -> familiar.Familiarity:
    return familiar.fit_familiarity(fixture_model, small_mnist)


def test_scribbles_are_seeded_canvases_of_every_kind():
    first, again, other = scribbles(4, seed=3), scribbles(4, seed=3), scribbles(4, seed=4)
    assert [d.kind for d in first] == [k for k in SCRIBBLE_KINDS for _ in range(4)]
    assert {d.name for d in scribbles(30) if d.kind == "letter"} == set("ABKMWX")
    for d, e in zip(first, again, strict=True):
        assert d.canvas.shape == (SIZE, SIZE, 4) and d.canvas.dtype == np.uint8
        assert np.array_equal(d.canvas, e.canvas)
    assert any(not np.array_equal(d.canvas, e.canvas) for d, e in zip(first, other, strict=True))
    assert [d.name for d in drawn_digits(2)] == [str(n) for n in range(10) for _ in range(2)]
    inputs(first + drawn_digits(2))  # each one is read as a drawing, none is blank


def test_fitted_statistics_have_one_gaussian_per_class_and_layer(stats, small_mnist):
    assert [layer.name for layer in stats.layers] == list(familiar.LAYERS)
    for layer, d in zip(stats.layers, (400, 120, 84), strict=True):
        assert layer.means.shape == (10, d) and layer.whiten.shape == (d, d)
        assert layer.limit > 0
    assert stats.fit_size == min(familiar.FIT_SIZE, len(small_mnist.train))
    assert len(stats.calibration) == len(small_mnist.val)
    assert torch.all(stats.calibration[1:] >= stats.calibration[:-1])


def test_distance_is_the_mahalanobis_distance_to_the_nearest_class_mean():
    gen = torch.Generator().manual_seed(0)
    labels = torch.arange(3).repeat(400)
    mixing = torch.randn(5, 5, generator=gen, dtype=torch.float64)
    centres = torch.randn(3, 5, generator=gen, dtype=torch.float64) * 4
    features = centres[labels] + torch.randn(1200, 5, generator=gen, dtype=torch.float64) @ mixing
    layer = familiar.fit_layer("x", features, labels)
    means = torch.stack([features[labels == c].mean(0) for c in range(3)])
    centred = features - means[labels]
    covariance = centred.T @ centred / len(features)
    ridge = familiar.RIDGE * torch.trace(covariance) / 5  # the small ridge the fit adds
    precision = torch.linalg.inv(covariance + ridge * torch.eye(5, dtype=torch.float64))
    points = torch.randn(7, 5, generator=gen, dtype=torch.float64) * 3
    gaps = points[:, None, :] - means[None]
    expected = torch.einsum("nkd,de,nke->nk", gaps, precision, gaps).min(1).values.sqrt()
    torch.testing.assert_close(
        familiar.nearest_distance(layer, points), expected, rtol=1e-9, atol=1e-9
    )


def test_threshold_flags_about_one_in_a_hundred_held_out_digits(stats, fixture_model, small_mnist):
    val_share = float((stats.calibration > stats.threshold).double().mean())
    assert val_share <= familiar.FLAG_RATE + 1 / len(stats.calibration)
    assert familiar.flagged_share(fixture_model, stats, small_mnist.test.images) <= 0.03


def test_scribbles_are_flagged_far_more_often_than_drawn_digits(stats, fixture_model):
    # the fixture model (ReLU, 5,000 digits, 3 epochs) is a weak detector; the slow test
    # below holds the shipped model to the targets
    scribbled = familiar.flagged_share(fixture_model, stats, inputs(scribbles(20, seed=1)))
    drawn = familiar.flagged_share(fixture_model, stats, inputs(drawn_digits(5, seed=1)))
    assert scribbled >= 0.15
    assert drawn <= 0.1


def test_readings_carry_score_threshold_and_percentile(stats, fixture_model, small_mnist):
    x = torch.cat([small_mnist.test.images[:3], inputs(scribbles(1, seed=2))])
    readings = familiar.read(fixture_model, stats, x)
    values = familiar.scores(fixture_model, stats, x)
    assert [r.score for r in readings] == pytest.approx(values.tolist())
    for r in readings:
        assert r.threshold == stats.threshold
        assert 0.0 <= r.percentile <= 1.0
        assert r.unfamiliar == (r.score > r.threshold)
    ranked = sorted(readings, key=lambda r: r.score)
    assert [r.percentile for r in ranked] == sorted(r.percentile for r in ranked)


def test_the_message_says_what_it_means_and_the_numbers_are_one_click_away():
    assert familiar.UNFAMILIAR.startswith("This doesn't look much like any digit the network")
    text = familiar.details(familiar.Reading(score=2.5, threshold=1.04, percentile=0.9996))
    assert "99.9% of real MNIST digits" in text and "2.50" in text and "1.04" in text
    text = familiar.details(familiar.Reading(score=9.0, threshold=1.04, percentile=1.0))
    assert "any real MNIST digit" in text


def test_fitting_leaves_the_model_untouched_and_is_repeatable(fixture_model, small_mnist):
    before = {k: v.clone() for k, v in fixture_model.state_dict().items()}
    grads = [None if p.grad is None else p.grad.clone() for p in fixture_model.parameters()]
    fixture_model.train()
    try:
        first = familiar.fit_familiarity(fixture_model, small_mnist, fit_size=2000)
        assert fixture_model.training
    finally:
        fixture_model.eval()
    again = familiar.fit_familiarity(fixture_model, small_mnist, fit_size=2000)
    assert first.threshold == again.threshold and first.fit_size == 2000
    for k, v in fixture_model.state_dict().items():
        assert torch.equal(v, before[k])
    for p, grad in zip(fixture_model.parameters(), grads, strict=True):
        assert (p.grad is None and grad is None) or torch.equal(p.grad, grad)


def familiarity_page(blob: bool) -> None:
    """A page that shows the signal for one input with the shipped model (AppTest script)."""
    import numpy as np

    from demo.models import choices as models
    from demo.models import familiar as page_familiar
    from lenet.data.preprocess import digit_to_input, mnist_style
    from lenet.data.scribbles import SIZE, drawn_digits, scribbles

    drawing = scribbles(1, seed=5)[2] if blob else drawn_digits(1, seed=5)[7]
    assert drawing.canvas.shape == (SIZE, SIZE, 4)
    model = models.model_file(models.DEFAULT_CHECKPOINT)[0]
    x = digit_to_input(mnist_style(np.asarray(drawing.canvas)))
    page_familiar.show_familiarity(models.SHIPPED, model, x)


@pytest.mark.parametrize("blob", [True, False])
def test_the_page_warns_for_a_blob_and_stays_quiet_for_a_digit(blob, small_mnist, monkeypatch):
    monkeypatch.setattr(demo.training.state, "_verified_mnist", lambda: small_mnist)
    at = AppTest.from_function(familiarity_page, kwargs={"blob": blob}, default_timeout=60).run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    if blob:
        assert len(warnings) == 1 and "doesn't look much like any digit" in warnings[0]
    else:
        assert not warnings
        assert any("Looks like a digit." in c.value for c in at.caption)


def test_live_models_are_fitted_once_per_weights(fixture_model, small_mnist, monkeypatch):
    from demo.models import familiar as page_familiar

    monkeypatch.setattr(demo.training.state, "_verified_mnist", lambda: small_mnist)
    monkeypatch.setattr(page_familiar, "mnist", lambda: small_mnist)
    fits = []
    real_fit = page_familiar.fit_familiarity
    monkeypatch.setattr(
        page_familiar, "fit_familiarity", lambda m, d: fits.append(m) or real_fit(m, d)
    )
    state: dict = {}
    monkeypatch.setattr(page_familiar.st, "session_state", state)
    first = page_familiar.familiarity("live:1", fixture_model)
    assert page_familiar.familiarity("live:1", fixture_model) is first
    copy = load_checkpoint(DEFAULT_CHECKPOINT)[0]  # new weights arrive as a new object
    assert page_familiar.familiarity("live:1", copy) is not first
    assert len(fits) == 2


@pytest.mark.slow
def test_shipped_model_flags_scribbles_but_not_mnist(full_mnist):
    model, _ = load_checkpoint(DEFAULT_CHECKPOINT)
    stats = familiar.fit_familiarity(model, full_mnist)
    assert familiar.flagged_share(model, stats, full_mnist.test.images) <= 0.02
    # seed 1: not the seed the layers were chosen on
    assert familiar.flagged_share(model, stats, inputs(scribbles(100, seed=1))) >= 0.80
    assert familiar.flagged_share(model, stats, inputs(drawn_digits(10, seed=1))) <= 0.05


def weak_model_page() -> None:
    import numpy as np

    from demo.models import familiar as page_familiar
    from lenet.data.preprocess import digit_to_input
    from lenet.model import LeNet5

    page_familiar.show_familiarity(
        "live:untrained", LeNet5().eval(), digit_to_input(np.zeros((28, 28)))
    )


def test_an_untrained_model_gets_no_verdict_only_the_reason(small_mnist, monkeypatch):
    monkeypatch.setattr(demo.training.state, "_verified_mnist", lambda: small_mnist)
    at = AppTest.from_function(weak_model_page, default_timeout=60).run()
    assert not at.exception and not at.warning
    assert any("No 'is it a digit?' check for this model" in c.value for c in at.caption)
    assert not any("Looks like a digit" in c.value for c in at.caption)


def test_a_nan_score_counts_as_unfamiliar():
    from lenet.explain.familiar import Reading

    assert Reading(float("nan"), 1.0, 0.5).unfamiliar
    assert not Reading(0.5, 1.0, 0.5).unfamiliar and Reading(1.5, 1.0, 0.99).unfamiliar


def test_a_step_of_a_timeline_is_not_fitted():
    """Scrubbing Draw's "At step" must not cost a 1.3 s fit at every new step (student review)."""
    from streamlit.testing.v1 import AppTest

    def page():
        from demo.models.familiar import show_familiarity

        show_familiarity("run:1@40", None, None)  # would fail if it fitted anything

    at = AppTest.from_function(page).run()
    assert not at.exception
    assert at.caption[0].value.startswith("No 'is it a digit?' check at this moment")
