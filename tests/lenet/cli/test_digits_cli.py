"""The class's digits on the command line (issue 27, point 4): `lenet.runs digits --export DIR`
writes MNIST's IDX files, which torchvision's own readers open, and a PNG a digit;
`lenet.evaluate CKPT --digits DIR` measures a model on them, as the store holds them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from torchvision.datasets.mnist import read_image_file, read_label_file

from lenet.cli.evaluate import evaluate
from lenet.data.class_set import IDS, IMAGES, LABELS, load_digits
from lenet.data.mnist import read_idx, to_model_input
from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint, save_checkpoint
from lenet.store.runs import open_store
from tests.conftest import FIXTURE_DIR
from tests.lenet.cli.test_runs_cli import one_line, run

DIGITS = read_idx(FIXTURE_DIR / "t10k-images-idx3-ubyte.gz")[:40]
LABELS_ = read_idx(FIXTURE_DIR / "t10k-labels-idx1-ubyte.gz")[:40]


@pytest.fixture
def class_store(tmp_path) -> str:
    """A store holding 40 of MNIST's test digits as three students' labelled drawings, the
    eleventh labelled wrong on purpose (a student's word is kept as given)."""
    url = f"sqlite:///{tmp_path / 'lenet.db'}"
    store = open_store(url)
    for i, (digit, label) in enumerate(zip(DIGITS, LABELS_.tolist(), strict=True)):
        store.add_digit(["Ada", "Bob", "Cy"][i % 3], (label + 1) % 10 if i == 10 else label, digit)
    store.close()
    return url


def test_the_export_is_what_torchvisions_readers_open(class_store, tmp_path):
    out = tmp_path / "class"
    done = run("lenet.runs", "digits", "--export", str(out), url=class_store)
    assert done.returncode == 0, done.stderr
    assert "The class's digits: 40" in done.stdout and f"Wrote 40 digits to {out}" in done.stdout
    images, labels = read_image_file(str(out / IMAGES)), read_label_file(str(out / LABELS))
    assert images.shape == (40, 28, 28) and np.array_equal(images.numpy(), DIGITS)
    expected = LABELS_.copy()
    expected[10] = (expected[10] + 1) % 10
    assert labels.tolist() == expected.tolist()
    pngs = sorted((out / "png").rglob("*.png"))
    assert len(pngs) == 40
    first = out / "png" / str(expected[0]) / "1.png"
    assert np.array_equal(np.asarray(Image.open(first)), DIGITS[0])


def test_evaluate_on_the_export_equals_the_model_on_the_store(class_store, tmp_path):
    out = tmp_path / "class"
    assert run("lenet.runs", "digits", "--export", str(out), url=class_store).returncode == 0
    done = run("lenet.evaluate", str(DEFAULT_CHECKPOINT), "--digits", str(out), "--json", url="")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Class digits accuracy ")
    said = json.loads(done.stdout.strip().splitlines()[-1])
    store = open_store(class_store)
    kept = store.digit_set()
    store.close()
    model, _ = load_checkpoint(DEFAULT_CHECKPOINT)
    from torch import from_numpy

    direct = evaluate(model, load_digits(out))
    predicted = model(to_model_input(from_numpy(kept.images))).argmax(1).numpy()
    assert said["class_digits_accuracy"] == direct.accuracy == (predicted == kept.labels).mean()
    assert said["class_digits_accuracy"] <= 39 / 40  # the digit labelled wrong is read "wrong"


def test_bad_exports_and_folders_are_one_line(class_store, tmp_path):
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    said = one_line(run("lenet.runs", "digits", "--export", str(tmp_path / "x"), url=empty))
    assert said == "error: the class has no digits yet: nothing to export"
    (tmp_path / "file").write_text("not a folder")
    said = one_line(
        run("lenet.runs", "digits", "--export", str(tmp_path / "file"), url=class_store)
    )
    assert "is a file: give a folder" in said
    for folder, words in ((tmp_path / "none", "no such folder"), (tmp_path, "cannot read")):
        done = run("lenet.evaluate", str(DEFAULT_CHECKPOINT), "--digits", str(folder), url="")
        assert words in one_line(done)


def test_a_second_export_leaves_no_png_of_a_removed_digit(class_store, tmp_path):
    out = tmp_path / "class"
    assert run("lenet.runs", "digits", "--export", str(out), url=class_store).returncode == 0
    (out / "notes.txt").write_text("the teacher's own file")
    store = open_store(class_store)
    store.remove_digits(list(range(1, 11)))
    store.close()
    done = run("lenet.runs", "digits", "--export", str(out), url=class_store)
    assert "Wrote 30 digits" in done.stdout
    assert "removed 10 PNGs of digits no longer in the set" in done.stdout
    assert len(list((out / "png").rglob("*.png"))) == 30
    assert (out / IDS).read_text().split() == [str(i) for i in range(11, 41)]
    assert (out / "notes.txt").exists()  # nothing else is touched


def test_a_model_that_learned_the_set_is_measured_on_its_held_out_fifth(class_store, tmp_path):
    out = tmp_path / "class"
    assert run("lenet.runs", "digits", "--export", str(out), url=class_store).returncode == 0
    model, meta = load_checkpoint(DEFAULT_CHECKPOINT)
    learned = tmp_path / "learned.pt"
    save_checkpoint(learned, model, {**meta, "train_config": {"class_digits": "3f2a9c01b7de"}})
    done = run("lenet.evaluate", str(learned), "--digits", str(out), "--json", url="")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Class digits it never saw (the held-out fifth; it learned")
    said = json.loads(done.stdout.strip().splitlines()[-1])
    assert said["held_out_only"] is True
    assert sum(map(sum, said["confusion_matrix"])) == 8  # ids 5, 10, ..., 40
    (out / IDS).unlink()  # an export from before the ids were written
    said = one_line(run("lenet.evaluate", str(learned), "--digits", str(out), url=""))
    assert f"has no {IDS}: export the set again" in said
