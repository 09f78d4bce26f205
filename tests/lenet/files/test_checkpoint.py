"""Checkpoints: round trip, atomic save, and every bad file refused with one line, unexecuted."""

from __future__ import annotations

import os
import pickle
import threading
import zipfile

import pytest
import torch

from lenet.config import ModelConfig, TrainConfig
from lenet.errors import CheckpointError
from lenet.files import checkpoint
from lenet.files.checkpoint import FORMAT_VERSION, load_checkpoint, save_checkpoint
from lenet.model import LeNet5


def one_line_naming(error: pytest.ExceptionInfo, name: str) -> str:
    message = str(error.value)
    assert "\n" not in message and name in message
    return message


def test_round_trip_rebuilds_the_same_model(tmp_path):
    torch.manual_seed(0)
    model = LeNet5(ModelConfig(activation="relu", pooling="avg"))
    config = TrainConfig(epochs=2, model=model.config)
    path = save_checkpoint(
        tmp_path / "m.pt",
        model,
        {
            "train_config": config.to_dict(),
            "metrics": {"test_accuracy": 0.5},
            "history": [{"event": "Evaluation", "val_accuracy": 0.4}],
            "name": "my model",
        },
    )
    loaded, meta = load_checkpoint(path)
    x = torch.randn(2, 1, 32, 32)
    with torch.no_grad():
        assert torch.equal(loaded(x), model.eval()(x))
    assert loaded.config == model.config and not loaded.training
    assert TrainConfig.from_dict(meta["train_config"]) == config
    assert meta["metrics"] == {"test_accuracy": 0.5} and meta["name"] == "my model"
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["normalisation"] == {"image_size": 32, "mean": 0.5, "std": 0.5}
    assert set(meta["versions"]) == {"lenet", "torch", "python"}
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]  # no temporary file left behind


def test_crash_mid_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "m.pt", LeNet5())
    before = path.read_bytes()

    def crash(fd):  # the disk fills up while the new file is written
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoint.os, "fsync", crash)
    with pytest.raises(CheckpointError) as error:
        save_checkpoint(path, LeNet5())
    assert "No space left on device" in one_line_naming(error, "m.pt")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="no such checkpoint file") as error:
        load_checkpoint(tmp_path / "absent.pt")
    one_line_naming(error, "absent.pt")


def test_garbage_bytes(tmp_path):
    path = tmp_path / "garbage.pt"
    path.write_bytes(b"\x89PNG this is not a checkpoint at all" * 10)
    with pytest.raises(CheckpointError, match=r"not a readable PyTorch checkpoint \(it is a PNG"):
        load_checkpoint(path)


def test_plain_text_is_refused(tmp_path):
    path = tmp_path / "notes.pt"
    path.write_bytes(b"these are my lecture notes")  # made torch.load raise IndexError
    with pytest.raises(CheckpointError, match="not a readable PyTorch checkpoint") as error:
        load_checkpoint(path)
    assert one_line_naming(error, "notes.pt").endswith("(it is a text file)")
    assert "Error" not in str(error.value)  # words, not Python class names


def test_empty_and_truncated_files(tmp_path):
    good = save_checkpoint(tmp_path / "good.pt", LeNet5()).read_bytes()
    cases = (
        ("empty.pt", b"", "the file is empty"),
        ("cut.pt", good[: len(good) // 2], "cut short"),
    )
    for name, content, words in cases:
        (tmp_path / name).write_bytes(content)
        with pytest.raises(CheckpointError) as error:
            load_checkpoint(tmp_path / name)
        assert words in one_line_naming(error, name)


def test_other_format_version(tmp_path):
    path = save_checkpoint(tmp_path / "future.pt", LeNet5(), {"format_version": 99})
    with pytest.raises(CheckpointError, match="format 99 is not supported") as error:
        load_checkpoint(path)
    one_line_naming(error, "future.pt")


def test_weights_that_do_not_fit_the_config(tmp_path):
    model = LeNet5()
    path = tmp_path / "wrong.pt"
    save_checkpoint(path, model)
    payload = torch.load(path, weights_only=True)
    payload["state_dict"]["fc1.weight"] = torch.zeros(120, 256)
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="weights do not fit LeNet-5") as error:
        load_checkpoint(path)
    assert "fc1.weight is 120x256, LeNet-5's is 120x400" in one_line_naming(error, "wrong.pt")


def test_a_plain_state_dict_is_not_a_lab_checkpoint(tmp_path):
    path = tmp_path / "bare.pt"
    torch.save(LeNet5().state_dict(), path)
    with pytest.raises(CheckpointError, match="not a LeNet-5 Lab checkpoint"):
        load_checkpoint(path)


class Payload:
    """Unpickling this would run `open(marker, 'w')`: the classic malicious pickle."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_carrying_code_is_refused_and_not_run(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"format_version": FORMAT_VERSION, "state_dict": Payload(str(marker))}, path)
    with pytest.raises(CheckpointError, match="it was not run") as error:
        load_checkpoint(path)
    one_line_naming(error, "evil.pt")
    assert not marker.exists()


def test_raw_pickle_carrying_code_is_refused_and_not_run(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(Payload(str(marker))))
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
    assert not marker.exists()


def test_saved_file_is_a_plain_zip_checkpoint(tmp_path):
    path = save_checkpoint(tmp_path / "m.pt", LeNet5())
    assert zipfile.is_zipfile(path)


def test_ctrl_c_during_a_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "m.pt", LeNet5())
    before = path.read_bytes()

    def interrupted(fd):  # Ctrl-C while the new file is written
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, LeNet5())
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]


def test_a_checkpoint_of_another_architecture(tmp_path):
    wide = torch.nn.Sequential(torch.nn.Linear(784, 10))
    payload = checkpoint.checkpoint_payload(LeNet5())
    payload["state_dict"] = wide.state_dict()
    path = tmp_path / "mlp.pt"
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="weights do not fit LeNet-5") as error:
        load_checkpoint(path)
    one_line_naming(error, "mlp.pt")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            lambda p: p["state_dict"].update({1: torch.zeros(1)}),
            "keyed by something other than names",
        ),
        (lambda p: p.update(model_config=None), "not a table of named settings"),
        (lambda p: p.update(model_config={"width": 3}), "options LeNet-5 does not have: width"),
        (lambda p: p.update(model_config={"activation": "sine"}), "activation must be one of"),
        (
            lambda p: p["state_dict"].update({"conv1.weight": torch.tensor(1.0)}),
            "conv1.weight is a single number, LeNet-5's is 6x1x5x5",
        ),
        (
            lambda p: p["state_dict"].update({"fc3.bias": torch.full((10,), float("nan"))}),
            "not numbers (NaN or infinite)",
        ),
    ],
)
def test_odd_payloads_are_refused_in_words(tmp_path, change, words):
    path = save_checkpoint(tmp_path / "odd.pt", LeNet5())
    payload = torch.load(path, weights_only=True)
    change(payload)
    torch.save(payload, path)
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path)
    message = one_line_naming(error, "odd.pt")
    assert words in message and "NoneType" not in message and "**" not in message


def test_a_save_that_must_not_overwrite_refuses_a_name_taken_meanwhile(tmp_path):
    path = tmp_path / "shared_name.pt"
    save_checkpoint(path, LeNet5(), {"name": "first"}, overwrite=False)
    with pytest.raises(CheckpointError, match="already exists") as error:
        save_checkpoint(path, LeNet5(), {"name": "second"}, overwrite=False)
    one_line_naming(error, "shared_name.pt")
    assert load_checkpoint(path)[1]["name"] == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared_name.pt"]  # no temp left


def test_twenty_saves_racing_for_one_name_leave_exactly_one_model(tmp_path):
    path, start = tmp_path / "same_name.pt", threading.Barrier(20)
    saved, refused = [], []

    def save(number: int) -> None:
        torch.manual_seed(number)
        model = LeNet5()
        start.wait()
        try:
            save_checkpoint(path, model, {"name": str(number)}, overwrite=False)
            saved.append((number, model))
        except CheckpointError as error:
            refused.append(str(error))

    threads = [threading.Thread(target=save, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    [(number, model)] = saved
    assert len(refused) == 19 and all("already exists" in m for m in refused)
    loaded, meta = load_checkpoint(path)
    assert meta["name"] == str(number)
    weights = model.state_dict()
    assert all(torch.equal(tensor, weights[key]) for key, tensor in loaded.state_dict().items())
    assert [p.name for p in tmp_path.iterdir()] == ["same_name.pt"]  # no temporary file left


def test_a_link_a_pipe_or_a_folder_is_never_replaced_by_a_written_file(tmp_path):
    """A rename onto `/dev/null` as root made it a plain file: such names are refused."""
    from lenet.files.checkpoint import write_file

    target = tmp_path / "target.txt"
    target.write_text("kept")
    link = tmp_path / "link.pt"
    link.symlink_to(target)
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    for path, what in ((link, "a link"), (pipe, "not a file"), (tmp_path, "a folder")):
        with pytest.raises(CheckpointError, match=f"is {what}: give the name of a plain file"):
            write_file(path, b"data", overwrite=True)
    assert link.is_symlink() and target.read_text() == "kept" and pipe.is_fifo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.pt", "pipe", "target.txt"]
