"""Train's "Also learn from the class's digits" (issue 27, point 3) through AppTest over a real
store: the toggle says what there is to learn, a run learns four fifths of the set and records
its version, the result measures the held-out fifth, and a set with nothing to learn refuses the
start in one line."""

from __future__ import annotations

from lenet.data.class_set import held_out, repeats
from lenet.data.mnist import read_idx
from lenet.store.runs import open_store
from tests.conftest import FIXTURE_DIR
from tests.demo.test_app import button
from tests.demo.test_app_store import app, store_url, train_quick  # noqa: F401 - fixtures

DIGITS = read_idx(FIXTURE_DIR / "t10k-images-idx3-ubyte.gz")[:30]
LABELS = read_idx(FIXTURE_DIR / "t10k-labels-idx1-ubyte.gz")[:30]


def toggle(at):
    return at.toggle(key="class_digits_switch")


def captions(at) -> list[str]:
    return [c.value for c in at.caption]


def quick_page(app):  # noqa: F811 - the fixture
    at = app()
    at.query_params.update(preset="quick", train_size="1000", batch_size="100")
    return at.run()


def test_the_toggle_is_off_and_says_why_until_the_class_has_digits(app, store_url):  # noqa: F811
    at = quick_page(app)
    assert toggle(at).disabled and not toggle(at).value
    assert "The class has no digits to learn from yet: add some on the Draw page." in captions(at)
    assert "Draw page" in toggle(at).help and "Every fifth digit added is kept" in toggle(at).help
    store = open_store(store_url)
    store.add_digit("Ann", 5, DIGITS[0])  # id 1: learnable
    at = quick_page(app)
    assert not toggle(at).disabled
    assert "1 of the class's 1 digits to learn from; 0 kept aside to test the run." in captions(at)
    store.close()


def test_a_run_learns_four_fifths_records_the_version_and_measures_the_rest(
    app,  # noqa: F811
    store_url,  # noqa: F811
):
    store = open_store(store_url)
    ids = [store.add_digit("Ann", int(y), x) for x, y in zip(DIGITS, LABELS, strict=True)]
    kept = held_out(ids)
    assert int(kept.sum()) == 6
    at = quick_page(app)
    assert "24 of the class's 30 digits to learn from; 6 kept aside to test the run." in captions(
        at
    )
    toggle(at).set_value(True).run()
    settings_line = next(m.value for m in at.markdown if m.value.startswith("**Settings**"))
    assert "Also learns from the class's digits." in settings_line
    train_quick(at, "ada")
    job = at.session_state["job"]
    snap = job.snapshot()
    assert snap.config.class_digits == store.digit_version()
    times = repeats(24, 1000)
    assert times == 2 and snap.started.train_size == 1000 + 24 * times
    learned_labels = job.class_digits[1]
    assert learned_labels.tolist() == LABELS[~kept].tolist()  # never a held-out digit
    [row] = store.runs()
    assert row.settings["class_digits"] == store.digit_version()
    line = next(m for m in at.markdown if m.value.startswith("Learned from 24 of the class"))
    assert "(each shown 2 times a pass). On the **6 class digits kept aside** (no run" in line.value
    assert "; the app's ready-made model, trained on MNIST only, reads " in line.value
    assert "With only 6 kept aside this is a small test: add more digits on Draw." in line.value
    shown = float(line.value.split("it reads **")[1].split("%")[0])
    model = job.model
    import torch

    from lenet.data.mnist import to_model_input

    with torch.no_grad():
        read = model(to_model_input(torch.from_numpy(DIGITS[kept].copy()))).argmax(1).numpy()
    assert shown == round(100 * float((read == LABELS[kept]).mean()), 1)
    store.close()


def test_with_nothing_to_learn_the_start_is_refused_in_one_line(app, store_url):  # noqa: F811
    store = open_store(store_url)
    [first] = [store.add_digit("Ann", 5, DIGITS[0])]
    at = quick_page(app)
    toggle(at).set_value(True).run()
    store.remove_digits([first])  # gone before Start (the teacher removed them)
    button(at, "Start training").click().run()
    [error] = [e.value for e in at.error]
    assert error.startswith(
        "The class has no digits to learn from yet: add some on the Draw page, or turn off"
    )
    assert "\n" not in error and not at.exception
    assert at.session_state["job"] is None  # nothing started
    assert not toggle(at).value and toggle(at).disabled  # and the toggle says why
    store.close()


def test_the_setting_is_in_the_link_and_a_teachers_locked_link_fixes_it_on(app, store_url):  # noqa: F811
    store = open_store(store_url)
    for x, y in zip(DIGITS[:6], LABELS[:6], strict=True):
        store.add_digit("Ann", int(y), x)
    at = quick_page(app)
    toggle(at).set_value(True).run()
    assert at.query_params["class_digits"] == "1"  # the address bar: a reload keeps it
    at.run()  # (the browser test goes to Draw and back: the toggle's own state is dropped)
    assert toggle(at).value and at.session_state["learn_class_digits"]
    locked = app()
    locked.query_params.update(preset="quick", class_digits="1", lock="1")
    locked.run()
    assert toggle(locked).value and toggle(locked).disabled  # fixed on by the teacher
    store.close()


def test_a_run_of_mnist_only_is_measured_on_the_digits_kept_aside_too(app, store_url):  # noqa: F811
    store = open_store(store_url)
    for x, y in zip(DIGITS, LABELS, strict=True):
        store.add_digit("Ann", int(y), x)
    at = quick_page(app)
    train_quick(at, "bo")
    line = next(m.value for m in at.markdown if m.value.startswith("This run learned from MNIST"))
    assert line.startswith("This run learned from MNIST only. On the **6 class digits kept aside**")
    assert "ready-made" not in line  # the comparison is for a run that learned them
    store.close()
