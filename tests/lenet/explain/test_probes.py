"""Robustness probes on synthetic digits: each transform does what its slider says."""

from __future__ import annotations

import numpy as np
import pytest

from lenet.explain.probes import Probe, apply_probe, apply_probes, rotation_sweep


@pytest.fixture
def bar() -> np.ndarray:
    digit = np.zeros((28, 28), dtype=np.float32)
    digit[6:22, 13:15] = 1.0  # a vertical stroke, like a 1
    return digit


def ink(digit: np.ndarray, level: float = 0.5) -> tuple[int, int, int, int]:
    rows, cols = np.nonzero(digit > level)
    return rows.min(), rows.max(), cols.min(), cols.max()


def test_identity_changes_nothing(bar):
    assert np.array_equal(apply_probe(bar, Probe()), bar)


def test_rotation_by_90_degrees_lays_the_stroke_down(bar):
    top, bottom, left, right = ink(apply_probe(bar, Probe(rotate=90)))
    assert bottom - top <= 2 and right - left >= 14


def test_positive_rotation_turns_the_digit_clockwise_on_screen(bar):
    turned = apply_probe(bar, Probe(rotate=30))  # row 0 is the top of the picture
    rows, cols = np.nonzero(turned > 0.5)
    top_col, bottom_col = cols[rows == rows.min()].mean(), cols[rows == rows.max()].mean()
    assert top_col > 13.5 > bottom_col  # the top leans right, the bottom left: clockwise
    back = apply_probe(turned, Probe(rotate=-30))
    rows, cols = np.nonzero(back > 0.5)
    assert abs(cols[rows == rows.min()].mean() - cols[rows == rows.max()].mean()) <= 1


def test_a_probe_knows_whether_it_changes_the_digit():
    assert not Probe().changes_digit and not Probe(seed=7).changes_digit
    for change in ({"rotate": 5}, {"shift_x": -1}, {"shift_y": 1}, {"scale": 0.9}):
        assert Probe(**change).changes_digit, change
    assert Probe(thickness=1).changes_digit and Probe(noise=0.1).changes_digit


def test_shift_moves_right_and_down(bar):
    assert ink(apply_probe(bar, Probe(shift_x=3, shift_y=-2))) == (4, 19, 16, 17)


def test_scale_shrinks_about_the_centre(bar):
    top, bottom, left, right = ink(apply_probe(bar, Probe(scale=0.5)), level=0.1)
    assert 7 <= bottom - top + 1 <= 9 and abs((top + bottom) / 2 - 13.5) <= 1


def test_thicken_and_thin(bar):
    assert apply_probe(bar, Probe(thickness=1)).sum() == pytest.approx(18 * 4)
    assert apply_probe(bar, Probe(thickness=-1)).sum() == 0  # a 2-px stroke thinned away


def test_noise_is_seeded_and_stays_in_range(bar):
    a = apply_probe(bar, Probe(noise=0.3, seed=1))
    b = apply_probe(bar, Probe(noise=0.3, seed=1))
    c = apply_probe(bar, Probe(noise=0.3, seed=2))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.min() >= 0 and a.max() <= 1 and a.shape == (28, 28)


def test_sweep_covers_minus_45_to_45(bar):
    sweep = rotation_sweep()
    assert [p.rotate for p in sweep] == [-45, -30, -15, 0, 15, 30, 45]
    assert apply_probes(bar, sweep).shape == (7, 28, 28)


def test_the_shipped_model_reads_a_real_digit_under_mild_probes():
    from lenet.data.mnist import read_idx
    from lenet.data.preprocess import digit_to_input
    from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint
    from lenet.reading import probabilities
    from tests.conftest import FIXTURE_DIR

    model, _ = load_checkpoint(DEFAULT_CHECKPOINT)
    digits = read_idx(FIXTURE_DIR / "t10k-images-idx3-ubyte.gz")[:100] / np.float32(255)
    labels = read_idx(FIXTURE_DIR / "t10k-labels-idx1-ubyte.gz")[:100]
    mild = [Probe(rotate=10), Probe(shift_x=2), Probe(scale=0.9), Probe(noise=0.1)]
    for probe in mild:
        moved = np.stack([apply_probe(d, probe) for d in digits])
        read = probabilities(model, digit_to_input(moved)).argmax(1).numpy()
        assert (read == labels).mean() >= 0.95, probe
    upside_down = np.stack([apply_probe(d, Probe(rotate=180)) for d in digits])
    read = probabilities(model, digit_to_input(upside_down)).argmax(1).numpy()
    assert (read == labels).mean() < 0.6  # the probes can break it, which is the lesson
