"""The Train page's step-by-step section through AppTest, on the MNIST fixture."""

from __future__ import annotations

import pytest
import torch

from lenet.training.step_by_step import StepByStep
from tests.demo import test_app
from tests.demo.test_app import button, run_until, status_text

COUNTER = "**Step "


app = test_app.app  # the app on the fixture (a pytest fixture, shared)


def counter(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith(COUNTER))


def stepper(at) -> StepByStep:
    return at.session_state["step_by_step"]


def tile_lines(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("label **")]


def metric(at, label: str) -> float:
    return float(next(m.value for m in at.metric if m.label == label))


def test_step_shows_the_batch_and_its_losses_and_reset_starts_again(app):
    at = app.run()
    assert not at.exception
    step, reset = button(at, "Step"), button(at, "Reset")
    assert step.help and reset.help and not step.disabled and reset.disabled
    total = stepper(at).total_steps
    assert counter(at) == f"**Step 0** of {total:,}" and not tile_lines(at)
    initial = {k: v.clone() for k, v in stepper(at).model.state_dict().items()}

    button(at, "Step").click().run()
    assert not at.exception
    first = stepper(at).last
    assert counter(at).startswith("**Step 1**") and stepper(at).steps == 1
    assert metric(at, "Loss after") < metric(at, "Loss before")  # Classic: SGD, lr 0.1
    assert metric(at, "Loss before") == pytest.approx(first.loss_before, abs=1e-4)
    lines = tile_lines(at)
    assert len(lines) == 16
    labels = first.labels[:16].tolist()
    assert [int(line.split("**")[1]) for line in lines] == labels  # the batch trained on
    assert not button(at, "Reset").disabled

    button(at, "Step").click().run()
    assert counter(at).startswith("**Step 2**")
    assert not torch.equal(stepper(at).last.indices, first.indices)

    button(at, "Reset").click().run()
    assert counter(at).startswith("**Step 0**") and not tile_lines(at) and not at.metric
    for name, value in stepper(at).model.state_dict().items():
        assert torch.equal(value, initial[name])


def test_new_settings_start_stepping_again_and_bad_ones_say_why(app):
    at = app.run()
    button(at, "Step").click().run()
    before = stepper(at)
    next(w for w in at.number_input if w.key == "set_seed").set_value(3).run()
    assert not at.exception
    assert stepper(at) is not before and stepper(at).config.seed == 3
    assert counter(at).startswith("**Step 0**")
    assert any("settings changed" in i.value for i in at.info)
    sliders = {w.key: w for w in at.select_slider}
    sliders["set_train_size"].set_value(1000)
    sliders["set_batch_size"].set_value(1024).run()
    assert not at.exception
    assert any("larger than the number of training images" in e.value for e in at.error)
    assert not [b for b in at.button if b.label == "Step"]


def test_stepping_works_while_a_run_trains_and_leaves_it_alone(app):
    app.query_params.update(epochs="50")  # Classic on the fixture: long enough to step beside
    at = app.run()
    button(at, "Start training").click().run()
    run_until(at, lambda a: "running" in status_text(a))
    button(at, "Step").click().run()
    assert not at.exception and stepper(at).steps == 1
    assert "running" in status_text(at) and at.session_state["job"].snapshot().active
    button(at, "Stop").click().run()
    run_until(at, lambda a: not a.session_state["job"].snapshot().active)


def test_a_learning_rate_that_blows_the_loss_up_is_named(app):
    # found by the attacker review: the steps went on to a NaN loss without a word
    app.query_params.update(lr="10", activation="relu", batch_size="16")
    at = app.run()
    for _ in range(12):
        button(at, "Step").click().run()
        if at.warning:
            break
    assert not at.exception
    warning = next(w.value for w in at.warning if "blown up" in w.value)
    # lenet.training.advice: SGD, batch 16
    assert "Try learning rate 0.02 in the settings." in warning
    assert " lr " not in warning


def captions(at) -> list[str]:
    return [c.value for c in at.caption]


@pytest.mark.parametrize("preset", ["classic", "fast", "quick"])
def test_three_steps_of_every_preset_show_learning_and_say_why(app, preset):
    app.query_params.update(preset=preset)
    at = app.run()
    note = next(c for c in captions(at) if "full size" in c)
    assert "So your weights will differ a little from a run's." in note
    if preset == "classic":  # momentum 0.9: the first step at 10x
        assert "starts at 1 and falls to the 0.1 you chose" in note
    else:
        assert f"Here every step uses {stepper(at).config.lr:g}." in note
    changed = 0
    for _ in range(3):
        button(at, "Step").click().run()
        assert not at.exception
        result = stepper(at).last
        assert metric(at, "Loss after") <= metric(at, "Loss before") - 0.005  # quick: 0.008
        shown = int(result.changed[:16].sum())
        changed += shown
        caption = next(c for c in captions(at) if c.startswith(f"Step {result.step} trained"))
        assert f"at learning rate {result.lr:.3g}." in caption
        if shown == 0:
            assert caption.endswith("None of these predictions changed this step.")
            assert "orange" not in caption
        elif shown == 1:
            assert caption.endswith("An orange frame marks the one prediction this step changed.")
        else:
            assert caption.endswith(
                f"Orange frames mark the {shown} predictions this step changed."
            )
    assert changed >= 8


def test_every_tile_has_a_text_alternative(app):
    at = app.run()
    button(at, "Step").click().run()
    labels = stepper(at).last.labels[:16].tolist()
    alts = [img.alt for element in at.get("image") for img in element.proto.imgs]
    assert alts == [f"Handwritten digit, labelled {label}" for label in labels]


def test_the_step_texts_read_plainly():
    import dataclasses

    from demo.views.train.step import frames_note, rate_note
    from lenet.training.presets import PRESETS

    textstat = pytest.importorskip("textstat")
    classic = PRESETS["classic"].config
    configs = [p.config for p in PRESETS.values()] + [
        dataclasses.replace(classic, optimizer="adam", lr=1e-3),  # no schedule, no momentum
        dataclasses.replace(classic, scheduler="cosine", momentum=0.0),
        dataclasses.replace(classic, scheduler="onecycle", momentum=0.5),
    ]
    texts = [rate_note(c) for c in configs] + [frames_note(n) for n in (0, 1, 5)]
    for text in texts:
        assert textstat.flesch_kincaid_grade(text) <= 10, text
        assert " lr " not in text
    assert (
        rate_note(configs[3])
        == "Each step uses learning rate 0.001, as a run with these settings does."
    )
