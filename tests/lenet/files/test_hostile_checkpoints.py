"""Hostile checkpoints: refused in one line, before the file can choose an allocation.

The crafting kit (a 31-byte pickle, a zip bomb, forged configs, oversized tensors) is shared with
benchmarks/hostile_checkpoints.py, which measures the peak memory of each refusal.
"""

from __future__ import annotations

import io
import json
import pickle
import re
import subprocess
import sys
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

import demo.training.state
import demo.ui.canvas
from lenet.cli import evaluate, predict
from lenet.config import ModelConfig
from lenet.errors import CheckpointError
from lenet.files.checkpoint import checkpoint_payload, load_checkpoint
from lenet.model import LeNet5
from tests.paths import ROOT

# BUILTINS bytearray(0x70000000): a 1.9 GB allocation that torch's weights_only unpickler allows
BYTEARRAY_PICKLE = b"\x80\x02cbuiltins\nbytearray\nJ\x00\x00\x00\x70\x85R."


class _Storage:
    def __init__(self, key: str, numel: int) -> None:
        self.key, self.numel = key, numel


class _Tensor:
    """Pickles as torch does a tensor: `_rebuild_tensor_v2(storage, offset, size, stride, ...)`."""

    def __init__(self, storage: _Storage, size: tuple[int, ...]) -> None:
        self.storage, self.size = storage, size

    def __reduce__(self):
        stride = tuple(int(np.prod(self.size[i + 1 :])) for i in range(len(self.size)))
        args = (self.storage, 0, self.size, stride, False, OrderedDict())
        return (torch._utils._rebuild_tensor_v2, args)


class _Forger(pickle.Pickler):
    def persistent_id(self, obj: object) -> tuple | None:
        if isinstance(obj, _Storage):
            return ("storage", torch.FloatStorage, obj.key, "cpu", obj.numel)
        return None


def zip_bomb(zero_bytes: int) -> bytes:
    """A zip whose data.pkl declares `zero_bytes` of zeros (1 GB deflates to ~1 MB)."""
    out, zeros = io.BytesIO(), bytes(2**20)
    with zipfile.ZipFile(out, "w") as archive:
        info = zipfile.ZipInfo("archive/data.pkl")
        info.compress_type, info._compresslevel = zipfile.ZIP_DEFLATED, 9
        with archive.open(info, "w", force_zip64=True) as part:
            for _ in range(zero_bytes // len(zeros)):
                part.write(zeros)
        archive.writestr("archive/byteorder", b"little")
        archive.writestr("archive/version", b"3\n")
    return out.getvalue()


def oversized_tensor(columns: int) -> bytes:
    """A checkpoint in torch's own layout whose fc1.weight is 120 x `columns`, deflated zeros."""
    columns = columns // 1000 * 1000
    payload = checkpoint_payload(LeNet5())
    records = {}
    for index, (key, tensor) in enumerate(list(payload["state_dict"].items())):
        size = (120, columns) if key == "fc1.weight" else tuple(tensor.shape)
        payload["state_dict"][key] = _Tensor(_Storage(str(index), int(np.prod(size))), size)
        records[str(index)] = tensor.numpy().tobytes() if key != "fc1.weight" else None
    pickled = io.BytesIO()
    _Forger(pickled, protocol=2).dump(payload)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("archive/data.pkl", pickled.getvalue())
        archive.writestr("archive/byteorder", b"little")
        for key, data in records.items():
            if data is not None:
                archive.writestr(f"archive/data/{key}", data)
                continue
            info = zipfile.ZipInfo(f"archive/data/{key}")
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as part:
                for _ in range(columns // 1000):  # 1,000 columns of zeros at a time
                    part.write(bytes(120 * 1000 * 4))
        archive.writestr("archive/version", b"3\n")
    return out.getvalue()


def saved(payload: dict) -> bytes:
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def with_config(**changes: object) -> bytes:
    """A real checkpoint whose model_config says `changes` (its weights stay LeNet-5's)."""
    payload = checkpoint_payload(LeNet5())
    payload["model_config"].update(changes)
    return saved(payload)


def hostile_files(scale: float = 1.0) -> dict[str, bytes]:
    """The kinds whose refusal cost ~1-2 GB before (`scale` < 1: smaller bombs, for the tests)."""
    return {
        "bytearray": BYTEARRAY_PICKLE,
        "zip_bomb": zip_bomb(int(2**30 * scale)),
        "in_channels_2e6": with_config(in_channels=2_000_000),
        "num_classes_3e6": with_config(num_classes=3_000_000),
        "oversized_tensor": oversized_tensor(int(2_000_000 * scale)),
    }


PEAKS = """
import json, os, resource, sys
sys.path.insert(0, sys.argv[1])
from lenet.files.checkpoint import load_checkpoint
from lenet.errors import CheckpointError
for path in sys.argv[2:]:
    read, write = os.pipe()
    if os.fork() == 0:  # the child starts at the parent's RSS: its peak is this load's
        try:
            load_checkpoint(path)
            outcome = "loaded"
        except CheckpointError as error:
            outcome = "refused: " + str(error)
        except BaseException as error:
            outcome = "crashed: " + type(error).__name__
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        os.write(write, json.dumps([peak // 1024, outcome]).encode())
        os._exit(0)
    os.close(write)
    print(json.dumps([path, *json.loads(os.read(read, 65536) or b'[0, "killed"]')]), flush=True)
    os.wait()
"""


def test_refusing_a_hostile_file_costs_no_more_memory_than_loading_a_good_one(tmp_path):
    good = tmp_path / "good.pt"
    good.write_bytes(saved(checkpoint_payload(LeNet5())))
    files = [good]
    for name, content in hostile_files(scale=0.25).items():
        files.append(tmp_path / f"{name}.pt")
        files[-1].write_bytes(content)
    result = subprocess.run(
        [sys.executable, "-c", PEAKS, str(ROOT), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = map(json.loads, result.stdout.splitlines())
    peaks = {Path(path).stem: (mb, outcome) for path, mb, outcome in lines}
    assert peaks["good"][1] == "loaded", result.stderr[-2000:]
    assert len(peaks) == len(files), result.stderr[-2000:]
    good_mb = peaks.pop("good")[0]
    costly = {name: mb for name, (mb, _) in peaks.items() if mb > good_mb + 32}
    assert not costly, f"peak MB refusing {costly}, loading a good checkpoint {good_mb}"
    for name, (_, outcome) in peaks.items():
        assert outcome.startswith(f"refused: {name}.pt: "), (name, outcome)


def replaced(key: str, tensor: torch.Tensor) -> bytes:
    payload = checkpoint_payload(LeNet5())
    payload["state_dict"][key] = tensor
    return saved(payload)


def every_weight(change) -> bytes:
    payload = checkpoint_payload(LeNet5())
    payload["state_dict"] = {k: change(v) for k, v in payload["state_dict"].items()}
    return saved(payload)


def with_metadata(metadata: object) -> bytes:
    payload = checkpoint_payload(LeNet5())
    state = OrderedDict(payload["state_dict"])
    state._metadata = metadata
    payload["state_dict"] = state
    return saved(payload)


def other_model(**config: object) -> bytes:
    return saved(checkpoint_payload(LeNet5(ModelConfig(**config))))


def not_mnist_lenet5() -> dict[str, tuple[bytes, str]]:
    """Files that loaded (or crashed) before, each with the words of its one-line refusal."""
    fc3 = torch.full((10, 84), 3e38)  # finite, but every logit overflows: "nan%" on the page
    return {
        "huge_int_key": (replaced(10**5000, torch.zeros(1)), "keyed by something other than names"),
        "bad_metadata": (with_metadata({"": 5}), "(_metadata)"),
        "metadata_list": (with_metadata([1]), "(_metadata)"),
        "in_channels_1.5": (with_config(in_channels=1.5), "a model for 1.5 input channels"),
        "in_channels_true": (with_config(in_channels=True), "a model for True input channels"),
        "activation_list": (with_config(activation=["tanh"]), "its activation is ['tanh']"),
        "colour": (other_model(in_channels=3), "a model for 3 input channels"),
        "two_classes": (other_model(num_classes=2), "a model for 2 classes"),
        "hundred_classes": (other_model(num_classes=100), "a model for 100 classes"),
        "int8": (every_weight(lambda t: t.to(torch.int8)), "holds int8 numbers"),
        "bool": (every_weight(lambda t: t > 0), "holds bool numbers"),
        "nan": (replaced("fc2.bias", torch.full((84,), float("nan"))), "NaN or infinite"),
        "inf": (replaced("conv1.bias", torch.full((6,), float("-inf"))), "NaN or infinite"),
        "overflowing": (replaced("fc3.weight", fc3), "fc3.weight holds a weight of 3e+38"),
        "float64_overflow": (
            replaced("fc1.bias", torch.full((120,), 1e300, dtype=torch.float64)),
            "fc1.bias holds a weight of 1e+300",
        ),
        "format_true": (saved({**checkpoint_payload(LeNet5()), "format_version": True}), "True"),
        "bytearray_inside": (
            saved({**checkpoint_payload(LeNet5()), "history": bytearray(3)}),
            "it was not run",
        ),
    }


@pytest.mark.parametrize("name", list(not_mnist_lenet5()))
def test_what_is_not_an_mnist_lenet5_is_refused_in_one_line(tmp_path, name):
    content, words = not_mnist_lenet5()[name]
    path = tmp_path / f"{name}.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path)
    message = str(error.value)
    assert "\n" not in message and message.startswith(f"{name}.pt: ") and words in message
    assert len(message) < 200


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    kinds = {**hostile_files(scale=1 / 64), **{k: v for k, (v, _) in not_mnist_lenet5().items()}}
    for name, content in kinds.items():
        (folder / f"{name}.pt").write_bytes(content)
    Image.new("L", (28, 28)).save(folder / "digit.png")
    return folder


@pytest.mark.parametrize("cli", ["evaluate", "predict"])
def test_the_clis_refuse_every_hostile_file_with_one_line_and_exit_2(hostile_folder, capsys, cli):
    for path in sorted(hostile_folder.glob("*.pt")):
        if cli == "evaluate":
            status = evaluate.main([str(path), "--json", "--data-dir", str(hostile_folder)])
        else:
            status = predict.main([str(hostile_folder / "digit.png"), "--checkpoint", str(path)])
        out, err = capsys.readouterr()
        assert status == 2 and not out, (path.name, out)
        assert err.startswith(f"error: {path.name}: ") and err.count("\n") == 1, (path.name, err)


def test_the_cli_processes_print_one_line_and_no_traceback(hostile_folder):
    for args in (
        ["lenet.evaluate", str(hostile_folder / "overflowing.pt"), "--json"],
        ["lenet.predict", str(hostile_folder / "digit.png"), "--json", "--checkpoint"],
    ):
        if args[0] == "lenet.predict":
            args.append(str(hostile_folder / "zip_bomb.pt"))
        done = subprocess.run(
            [sys.executable, "-m", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
        )
        assert done.returncode == 2 and not done.stdout, (args, done.stdout)
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr


@pytest.fixture
def draw_page(small_mnist, monkeypatch, tmp_path) -> AppTest:
    from tests.demo.views.test_draw_page import PAGE, FakeCanvas

    monkeypatch.setattr(demo.ui.canvas, "draw_canvas", FakeCanvas())
    monkeypatch.setattr(demo.training.state, "_verified_mnist", lambda: small_mnist)
    monkeypatch.setenv("LENET_CHECKPOINT_DIR", str(tmp_path))
    return AppTest.from_file(PAGE, default_timeout=60)


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.file_uploader(key="checkpoint_upload").set_value((name, content, "application/x-pt"))
    return at.run()


def test_an_upload_with_a_273_byte_name_is_read_and_its_name_shortened(draw_page):
    name = "数" * 90 + ".pt"  # 273 bytes: more than a file name may hold
    at = upload(draw_page.run(), name, b"not a checkpoint")
    assert not at.exception
    [error] = at.error
    assert "not a readable PyTorch checkpoint" in error.value and "数" * 20 in error.value
    assert len(error.value) < 200 and name not in error.value
    at = upload(at, name, saved(checkpoint_payload(LeNet5())))
    assert not at.exception and not at.error
    chooser = at.selectbox(key="model_choice")
    assert chooser.value == "uploaded"
    label = chooser.options[chooser.index]
    assert label.startswith("Uploaded: 数") and len(label) <= 60


def test_markdown_in_an_upload_name_is_shown_as_written(draw_page):
    name = "www.evil-example.com :skull: [log in](x) **now**.pt"
    at = upload(draw_page.run(), name, b"not a checkpoint")
    assert not at.exception
    [error] = at.error
    shown = re.sub(r"(`+).+?\1", "", error.value)  # a code span shows its text as written
    for live in (r"www\.", ":skull:", r"(?<!\\)\[", r"(?<!\\)\*\*"):
        assert not re.search(live, shown), (live, error.value)
    assert "evil" in error.value and "log in" in error.value
