"""The Inspect page's "Edit a filter" tab, in AppTest: edits change the edited copy's answer and
accuracy (never the model's), Restore undoes them all, and edits stay with their model."""

from __future__ import annotations

import shutil

import pytest
import torch
from streamlit.testing.v1 import AppTest

import demo.training.state
from demo.views.inspect.edit import KEPT, _keys
from demo.views.inspect.page import PART
from lenet.files.checkpoint import DEFAULT_CHECKPOINT
from tests.paths import APPS

PAGE = str(APPS / "inspect_page.py")


@pytest.fixture
def page(small_mnist, monkeypatch, tmp_path):
    monkeypatch.setattr(demo.training.state, "_verified_mnist", lambda: small_mnist)
    shutil.copy(DEFAULT_CHECKPOINT, tmp_path / "other.pt")  # a second model to switch to
    monkeypatch.setenv("LENET_CHECKPOINT_DIR", str(tmp_path))
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state[PART] = "edit"
    return at.run()


def metric(at, label: str) -> str:
    return next(m for m in at.metric if m.label == label).value


def restore_button(at):
    return next(b for b in at.button if b.label == "Restore the original")


def knock_out_conv1(at, channels, model_key: str = "shipped"):
    for c in channels:
        at.selectbox(key=_keys(model_key)[c]).set_value("zero")
    return at.run()


def test_the_tab_starts_with_the_original_on_both_sides(page, small_mnist):
    assert not page.exception
    assert metric(page, "Prediction, edited") == metric(page, "Prediction, original")
    assert metric(page, "Test accuracy, edited") == metric(page, "Test accuracy, original")
    assert metric(page, "Prediction, original").startswith(str(int(small_mnist.test.labels[0])))
    assert restore_button(page).disabled
    assert all(s.help for s in page.selectbox if s.key and s.key.startswith("edit_"))
    assert page.multiselect(key=_keys("shipped")[6]).help
    assert restore_button(page).help


def test_knocking_out_conv1_maps_changes_the_copy_and_restore_undoes_it(page):
    original = [metric(page, f"{what}, original") for what in ("Prediction", "Test accuracy")]
    at = knock_out_conv1(page, [0, 1, 2])
    assert not at.exception
    assert metric(at, "Prediction, original") == original[0]
    assert metric(at, "Test accuracy, original") == original[1]
    assert metric(at, "Prediction, edited")[0] != original[0][0]  # digit #0 is read otherwise
    edited = float(metric(at, "Test accuracy, edited").rstrip("%"))
    assert edited < float(original[1].rstrip("%")) - 20
    delta = next(m for m in at.metric if m.label == "Test accuracy, edited").delta
    assert delta.startswith("-") and delta.endswith("points")
    assert any("Edited conv1 maps: 0 (knocked out), 1" in c.value for c in at.caption)
    restore_button(at).click().run()
    assert metric(at, "Prediction, edited") == original[0]
    assert metric(at, "Test accuracy, edited") == original[1]
    assert at.selectbox(key=_keys("shipped")[0]).value == "learned"
    assert at.session_state[KEPT]["shipped"] == ()
    assert restore_button(at).disabled


def test_an_edge_detector_and_a_conv2_knock_out_together(page):
    page.selectbox(key=_keys("shipped")[1]).set_value("sobel_x")
    at = page.multiselect(key=_keys("shipped")[6]).set_value([3, 12]).run()
    assert not at.exception
    assert [(e.layer, e.channel, e.change) for e in at.session_state[KEPT]["shipped"]] == [
        ("conv1", 1, "sobel_x"),
        ("conv2", 3, "zero"),
        ("conv2", 12, "zero"),
    ]
    assert metric(at, "Test accuracy, edited") != metric(at, "Test accuracy, original")
    at.segmented_control(key="edit_maps_layer").set_value("conv2").run()
    assert any("Edited conv2 maps: 3 (knocked out), 12" in c.value for c in at.caption)
    assert not restore_button(at).disabled


def test_the_model_itself_is_never_edited(page):
    from demo.models import choices as models

    model = models.model_file(DEFAULT_CHECKPOINT)[0]
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    knock_out_conv1(page, range(6))
    for name, value in model.state_dict().items():
        assert torch.equal(value, weights[name]), name
    assert all(p.grad is None for p in model.parameters())


def test_edits_stay_with_their_model(page):
    at = knock_out_conv1(page, [2])
    at.session_state[PART] = "maps"  # away: the edit widgets are dropped
    at.run()
    at.session_state[PART] = "edit"
    at.run()
    assert at.selectbox(key=_keys("shipped")[2]).value == "zero"
    at.selectbox(key="model_choice").set_value("file:other.pt").run()
    assert not at.exception
    assert at.selectbox(key=_keys("file:other.pt")[2]).value == "learned"
    assert metric(at, "Test accuracy, edited") == metric(at, "Test accuracy, original")
    at.selectbox(key="model_choice").set_value("shipped").run()
    assert at.selectbox(key=_keys("shipped")[2]).value == "zero"
    assert metric(at, "Test accuracy, edited") != metric(at, "Test accuracy, original")
