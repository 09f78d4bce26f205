"""The class's own digits on the Class page (issue 27, point 2), through AppTest over a real
store: how many of each, the grid, each run's "Class digits" column (measured in the background,
equal to `lenet.evaluate --digits` on the export), the chart, the confusion matrix of a chosen
run, and the teacher's removal."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import torch

from demo.views.class_page import digits as class_digits_part
from lenet.cli import runs as runs_cli
from lenet.cli.evaluate import evaluate
from lenet.data.class_set import held_out, load_digits
from lenet.data.mnist import read_idx, to_model_input
from lenet.files.checkpoint import DEFAULT_CHECKPOINT, checkpoint_bytes, load_checkpoint
from lenet.model import LeNet5
from tests.conftest import FIXTURE_DIR
from tests.demo.views import test_class_page as class_tests
from tests.demo.views.test_class_page import KEY, column, curves, settings, unlock

page = class_tests.page  # the Class page over `store`, with the teacher key
DIGITS = read_idx(FIXTURE_DIR / "t10k-images-idx3-ubyte.gz")[:30]
LABELS = read_idx(FIXTURE_DIR / "t10k-labels-idx1-ubyte.gz")[:30]


@pytest.fixture
def store(tmp_path):
    from lenet.store.runs import open_store

    opened = open_store(f"sqlite:///{tmp_path / 'class.db'}")
    class_digits_part.scorer.clear()
    yield opened
    opened.close()


def add_model_run(store, name: str, model, accuracy: float) -> int:
    run_id = store.create(name, settings())
    result = {"seconds": 3.0, "steps": 10, "message": None, "test_accuracy": accuracy}
    store.finish(run_id, "done", curves(accuracy), result, checkpoint=checkpoint_bytes(model))
    return run_id


def settled(at):
    """Run the page until the background has measured every run on the class's digits."""
    at.run()
    deadline = time.time() + 60
    while not class_digits_part.scorer().idle():
        assert time.time() < deadline, "the class digits were not measured within 60 s"
        time.sleep(0.1)
    return at.run()


def test_no_digits_no_column_and_a_line_on_how_to_add_them(page, store):
    add_model_run(store, "Ada", load_checkpoint(DEFAULT_CHECKPOINT)[0], 0.99)
    at = page.run()
    assert "digits" not in class_tests.table(at)[0]
    assert any("No class digits yet" in i.value for i in at.info)


def test_the_column_equals_evaluate_on_the_export(page, store, tmp_path):
    shipped = load_checkpoint(DEFAULT_CHECKPOINT)[0]
    torch.manual_seed(0)
    untrained = LeNet5().eval()
    good = add_model_run(store, "Ada", shipped, 0.9906)
    poor = add_model_run(store, "Bob", untrained, 0.25)
    no_weights = store.create("Cy", settings())
    store.finish(no_weights, "done", curves(0.5), {"test_accuracy": 0.5})
    for i, (digit, label) in enumerate(zip(DIGITS, LABELS.tolist(), strict=True)):
        store.add_digit(["Ann", "Ben"][i % 2], label, digit)
    first = page.run()
    assert set(column(first, "digits")) <= {"measuring...", "–"}  # never waits for it
    at = settled(page)
    shown = dict(zip(column(at, "run"), column(at, "digits"), strict=True))
    url = f"sqlite:///{tmp_path / 'class.db'}"
    assert runs_cli.main(["--database", url, "digits", "--export", str(tmp_path / "x")]) == 0
    for run_id, model in ((good, shipped), (poor, untrained)):
        expected = evaluate(model, load_digits(tmp_path / "x")).accuracy
        assert shown[f"#{run_id}"] == f"{expected:.1%}"
    assert shown[f"#{no_weights}"] == "–"
    assert shown[f"#{good}"] != shown[f"#{poor}"]
    counts = np.bincount(LABELS, minlength=10)
    line = next(m.value for m in at.markdown if m.value.startswith("**30 digits**"))
    assert line.startswith("**30 digits** by 2 students: ")
    assert ", ".join(f"{d}: {n}" for d, n in enumerate(counts.tolist())) in line
    grid = next(
        h.proto.body for h in at.html if "image-rendering:pixelated;background" in h.proto.body
    )
    assert grid.count("<img") == 30 and 'title="a 7 by Ann"' in grid  # the newest last added
    data = class_tests.figure_data(at, "MNIST against the class's own digits")
    assert sorted(data[1]["x"]) == pytest.approx([25.0, 99.06])
    assert len(at.selectbox(key="class_digits_run").options) == 2  # the runs with weights
    assert class_tests.figure_data(at, "")  # and the confusion matrix of the first


def test_names_hidden_hide_who_drew_each_digit(page, store):
    add_model_run(store, "Ada", load_checkpoint(DEFAULT_CHECKPOINT)[0], 0.99)
    store.add_digit("Ann", 7, DIGITS[0])
    page.query_params["hide"] = "1"
    at = settled(page)
    grid = next(
        h.proto.body for h in at.html if "image-rendering:pixelated;background" in h.proto.body
    )
    assert 'title="a 7"' in grid and "Ann" not in grid


def test_the_teacher_removes_chosen_digits_or_all(page, store):
    add_model_run(store, "Ada", load_checkpoint(DEFAULT_CHECKPOINT)[0], 0.99)
    ids = [store.add_digit("Ann", int(LABELS[i]), DIGITS[i]) for i in range(3)]
    at = page.run()
    at = unlock(at, KEY)
    at.multiselect(key="teacher_digits").set_value([ids[0]]).run()
    at = at.button(key="teacher_digits_remove").click().run()
    assert any("Removed 1 class digit." in s.value for s in at.success)
    assert [r.id for r in store.class_digits()] == [ids[2], ids[1]]
    at = at.button(key="teacher_digits_all").click().run()
    assert any("Remove all 2 digits of the class" in w.value for w in at.warning)
    at = at.button(key="teacher_digits_yes").click().run()
    assert store.class_digits() == [] and any(
        "Removed 2 class digits." in s.value for s in at.success
    )


def test_once_a_run_learned_the_class_digits_every_run_is_measured_on_those_kept_aside(page, store):
    shipped = load_checkpoint(DEFAULT_CHECKPOINT)[0]
    torch.manual_seed(0)
    untrained = LeNet5().eval()
    ids = [store.add_digit("Ann", int(y), x) for x, y in zip(DIGITS, LABELS, strict=True)]
    meta = {"train_config": {"class_digits": store.digit_version()}}
    plain = add_model_run(store, "Ada", untrained, 0.25)
    run_id = store.create("Bob", settings())
    result = {"seconds": 3.0, "steps": 10, "message": None, "test_accuracy": 0.9906}
    store.finish(run_id, "done", curves(0.9906), result, checkpoint=checkpoint_bytes(shipped, meta))
    at = settled(page)
    shown = dict(zip(column(at, "run"), column(at, "digits"), strict=True))
    kept = held_out(ids)
    x = to_model_input(torch.from_numpy(DIGITS.copy()))
    with torch.no_grad():
        read = {run: m(x).argmax(1).numpy() for run, m in ((run_id, shipped), (plain, untrained))}
    # every run on the same six digits, kept aside: the column compares like with like
    for run in (run_id, plain):
        assert shown[f"#{run}"] == f"{(read[run][kept] == LABELS[kept]).mean():.1%}"
    line = next(m.value for m in at.markdown if m.value.startswith("**30 digits**"))
    assert "so every run is measured on the 6 kept aside (every fifth digit added" in line
    # its confusion matrix counts the six kept aside
    at.selectbox(key="class_digits_run").set_value(run_id).run()
    assert at.selectbox(key="class_digits_run").format_func(run_id).endswith("digits kept aside")
    [matrix] = [
        data[0]["text"]
        for data in (json.loads(c.proto.spec)["data"] for c in at.get("plotly_chart"))
        if data[0]["type"] == "heatmap"
    ]
    assert int(np.sum(matrix)) == 6


def test_a_checkpoint_with_an_odd_train_config_is_measured_on_the_whole_set(page, store):
    shipped = load_checkpoint(DEFAULT_CHECKPOINT)[0]
    for x, y in zip(DIGITS, LABELS, strict=True):
        store.add_digit("Ann", int(y), x)
    odd = {}
    for config in ("oops", ["a"], {"class_digits": True}, {"class_digits": ""}):
        run_id = store.create("Odd", settings())
        result = {"seconds": 3.0, "steps": 10, "message": None, "test_accuracy": 0.99}
        meta = {"train_config": config}
        store.finish(
            run_id, "done", curves(0.99), result, checkpoint=checkpoint_bytes(shipped, meta)
        )
        odd[run_id] = config
    at = settled(page)  # the scorer finished every run: none stopped it
    shown = dict(zip(column(at, "run"), column(at, "digits"), strict=True))
    whole = {shown[f"#{run_id}"] for run_id in odd}
    assert len(whole) == 1 and "held out" not in whole.pop()
