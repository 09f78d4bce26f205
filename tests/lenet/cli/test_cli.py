"""The command-line tools, run as a user runs them: output, files, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from lenet.data.mnist import raw_dir, read_idx
from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint
from lenet.store.runs import open_store
from lenet.timeline.file import load_timeline
from lenet.timeline.snapshots import snapshot_steps
from tests.lenet.data.test_preprocess import place
from tests.paths import FIXTURES, ROOT


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m ARGS` from the project's root, with `env` added to the environment."""
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, **(env or {})},
    )


def assert_one_line_error(done: subprocess.CompletedProcess, code: int = 2) -> str:
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_train_writes_checkpoint_and_history(tmp_path, full_mnist):
    out = tmp_path / "run.pt"
    done = run(
        "lenet.train",
        "--preset",
        "quick",
        "--train-size",
        "3000",
        "--batch-size",
        "32",
        "--evals-per-epoch",
        "2",
        "--seed",
        "3",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    assert "Epoch 001/001 | Train " in done.stdout and "| Validation " in done.stdout
    assert "Test accuracy" in done.stdout and f"Saved {out}" in done.stdout
    assert "Threads: " in done.stderr  # how many it starts with, said once it is about to train
    assert done.stdout.strip().splitlines()[-1].startswith("Recorded as run ")  # every run is
    model, meta = load_checkpoint(out)
    assert meta["train_config"]["train_size"] == 3000 and meta["train_config"]["seed"] == 3
    assert 0.8 < meta["metrics"]["test_accuracy"] <= 1
    history = json.loads(out.with_suffix(".history.json").read_text())
    kinds = [e["event"] for e in history["events"]]
    assert kinds[0] == "Started" and kinds[-1] == "Finished" and kinds.count("Evaluation") == 2
    assert kinds.count("BatchEnd") == history["events"][0]["total_steps"]
    # the threads it trained with, from the start: (seconds, threads) pairs, never below one
    assert history["threads"][0][0] == 0.0 and all(n >= 1 for _, n in history["threads"])
    # the run's timeline, in the checkpoint and in the run store (issue 13)
    _, _, timeline = load_timeline(out)
    assert timeline.steps == snapshot_steps(94, 1, 2) and timeline.total_steps == 94
    assert torch.equal(timeline.model(len(timeline) - 1, model.config).fc3.weight, model.fc3.weight)
    run_id = int(done.stdout.strip().splitlines()[-1].split()[3])
    stored = open_store().snapshot_steps(run_id)
    assert [step for step, _ in stored] == timeline.steps


@pytest.mark.parametrize(
    "flags, fragment",
    [
        (["--lr", "abc"], "argument --lr: invalid number value: 'abc'"),
        (["--epochs", "0"], "argument --epochs: must be a whole number of 1 or more"),
        (["--optimizer", "rmsprop"], "argument --optimizer: invalid choice"),
        (["--momentum", "1.5"], "argument --momentum: must be at least 0 and below 1"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["--threads", "0"], "argument --threads: must be a whole number of 1 or more, not 0"),
        (["--threads", "two"], "argument --threads: must be a whole number of 1 or more, not two"),
        (["--threads", "100000"], "argument --threads: must be at most"),
        (["--name", "=SUM(A1)"], "argument --name: A nickname is 1 to 24 letters"),
        (["--name", "x" * 25], "argument --name: A nickname is 1 to 24 letters"),
        (["--name", "  "], "argument --name: Give a nickname"),
    ],
)
def test_train_bad_flags_one_line_exit_2(flags, fragment):
    line = assert_one_line_error(run("lenet.train", *flags))
    assert fragment in line


def test_help_and_a_refused_flag_answer_before_torch_is_imported():
    # PyTorch takes ~2 s to import: the flags are read first, in plain Python (lenet.config)
    code = """import sys
from lenet.cli.train import main
for argv in (["--help"], ["--epochs", "0"], ["--name", "ada", "--optimizer", "rmsprop"]):
    try:
        main(argv)
    except SystemExit as done:
        print("exit", done.code, file=sys.stderr)
print(sorted(m for m in ("torch", "sqlalchemy", "numpy") if m in sys.modules), file=sys.stderr)
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    lines = done.stderr.strip().splitlines()
    assert "usage: python -m lenet.train" in done.stdout and "--preset" in done.stdout
    assert [line for line in lines if line.startswith("exit")] == ["exit 0", "exit 2", "exit 2"]
    assert lines[-1] == "['sqlalchemy']"  # --name checked the nickname as the store keeps it


def test_train_batch_larger_than_subset(full_mnist):
    line = assert_one_line_error(run("lenet.train", "--train-size", "100", "--batch-size", "256"))
    assert "batch size 256 is larger than the training set (100 images)" in line


def test_train_divergence_is_reported_not_saved(tmp_path, full_mnist):
    out = tmp_path / "never.pt"
    done = run(
        "lenet.train", "--lr", "10000", "--train-size", "2000", "--epochs", "1", "--out", str(out)
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    # the Classic settings' SGD: the advice's rate (lenet.training.advice), not a tenth of 10,000
    assert "Training diverged at step" in done.stderr and "Try 0.1." in done.stderr
    assert not out.exists()


def test_evaluate_shipped_checkpoint_json(full_mnist):
    done = run("lenet.evaluate", str(DEFAULT_CHECKPOINT), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert 0.99 <= result["test_accuracy"] <= 1
    matrix = np.array(result["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == 10_000
    assert matrix.trace() / 10_000 == pytest.approx(result["test_accuracy"])
    assert "Per-class accuracy:" in done.stdout and "Confusion matrix" in done.stdout


def test_evaluate_bad_checkpoint_one_line(tmp_path):
    bad = tmp_path / "notes.pt"
    bad.write_text("my lecture notes")
    line = assert_one_line_error(run("lenet.evaluate", str(bad)))
    assert line.startswith("error: notes.pt: not a readable PyTorch checkpoint")
    line = assert_one_line_error(run("lenet.evaluate", str(tmp_path / "absent.pt")))
    assert "no such checkpoint file" in line


def test_predict_reads_files_of_any_kind_and_reports_bad_ones(tmp_path):
    digits = read_idx(FIXTURES / "mnist-small" / "t10k-images-idx3-ubyte.gz")
    # test digits 0 and 1 of MNIST's test file are a 7 and a 2
    canvas = np.stack([place(digits[0], 120, 10, 150)] * 3 + [np.full((280, 280), 255)], -1)
    Image.fromarray(canvas.astype(np.uint8), "RGBA").save(tmp_path / "canvas.png")
    Image.fromarray(place(digits[1], 200, 40, 40, paper=True)).convert("RGB").resize(
        (600, 600)
    ).save(tmp_path / "photo.jpg", quality=85)
    Image.new("L", (64, 64), 0).save(tmp_path / "blank.png")
    (tmp_path / "notes.txt").write_text("not an image")
    files = [
        str(tmp_path / n)
        for n in ("canvas.png", "photo.jpg", "blank.png", "notes.txt", "absent.png")
    ]
    done = run("lenet.predict", *files, "--json")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    answers = [json.loads(line) for line in done.stdout.strip().splitlines()]
    assert [(Path(a["file"]).name, a["digit"]) for a in answers] == [
        ("canvas.png", 7),
        ("photo.jpg", 2),
    ]
    assert all(
        len(a["probabilities"]) == 10 and abs(sum(a["probabilities"]) - 1) < 1e-4 for a in answers
    )
    errors = done.stderr.strip().splitlines()
    assert len(errors) == 3
    assert "blank.png: no digit found" in errors[0]
    assert "notes.txt: not a readable image" in errors[1]
    assert "absent.png: no such file" in errors[2]


def test_predict_plain_output_and_bad_checkpoint(tmp_path):
    digits = read_idx(FIXTURES / "mnist-small" / "t10k-images-idx3-ubyte.gz")
    Image.fromarray(digits[0]).save(tmp_path / "seven.png")
    done = run("lenet.predict", str(tmp_path / "seven.png"))
    assert done.returncode == 0 and done.stdout.startswith(f"{tmp_path / 'seven.png'}: 7 (")
    line = assert_one_line_error(
        run(
            "lenet.predict",
            str(tmp_path / "seven.png"),
            "--checkpoint",
            str(tmp_path / "seven.png"),
        )
    )
    assert "seven.png: not a readable PyTorch checkpoint" in line


def test_shipped_checkpoint_describes_itself():
    model, meta = load_checkpoint(DEFAULT_CHECKPOINT)
    assert meta["metrics"]["test_accuracy"] >= 0.99
    assert meta["model_config"] == {
        "activation": "tanh",
        "pooling": "max",
        "in_channels": 1,
        "num_classes": 10,
    }
    assert DEFAULT_CHECKPOINT.stat().st_size < 1_000_000


def test_data_cli_reports_ready(full_mnist):
    done = run("lenet.data")
    assert done.returncode == 0 and f"MNIST ready in {raw_dir()}" in done.stdout
