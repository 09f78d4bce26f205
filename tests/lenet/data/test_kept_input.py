"""The model input kept beside the raw files: made once, mapped after, remade when damaged, and
skipped where it cannot be written; the splits are the same either way."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import torch

from lenet.data.mnist import RAW_FILES, load_raw_folder
from tests.conftest import FIXTURE_DIR


@pytest.fixture
def raw(tmp_path) -> Path:
    folder = tmp_path / "MNIST" / "raw"
    folder.mkdir(parents=True)
    for name in os.listdir(FIXTURE_DIR):
        shutil.copy(FIXTURE_DIR / name, folder / name)
    return folder


def kept_files(raw: Path) -> list[Path]:
    return sorted(raw.parent.glob("model-input-*.pt"))


def mapped(path: Path) -> bool:
    """Whether this process maps `path` into its memory (Linux)."""
    return str(path) in Path("/proc/self/maps").read_text()


def same_splits(a, b) -> bool:
    pairs = [(a.train, b.train), (a.val, b.val), (a.test, b.test)]
    return all(
        torch.equal(x.images, y.images) and torch.equal(x.labels, y.labels) for x, y in pairs
    )


def test_the_input_is_made_once_then_mapped(raw):
    plain = load_raw_folder(raw, val_size=1000)
    assert kept_files(raw) == []  # only asked for with keep=True (the verified MNIST)
    first = load_raw_folder(raw, val_size=1000, keep=True)
    (kept,) = kept_files(raw)
    assert torch.__version__ in kept.name and not list(raw.parent.glob("*.tmp"))
    made = kept.stat().st_mtime_ns
    assert not mapped(kept)  # made here, so held in memory
    second = load_raw_folder(raw, val_size=1000, keep=True)
    assert kept.stat().st_mtime_ns == made  # read, not written again
    assert same_splits(plain, first) and same_splits(plain, second)
    assert mapped(kept)  # mapped, not read
    assert first.train.images.shape == (len(plain.train), 1, 32, 32)


@pytest.mark.parametrize("damage", ["cut", "other shapes", "not torch"])
def test_a_damaged_kept_input_is_made_anew(raw, damage):
    plain = load_raw_folder(raw, val_size=1000)
    load_raw_folder(raw, val_size=1000, keep=True)
    (kept,) = kept_files(raw)
    if damage == "cut":
        kept.write_bytes(kept.read_bytes()[:5000])
    elif damage == "other shapes":
        torch.save({"train": torch.zeros(3, 1, 32, 32), "test": torch.zeros(2, 1, 32, 32)}, kept)
    else:
        kept.write_text("not a tensor file")
    again = load_raw_folder(raw, val_size=1000, keep=True)
    assert same_splits(plain, again) and not mapped(kept)
    assert load_raw_folder(raw, val_size=1000, keep=True) and mapped(kept)
    assert kept_files(raw) == [kept]


def test_a_kept_input_that_cannot_be_written_keeps_nothing(raw, monkeypatch):
    def refuse(obj, path, *args, **kwargs):
        Path(path).write_bytes(b"half")  # a write that fails midway leaves its part behind
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", refuse)
    plain = load_raw_folder(raw, val_size=1000, keep=True)
    assert [p.name for p in raw.parent.iterdir()] == ["raw"]  # no kept file, no part of one
    assert sorted(os.listdir(raw)) == sorted(f"{name}.gz" for name in RAW_FILES)
    assert len(plain.train) > 0
