"""The class's own handwriting in the run store (issue 27, point 1), on SQLite and PostgreSQL:
labelled digits kept as MNIST holds them, their limits, a student's and the teacher's removal."""

from __future__ import annotations

import numpy as np
import pytest

from lenet.store import digits as class_digits
from lenet.store.runs import StoreError


def stroke(label: int) -> np.ndarray:
    """A plain 28x28 digit-like picture in [0, 1], different for each label."""
    digit = np.zeros((28, 28), np.float32)
    digit[4:24, 13:15] = 1.0
    digit[4 + label : 6 + label, 8:20] = 0.6
    return digit


def test_a_labelled_digit_is_kept_as_mnist_holds_it(store):
    first = store.add_digit("Ada", 3, stroke(3), strokes=b"\x89PNG...")
    second = store.add_digit("Bob", 7, (stroke(7) * 255).astype(np.uint8))
    assert second > first
    rows = store.class_digits()
    assert [(r.id, r.name, r.label) for r in rows] == [(second, "Bob", 7), (first, "Ada", 3)]
    assert rows[0].created_at.tzinfo is not None
    kept = store.digit_set()
    assert kept.images.dtype == np.uint8 and kept.images.shape == (2, 28, 28)
    assert kept.ids == (first, second) and kept.labels.tolist() == [3, 7]
    assert np.array_equal(kept.images[0], (stroke(3) * 255).round().astype(np.uint8))
    assert kept.images[0][10, 13] == 255 and kept.images[0][0, 0] == 0
    assert store.digit_strokes(first) == b"\x89PNG..." and store.digit_strokes(second) is None
    assert [r.name for r in store.class_digits("ADA ")] == ["Ada"]  # by nickname, any case


def test_the_version_changes_with_every_addition_and_removal(store):
    empty = store.digit_set().version
    one = store.add_digit("Ada", 1, stroke(1))
    added = store.digit_set().version
    store.add_digit("Ada", 2, stroke(2))
    assert len({empty, added, store.digit_set().version}) == 3
    assert store.digit_version() == store.digit_set().version  # the cheap way says the same
    store.remove_digits([one + 1])
    assert store.digit_set().version == added  # the same set, the same version


@pytest.mark.parametrize(
    ("label", "digit", "said"),
    [
        (10, stroke(1), "a whole number from 0 to 9, not 10"),
        (True, stroke(1), "a whole number from 0 to 9, not True"),
        (np.int64(3), stroke(1), "a whole number from 0 to 9"),
        (3, np.zeros((28, 28)), "The box is (almost) empty"),
        (
            3,
            np.pad(np.ones((3, 3)), ((12, 13), (12, 13))),
            "The box is (almost) empty",
        ),  # a dot: 9 pixels
        (3, np.ones((32, 32)), "28x28 pixels, not 32x32"),
        (3, np.full((28, 28), np.nan), "numbers from 0 to 1"),
        (3, np.ones((28, 28)), "The box is mostly ink: draw one digit in thin strokes"),
        (3, np.full((28, 28), 1e9), "The box is mostly ink"),
    ],
)
def test_a_bad_digit_is_refused_in_one_line_and_nothing_is_kept(store, label, digit, said):
    with pytest.raises(StoreError) as refused:
        store.add_digit("Ada", label, digit)
    assert said in str(refused.value) and "\n" not in str(refused.value)
    assert store.class_digits() == []


def test_a_bad_nickname_is_refused(store):
    with pytest.raises(StoreError, match="Give a nickname"):
        store.add_digit("  ", 3, stroke(3))


def test_a_nickname_may_add_a_few_hundred(store, monkeypatch):
    assert class_digits.MAX_PER_NAME == 300  # "a few hundred"; 3 here
    monkeypatch.setattr(class_digits, "MAX_PER_NAME", 3)
    for label in range(3):
        store.add_digit("Ada", label, stroke(label))
    with pytest.raises(StoreError, match="ada has 3 digits in the class's set, the most one"):
        store.add_digit("ada", 4, stroke(4))
    store.add_digit("Bob", 4, stroke(4))  # another student still can
    store.remove_digits(None, name="Ada")
    store.add_digit("Ada", 5, stroke(5))  # and Ada again, once she removed hers
    assert sorted(r.label for r in store.class_digits()) == [4, 5]


def test_the_server_takes_a_thousand_a_minute(store, monkeypatch):
    assert class_digits.MAX_PER_MINUTE == 1000  # 4 here
    monkeypatch.setattr(class_digits, "MAX_PER_MINUTE", 4)
    for i in range(4):
        store.add_digit(f"S{i}", i, stroke(i))
    with pytest.raises(StoreError, match="added 4 digits in the last minute.*try again in a"):
        store.add_digit("Zoe", 5, stroke(5))
    assert len(store.class_digits()) == 4


def test_the_whole_set_has_a_limit_however_many_nicknames_add_to_it(store, monkeypatch):
    assert class_digits.MAX_DIGITS == 20_000  # 5 here
    monkeypatch.setattr(class_digits, "MAX_DIGITS", 5)
    for i in range(5):
        store.add_digit(f"guest-{i}", i, stroke(i))
    with pytest.raises(StoreError, match=r"The class's set is full \(5 digits\): the teacher"):
        store.add_digit("guest-new", 5, stroke(5))
    store.remove_digits(None)
    store.add_digit("guest-new", 5, stroke(5))  # room again once the teacher removed them


def test_a_student_removes_only_their_own_and_the_teacher_any_or_all(store):
    ada = [store.add_digit("Ada", d, stroke(d)) for d in (1, 2)]
    bob = store.add_digit("Bob", 3, stroke(3))
    assert store.remove_digits([ada[0], bob], name="ada") == 1  # Bob's is not Ada's to remove
    assert [r.id for r in store.class_digits()] == [bob, ada[1]]
    assert store.remove_digits([bob]) == 1  # the teacher: any
    store.add_digit("Cy", 4, stroke(4))
    assert store.remove_digits(None) == 2  # the teacher: all
    assert store.class_digits() == [] and store.digit_set().ids == ()
