"""The Draw page through AppTest, with the canvas replaced by a fake that returns a drawing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import demo.canvas
import demo.state
from lenet.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint, save_checkpoint
from lenet.data import read_idx
from lenet.predict import classify, probabilities
from lenet.preprocess import digit_to_input
from tests.conftest import FIXTURE_DIR
from tests.test_preprocess import place

PAGE = str(Path(__file__).parent / "apps" / "draw_page.py")
DIGITS = read_idx(FIXTURE_DIR / "t10k-images-idx3-ubyte.gz")
LABELS = read_idx(FIXTURE_DIR / "t10k-labels-idx1-ubyte.gz")


def canvas_image(index: int, size: int = 220, top: int = 30, left: int = 30) -> np.ndarray:
    """What the canvas returns: RGBA, white ink on black, the test digit redrawn."""
    gray = place(DIGITS[index], size, top, left)
    return np.stack([gray, gray, gray, np.full_like(gray, 255)], axis=-1)


@pytest.fixture
def page(small_mnist, monkeypatch, tmp_path):
    drawing = {"image": None}
    monkeypatch.setattr(demo.canvas, "draw_canvas", lambda stroke, key: drawing["image"])
    monkeypatch.setattr(demo.state, "_verified_mnist", lambda: small_mnist)
    monkeypatch.setenv("LENET_CHECKPOINT_DIR", str(tmp_path))
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.drawing = drawing
    return at


def prediction(at: AppTest) -> str:
    return next(m for m in at.metric if m.label == "Prediction").value


def test_an_empty_canvas_shows_a_dash_and_a_hint(page):
    at = page.run()
    assert not at.exception
    assert prediction(at) == "–"
    assert any("Draw a digit" in i.value for i in at.info)


def test_a_drawn_digit_is_read_with_its_probabilities(page):
    page.drawing["image"] = canvas_image(0)  # MNIST's first test digit, a 7
    at = page.run()
    assert not at.exception
    assert prediction(at).startswith("7 (")
    charts = [c for c in at.get("plotly_chart")]
    assert len(charts) >= 3  # probabilities, 28x28, 32x32
    shown, source = at.session_state["current_digit"]
    assert shown.shape == (28, 28) and source == "your drawing"


@pytest.mark.parametrize("size, top, left", [(60, 5, 10), (70, 200, 200), (250, 15, 15)])
def test_small_corner_and_large_drawings_are_read_right(page, size, top, left):
    for index in range(5):
        page.drawing["image"] = canvas_image(index, size, top, left)
        at = page.run()
        assert prediction(at).startswith(f"{LABELS[index]}"), (index, size, top, left)


def test_an_unsure_reading_is_marked(page):
    model, _ = load_checkpoint(DEFAULT_CHECKPOINT)
    unsure = next(
        i for i in range(len(DIGITS)) if classify(model, canvas_image(i)).confidence < 0.8
    )
    page.drawing["image"] = canvas_image(unsure)
    at = page.run()
    at.slider(key="threshold").set_value(0.9).run()
    assert "not sure" in prediction(at) and "?" in prediction(at)
    assert any("Not sure" in w.value for w in at.warning)


def test_probes_change_what_the_network_sees(page):
    page.drawing["image"] = canvas_image(0)
    at = page.run()
    before, _ = at.session_state["current_digit"]
    at.slider(key="probe_rotate").set_value(45).run()
    after, _ = at.session_state["current_digit"]
    assert not np.allclose(before, after)
    assert len([c for c in at.caption if "°:" in c.value]) == 7  # the rotation sweep


def test_test_digits_and_mistakes_become_the_input(page):
    at = page.run()
    next(b for b in at.button if b.label == "Random test digit").click().run()
    _, source = at.session_state["current_digit"]
    assert source.startswith("test image #")
    next(b for b in at.button if b.label == "One it gets wrong").click().run()
    index = at.session_state["test_index"]
    model, _ = load_checkpoint(DEFAULT_CHECKPOINT)
    assert not prediction(at).startswith(str(LABELS[index]))  # it really is a mistake
    read = probabilities(model, digit_to_input(DIGITS[index] / np.float32(255))).argmax()
    assert int(read) != LABELS[index]


def test_model_chooser_lists_saved_checkpoints(page, tmp_path, fixture_model):
    save_checkpoint(tmp_path / "my_net.pt", fixture_model)
    page.drawing["image"] = canvas_image(0)
    at = page.run()
    chooser = at.selectbox(key="model_choice")
    assert chooser.options[0].startswith("Shipped model") and "Saved: my_net" in chooser.options
    chooser.set_value("file:my_net.pt").run()
    assert not at.exception and prediction(at).startswith("7")


def test_a_bad_upload_is_refused_and_the_page_keeps_working(page, tmp_path):
    page.drawing["image"] = canvas_image(0)
    at = page.run()
    at.file_uploader(key="checkpoint_upload").set_value(
        ("notes.pt", b"these are my lecture notes", "application/octet-stream")
    ).run()
    assert not at.exception
    assert any("notes.pt: not a readable PyTorch checkpoint" in e.value for e in at.error)
    assert at.selectbox(key="model_choice").value == "shipped"
    assert prediction(at).startswith("7")


def test_a_good_upload_becomes_the_model(page, tmp_path, fixture_model):
    path = save_checkpoint(tmp_path / "mine.pt", fixture_model)
    at = page.run()
    at.file_uploader(key="checkpoint_upload").set_value(
        ("mine.pt", path.read_bytes(), "application/octet-stream")
    ).run()
    assert not at.exception
    assert at.selectbox(key="model_choice").value == "uploaded"


def test_uploads_of_another_architecture_or_with_code_are_refused(page, tmp_path):
    import torch

    from lenet import checkpoint
    from lenet.model import LeNet5
    from tests.test_checkpoint import Payload

    other = checkpoint.checkpoint_payload(LeNet5())
    other["state_dict"] = torch.nn.Linear(784, 10).state_dict()
    torch.save(other, tmp_path / "mlp.pt")
    marker = tmp_path / "pwned"
    torch.save({"format_version": 1, "state_dict": Payload(str(marker))}, tmp_path / "evil.pt")
    page.drawing["image"] = canvas_image(0)
    at = page.run()
    for name, fragment in (("mlp.pt", "weights do not fit LeNet-5"), ("evil.pt", "it was not run")):
        at.file_uploader(key="checkpoint_upload").set_value(
            (name, (tmp_path / name).read_bytes(), "application/octet-stream")
        ).run()
        assert not at.exception
        assert any(name in e.value and fragment in e.value for e in at.error)
        assert at.selectbox(key="model_choice").value == "shipped"
        assert prediction(at).startswith("7")
    assert not marker.exists()
