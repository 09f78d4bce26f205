"""The Draw page through AppTest, with the canvas replaced by a fake that returns a drawing."""

from __future__ import annotations

import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import demo.training.state
import demo.ui.canvas
from demo.models.export import file_stem
from demo.ui.canvas import Drawing
from demo.views.draw.parts import PROBE_DEFAULTS as DEFAULTS
from lenet.data.mnist import read_idx
from lenet.data.preprocess import digit_to_input
from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint, save_checkpoint
from lenet.reading import classify, probabilities
from tests.conftest import FIXTURE_DIR
from tests.lenet.data.test_preprocess import place
from tests.paths import APPS

PAGE = str(APPS / "draw_page.py")
DIGITS = read_idx(FIXTURE_DIR / "t10k-images-idx3-ubyte.gz")
LABELS = read_idx(FIXTURE_DIR / "t10k-labels-idx1-ubyte.gz")


def canvas_image(index: int, size: int = 220, top: int = 30, left: int = 30) -> np.ndarray:
    """What the canvas returns: RGBA, white ink on black, the test digit redrawn."""
    gray = place(DIGITS[index], size, top, left)
    return np.stack([gray, gray, gray, np.full_like(gray, 255)], axis=-1)


class FakeCanvas:
    """Stands in for the browser's canvas: what the test drew, and a record of each call.

    Like the real one it comes back empty under a new key, and it runs `on_stroke` when it
    holds a drawing it has not sent before (the real one runs it before the rerun).
    """

    def __init__(self) -> None:
        self.image: np.ndarray | None = None
        self.strokes: list[dict] = []
        self.calls: list[dict] = []
        self._sent: np.ndarray | None = None
        self.late = None  # a callback that the next call runs first (a report arriving late)
        self.emptied = False  # emptied in the browser (its reset): reports it on the next call

    def __call__(
        self, stroke_width, key, background, initial=None, on_stroke=None, on_empty=None
    ) -> Drawing:
        if self.late is not None:
            self.late, late = None, self.late
            late()
        if self.calls and key != self.calls[-1]["key"]:  # remounted: empty
            self.image, self.strokes, self._sent = None, [], None
        self.calls.append(
            {"key": key, "background": background, "initial": initial, "on_stroke": on_stroke}
        )
        if self.image is not None and self.image is not self._sent and on_stroke is not None:
            on_stroke()
        if self.emptied:
            self.emptied, self.image, self.strokes = False, None, []
            if on_empty is not None:
                on_empty()
        self._sent = self.image
        return Drawing(self.image, list(self.strokes))


@pytest.fixture
def page(small_mnist, monkeypatch, tmp_path):
    fake = FakeCanvas()
    monkeypatch.setattr(demo.ui.canvas, "draw_canvas", fake)
    monkeypatch.setattr(demo.training.state, "_verified_mnist", lambda: small_mnist)
    monkeypatch.setenv("LENET_CHECKPOINT_DIR", str(tmp_path))
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.canvas = fake
    return at


def prediction(at: AppTest) -> str:
    return next(m for m in at.metric if m.label == "Prediction").value


def test_an_empty_canvas_shows_a_dash_and_a_hint(page):
    at = page.run()
    assert not at.exception
    assert prediction(at) == "–"
    assert any("Draw a digit" in i.value for i in at.info)
    assert any("Reading:** your drawing" in m.value for m in at.markdown)


def test_a_drawn_digit_is_read_with_its_probabilities(page):
    page.canvas.image = canvas_image(0)  # MNIST's first test digit, a 7
    at = page.run()
    assert not at.exception
    assert prediction(at).startswith("7 (")
    assert chart_titles(at) == [
        "Probability of each digit",
        "28x28, centred like MNIST",
        "32x32, as the network reads it",
    ]
    shown, source = at.session_state["current_digit"]
    assert shown.shape == (28, 28) and source == "your drawing"
    bars = next(h.proto.body for h in at.get("html") if "lenet-probs" in h.proto.body)
    top = re.search(r'title="digit 7: ([0-9.]+)%"', bars)
    assert float(top.group(1)) > 90  # the bar under the pointer says the reading's probability


@pytest.mark.parametrize("size, top, left", [(60, 5, 10), (70, 200, 200), (250, 15, 15)])
def test_small_corner_and_large_drawings_are_read_right(page, size, top, left):
    for index in range(5):
        page.canvas.image = canvas_image(index, size, top, left)
        at = page.run()
        assert prediction(at).startswith(f"{LABELS[index]}"), (index, size, top, left)


def test_an_unsure_reading_is_marked(page):
    model, _ = load_checkpoint(DEFAULT_CHECKPOINT)
    unsure = next(
        i for i in range(len(DIGITS)) if classify(model, canvas_image(i)).confidence < 0.8
    )
    page.canvas.image = canvas_image(unsure)
    at = page.run()
    at.slider(key="threshold").set_value(0.9).run()
    assert "not sure" in prediction(at) and "?" in prediction(at)
    assert any("Not sure" in w.value for w in at.warning)


def test_probes_change_what_the_network_sees(page):
    page.canvas.image = canvas_image(0)
    at = page.run()
    before, _ = at.session_state["current_digit"]
    at.slider(key="probe_rotate").set_value(45).run()
    after, _ = at.session_state["current_digit"]
    assert not np.allclose(before, after)
    sweep = next(h.value for h in at.get("html") if 'alt="turned' in h.value)
    assert sweep.count("<figure") == 7  # the rotation sweep


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
    page.canvas.image = canvas_image(0)
    at = page.run()
    chooser = at.selectbox(key="model_choice")
    assert chooser.options[0].startswith("Shipped model") and "Saved: my_net" in chooser.options
    onnx = [b for b in at.sidebar.get("download_button") if b.label == "Download as ONNX"]
    assert [b.key for b in onnx] == ["onnx_shipped"]
    chooser.set_value("file:my_net.pt").run()
    assert not at.exception and prediction(at).startswith("7")
    onnx = [b for b in at.sidebar.get("download_button") if b.label == "Download as ONNX"]
    assert [b.key for b in onnx] == ["onnx_file:my_net.pt"]  # the model chosen
    assert file_stem("file:my_net.pt@80") == "lenet5_file_my_net_pt_80"  # its file's name


def test_a_bad_upload_is_refused_and_the_page_keeps_working(page, tmp_path):
    page.canvas.image = canvas_image(0)
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

    from lenet.files import checkpoint
    from lenet.model import LeNet5
    from tests.lenet.files.test_checkpoint import Payload

    other = checkpoint.checkpoint_payload(LeNet5())
    other["state_dict"] = torch.nn.Linear(784, 10).state_dict()
    torch.save(other, tmp_path / "mlp.pt")
    marker = tmp_path / "pwned"
    torch.save({"format_version": 1, "state_dict": Payload(str(marker))}, tmp_path / "evil.pt")
    page.canvas.image = canvas_image(0)
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


def chart_titles(at: AppTest) -> list[str]:
    """The titles of the probability bars and the pixel pictures (HTML), in page order."""
    bodies = " ".join(h.proto.body for h in at.get("html"))
    return re.findall(r'<figcaption class="lenet-title"[^>]*>(.*?)</figcaption>', bodies)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


PROBE_VALUES = {
    "probe_rotate": 30,
    "probe_shift_x": 3,
    "probe_shift_y": -2,
    "probe_scale": 0.8,
    "probe_thickness": 1,
    "probe_noise": 0.2,
}


def test_rotation_help_and_the_two_shift_sliders_say_what_they_do(page):
    at = page.run()
    assert "Plus turns it clockwise" in at.slider(key="probe_rotate").help
    right, down = at.slider(key="probe_shift_x"), at.slider(key="probe_shift_y")
    assert right.label == "Shift right/left (px)" and down.label == "Shift down/up (px)"
    assert right.value == 0 and down.value == 0  # one value each: no thumbs to cross
    assert "positive moves it right" in right.help and "positive moves it down" in down.help


def test_reset_probes_puts_every_slider_back_and_the_caption_tells_the_truth(page):
    page.canvas.image = canvas_image(0)
    at = page.run()
    assert "28x28, centred like MNIST" in chart_titles(at)
    centred, _ = at.session_state["current_digit"]
    for key, value in PROBE_VALUES.items():
        at.slider(key=key).set_value(value).run()
        assert "28x28 after your probes" in chart_titles(at), key
        assert "28x28, centred like MNIST" not in chart_titles(at)
        at.slider(key=key).set_value(DEFAULTS[key]).run()
        assert "28x28, centred like MNIST" in chart_titles(at), key
    for key, value in PROBE_VALUES.items():
        at.slider(key=key).set_value(value)
    at.run()
    button(at, "Reset probes").click().run()
    assert not at.exception
    assert {key: at.slider(key=key).value for key in DEFAULTS} == DEFAULTS
    assert np.array_equal(at.session_state["current_digit"][0], centred)
    assert "28x28, centred like MNIST" in chart_titles(at)


@pytest.mark.parametrize("label", ["Random test digit", "One it gets wrong"])
def test_a_test_digit_clears_the_box_and_the_probes_and_is_shown_in_it(page, label):
    page.canvas.image, page.canvas.strokes = canvas_image(0), [{"type": "path"}]
    at = page.run()
    at.slider(key="probe_rotate").set_value(30).run()
    key_before = page.canvas.calls[-1]["key"]
    button(at, label).click().run()
    assert not at.exception
    call = page.canvas.calls[-1]
    assert call["key"] != key_before and call["initial"] is None  # remounted: no strokes left
    index = at.session_state["test_index"]
    assert call["background"] == demo.ui.canvas.background_png(DIGITS[index].tobytes())
    assert {key: at.slider(key=key).value for key in DEFAULTS} == DEFAULTS
    shown, source = at.session_state["current_digit"]
    assert np.allclose(shown, DIGITS[index] / 255)  # exactly the test digit, nothing else
    article = "an" if LABELS[index] == 8 else "a"
    assert source == f"test image #{index} ({article} {LABELS[index]})"
    assert any(f"Reading:** {source}, shown in the box" in m.value for m in at.markdown)
    assert button(at, "Undo last stroke").disabled


def test_a_new_stroke_makes_the_drawing_the_input_again(page):
    at = page.run()
    button(at, "Random test digit").click().run()
    assert at.session_state["current_digit"][1].startswith("test image")
    page.canvas.image = canvas_image(0)  # the student draws in the box
    at.run()
    shown, source = at.session_state["current_digit"]
    assert source == "your drawing" and prediction(at).startswith("7")
    at.run()  # the fake runs on_stroke during the run, the browser before it: one run later
    at.run()  # (the fake reports during the run; the real canvas's callback runs before it)
    assert page.canvas.calls[-1]["background"] == demo.ui.canvas.background_png(None)
    assert any("Reading:** your drawing" in m.value for m in at.markdown)


def test_a_stroke_reported_after_a_test_digit_was_chosen_leaves_the_test_digit(page):
    """On a busy machine a drawn 7's report reached the server with the student's later choice
    of a 3, in one rerun (measured in Chromium beside two busy processes): the replaced canvas's
    report must not take the input back from the test digit."""
    page.canvas.image, page.canvas.strokes = canvas_image(0), [{"type": "path"}]
    at = page.run()
    replaced = page.canvas.calls[-1]["on_stroke"]
    at.selectbox(key="draw_label").set_value(3).run()
    page.canvas.late = replaced  # the 7's canvas reports its stroke only now
    at.run()
    assert not at.exception
    assert at.session_state["draw_source"] == "test"
    assert at.session_state["current_digit"][1].endswith("(a 3)")
    page.canvas.late = page.canvas.calls[-1]["on_stroke"]  # a stroke on the box that shows the 3
    page.canvas.image = canvas_image(1)
    at.run()
    assert at.session_state["draw_source"] == "canvas"


def test_undo_loads_all_but_the_last_stroke_each_time(page):
    strokes = [{"type": "path", "n": i} for i in range(3)]
    page.canvas.image, page.canvas.strokes = canvas_image(0), strokes
    at = page.run()
    button(at, "Undo last stroke").click().run()
    first = page.canvas.calls[-1]["initial"]
    assert first["objects"] == strokes[:2]
    button(at, "Undo last stroke").click().run()  # the canvas has not answered yet: same list
    second = page.canvas.calls[-1]["initial"]
    assert second["objects"] == strokes[:2] and second != first  # still a change it will see


def test_clear_empties_the_box(page):
    page.canvas.image, page.canvas.strokes = canvas_image(0), [{"type": "path"}]
    at = page.run()
    button(at, "Clear").click().run()
    assert prediction(at) == "–" and at.session_state["current_digit"] is None
    assert button(at, "Undo last stroke").disabled


def test_a_scribble_is_flagged_under_the_reading_and_a_digit_is_not(page):
    from lenet.data.scribbles import scribbles

    blob = next(d for d in scribbles(3, seed=1) if d.kind == "blob")
    page.canvas.image = np.asarray(blob.canvas)
    at = page.run()
    assert prediction(at)[:1].isdigit()  # the network still names a digit...
    assert any("doesn't look much like any digit" in w.value for w in at.warning)  # ...but says so
    page.canvas.image = canvas_image(0)
    at.run()
    assert prediction(at).startswith("7")
    assert not any("doesn't look much like" in w.value for w in at.warning)
    assert any("Looks like a digit." in c.value for c in at.caption)


def test_a_box_emptied_in_the_browser_reads_nothing_and_drops_the_test_digit(page):
    """Clear is done by the canvas in the browser: the page only hears an empty drawing."""
    page.canvas.image = canvas_image(0)
    at = page.run()
    assert prediction(at).startswith("7 (")
    page.canvas.emptied = True
    at.run()
    assert prediction(at) == "–" and any("Reading:** your drawing" in m.value for m in at.markdown)
    button(at, "Random test digit").click().run()
    assert any("test image" in m.value for m in at.markdown)
    page.canvas.emptied = True
    at.run()
    assert prediction(at) == "–" and any("Reading:** your drawing" in m.value for m in at.markdown)
    at.run()  # (the fake reports during the run; the real canvas's callback runs before it)
    assert page.canvas.calls[-1]["background"] == demo.ui.canvas.background_png(None)


def test_the_canvas_callback_tells_a_stroke_from_an_emptied_box_and_a_default(monkeypatch):
    state: dict = {}
    monkeypatch.setattr("streamlit.session_state", state)
    heard: list[str] = []
    changed = demo.ui.canvas._on_drawing(
        "box", lambda: heard.append("stroke"), lambda: heard.append("empty")
    )
    for drawing in (
        {"raw": {"objects": [{"type": "path"}]}, "data": "data:image/png;base64,x"},
        {"raw": {"objects": []}, "data": "data:image/png;base64,x"},  # the canvas's reset
        {"raw": {"objects": []}, "data": None},  # the default of a canvas just mounted
    ):
        state["box"] = {"drawing": drawing}
        changed()
    assert heard == ["stroke", "empty"]
