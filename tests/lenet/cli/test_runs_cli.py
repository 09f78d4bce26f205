"""`python -m lenet.train --name` and `python -m lenet.runs` against a run store of each test's own:
real subprocesses where the user's view matters (output, exit status, one-line errors), in-process
`main()` calls (MNIST replaced by the small fixture) for the ways a run can end."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from lenet.cli import runs
from lenet.cli import train as train_cli
from lenet.data.mnist import file_problems, raw_dir
from lenet.files.checkpoint import load_checkpoint, load_checkpoint_bytes
from lenet.model import LeNet5
from lenet.store.runs import open_store
from lenet.timeline.file import load_timeline
from tests.lenet.cli import test_cli as cli
from tests.lenet.store.test_store_reliability import read_only
from tests.paths import ROOT

TINY = ["--preset", "quick", "--train-size", "300", "--batch-size", "50", "--epochs", "1"]
UNREACHABLE = "postgresql://x:secretpw@127.0.0.1:1/none"


def run(*args: str, url: str, **env: str) -> subprocess.CompletedProcess:
    """`python -m ARGS` with the run store at `url`."""
    return cli.run(*args, env={"LENET_DATABASE_URL": url, **env})


one_line = cli.assert_one_line_error


def store_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if "Run store" in line]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[str, Path, Path]:
    """A store with one run trained by the real CLI on real MNIST as "Alice B": (url, its
    checkpoint file, the store's file)."""
    folder = tmp_path_factory.mktemp("runs-cli")
    db, out = folder / "lenet.db", folder / "alice.pt"
    if file_problems(raw_dir()) and os.environ.get("CI") != "true":
        pytest.skip("MNIST is not in data/MNIST/raw (run `python -m lenet.data`)")
    url = f"sqlite:///{db}"
    args = [*TINY, "--evals-per-epoch", "2", "--threads", "1", "--seed", "1"]
    done = run("lenet.train", *args, "--name", " Alice  B", "--out", str(out), url=url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == f"Recorded as run 1 (nickname Alice B) in {db}"
    assert not store_lines(done.stderr)
    return url, out, db


@pytest.fixture
def in_process(monkeypatch, small_mnist, tmp_path):
    """`lenet.train`'s main() in this process on the small fixture, with a store of its own;
    torch's thread count as it was afterwards."""
    # `train` imports it when called (after the flags are read): patched where it lives
    monkeypatch.setattr("lenet.data.mnist.load_mnist", lambda *args, **kwargs: small_mnist)
    monkeypatch.setenv("LENET_DATABASE_URL", f"sqlite:///{tmp_path / 'lenet.db'}")
    threads = torch.get_num_threads()
    yield lambda *args: train_cli.main([*TINY, "--out", str(tmp_path / "run.pt"), *args])
    torch.set_num_threads(threads)


def the_runs(url: str | None = None) -> list:
    store = open_store(url)
    try:
        return [store.run(row.id) for row in store.runs()]
    finally:
        store.close()


def test_a_named_cli_run_is_stored_whole(trained):
    url, out, _ = trained
    (row,) = the_runs(url)
    _, meta = load_checkpoint(out)
    assert (row.name, row.source, row.status) == ("Alice B", "cli", "done")
    assert row.owner.startswith("cli:")
    assert row.settings["train_size"] == 300 and row.settings["seed"] == 1
    assert row.test_accuracy == pytest.approx(meta["metrics"]["test_accuracy"])
    assert row.per_class == pytest.approx(meta["metrics"]["per_class_accuracy"])
    assert row.steps == 6 and row.seconds > 0 and row.finished_at >= row.created_at
    evaluations = [e for e in meta["history"] if e["event"] == "Evaluation"]
    assert [c["val_accuracy"] for c in row.curves] == [e["val_accuracy"] for e in evaluations]
    assert len(row.curves) == 2
    store = open_store(url)
    try:  # and every minibatch's loss and learning rate, for its timeline's charts (issue 24)
        curve = store.batch_curve(row.id)
    finally:
        store.close()
    assert [p.step for p in curve] == list(range(1, 7)) and all(p.loss > 0 for p in curve)


def test_list_prints_a_table_and_json_lines(trained):
    url = trained[0]
    done = run("lenet.runs", "list", url=url)
    assert done.returncode == 0, done.stderr
    header, line = done.stdout.strip().splitlines()
    assert header.split()[:4] == ["Run", "Nickname", "Status", "Test"]
    assert line.split()[:4] == ["1", "Alice", "B", "done"] and "adamw lr" in line
    done = run("lenet.runs", "list", "--json", "--name", "alice b", url=url)
    (obj,) = [json.loads(text) for text in done.stdout.strip().splitlines()]
    for key in ("id", "name", "status", "test_accuracy", "settings", "created_at", "seconds"):
        assert key in obj
    assert (obj["id"], obj["name"], obj["status"], obj["source"]) == (1, "Alice B", "done", "cli")
    assert obj["settings"]["train_size"] == 300 and 0 < obj["test_accuracy"] <= 1
    assert run("lenet.runs", "list", "--json", "--name", "Bob", url=url).stdout == ""


def test_show_prints_the_run_and_saves_weights_that_predict_the_same(trained, tmp_path):
    url, out, _ = trained
    saved = tmp_path / "from_store.pt"
    done = run("lenet.runs", "show", "1", "--checkpoint", str(saved), url=url)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith("Run 1 by Alice B (cli): done, created ")
    assert "train_size 300" in text and "Per digit: 0: " in text and "9: " in text
    assert "Curves (2 evaluations):" in text and "Weights: stored" in text
    assert text.strip().endswith(f"Saved run 1's weights and its timeline (7 snapshots) to {saved}")
    mine, meta = load_checkpoint(saved)
    trainers, _ = load_checkpoint(out)
    # the store's timeline is the one the CLI's own checkpoint keeps (issue 13)
    assert np.array_equal(load_timeline(saved)[2].stacked(), load_timeline(out)[2].stacked())
    images = torch.randn(16, 1, 32, 32)
    assert torch.equal(mine(images), trainers(images))
    assert meta["train_config"]["train_size"] == 300
    assert [p.name for p in tmp_path.iterdir()] == ["from_store.pt"]  # no temporary file left


def test_show_refuses_in_one_line(trained, tmp_path):
    url = trained[0]
    taken = tmp_path / "taken.pt"
    taken.write_bytes(b"mine")
    line = one_line(run("lenet.runs", "show", "1", "--checkpoint", str(taken), url=url))
    assert "taken.pt already exists" in line and taken.read_bytes() == b"mine"
    assert "no run 99 in" in one_line(run("lenet.runs", "show", "99", url=url))
    assert "invalid run number value: 'x'" in one_line(run("lenet.runs", "show", "x", url=url))
    assert "required: {list,show,export,prune,digits}" in one_line(run("lenet.runs", url=url))


def test_an_unreachable_or_damaged_store_is_one_line(tmp_path):
    line = one_line(run("lenet.runs", "list", url=UNREACHABLE))
    assert "cannot reach the run store at postgresql://x:***@127.0.0.1:1/none" in line
    assert "secretpw" not in line
    damaged = tmp_path / "notes.db"
    damaged.write_text("my lecture notes, not a database" * 100)
    line = one_line(
        run("lenet.runs", "--database", f"sqlite:///{damaged}", "list", url=UNREACHABLE)
    )
    assert "notes.db is not a readable run store" in line  # --database wins over the env


def test_train_refuses_a_bad_name_before_training(tmp_path):
    db = tmp_path / "lenet.db"
    done = run("lenet.train", "--name", "=HYPERLINK(1)", url=f"sqlite:///{db}")
    assert "argument --name: A nickname is 1 to 24 letters" in one_line(done)
    assert not db.exists()


def test_export_writes_every_run_with_digits_and_no_formulas(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'lenet.db'}"
    store = open_store(url)
    first = store.create("Ana", {"optimizer": "=cmd|' /C calc'!A0", "lr": 0.1, "model": {}})
    store.finish(first, "done", [], {"test_accuracy": 0.9, "per_class": [0.5] * 10})
    second = store.create("Ben", {"optimizer": "sgd"})
    store.finish(second, "diverged", [], {"message": "+1 diverged at step 3"})
    store.close()
    out = tmp_path / "class.csv"
    out.write_text("an older export")
    assert runs.main(["--database", url, "export", "--csv", str(out)]) == 0
    assert capsys.readouterr().out == f"Wrote 2 runs to {out}\n"
    with out.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [r["id"] for r in rows] == ["1", "2"] and rows[0]["name"] == "Ana"
    assert [rows[0][f"accuracy_digit_{d}"] for d in range(10)] == ["0.5"] * 10
    assert rows[0]["optimizer"] == "'=cmd|' /C calc'!A0" and rows[0]["lr"] == "0.1"
    assert rows[1]["message"] == "'+1 diverged at step 3" and rows[1]["test_accuracy"] == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["class.csv", "lenet.db"]
    code = runs.main(["--database", url, "export", "--csv", str(tmp_path / "no" / "x.csv")])
    assert code == 2 and capsys.readouterr().err.startswith("error: could not write ")


HOSTILE = "Ma\x1b]0;pwned\x07ya\x1b[2J\x1b[31m\u202e"  # retitle, bell, clear, red, turn around


def test_control_characters_from_the_store_are_printed_escaped(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'lenet.db'}"
    store = open_store(url)
    run_id = store.create("Maya", {"optimizer": "sgd"})
    store.finish(run_id, "diverged", [], {"message": "bad\x1b[2Jnews\x9b"})
    store.close()
    with sqlite3.connect(
        tmp_path / "lenet.db"
    ) as db:  # the app refuses such a name: written by hand
        db.execute("UPDATE runs SET name = ?", (HOSTILE,))
    assert runs.main(["--database", url, "list"]) == 0
    listed = capsys.readouterr().out
    assert runs.main(["--database", url, "show", "1"]) == 0
    shown = capsys.readouterr().out
    for out in (listed, shown):
        assert not any(c in out for c in "\x1b\x07\x9b\u202e"), out
        assert r"Ma\x1b]0;pwned\x07ya\x1b[2J\x1b[31m\u202e" in out
    assert r"bad\x1b[2Jnews\x9b" in shown
    csv_file = tmp_path / "class.csv"
    assert runs.main(["--database", url, "export", "--csv", str(csv_file)]) == 0
    text = csv_file.read_text(encoding="utf-8-sig")
    assert not any(c in text for c in "\x1b\x07\x9b\u202e") and r"pwned\x07ya" in text
    assert runs.main(["--database", url, "show", "9"]) == 2  # errors are escaped too
    assert "\x1b" not in capsys.readouterr().err


def test_show_a_run_without_weights_refuses_to_save_them(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'lenet.db'}"
    store = open_store(url)
    store.finish(store.create("Ana", {}), "diverged", [], {"message": "diverged"})
    store.close()
    out = tmp_path / "w.pt"
    assert runs.main(["--database", url, "show", "1", "--checkpoint", str(out)]) == 2
    assert "run 1 has no stored weights (diverged)" in capsys.readouterr().err
    assert not out.exists()


def test_without_a_name_the_login_name_or_cli(in_process, monkeypatch, capsys):
    monkeypatch.setenv("LOGNAME", "bob.smith")
    assert in_process() == 0
    monkeypatch.setenv("LOGNAME", "=1+2")  # not a nickname
    assert in_process() == 0
    assert [row.name for row in the_runs()] == ["cli", "bob.smith"]
    assert "Recorded as run 2 (nickname cli) in " in capsys.readouterr().out


def test_a_diverged_run_is_recorded_as_diverged(in_process, capsys):
    assert in_process("--lr", "10000", "--name", "Ana") == 1
    (row,) = the_runs()
    assert row.status == "diverged" and "diverged" in row.message
    store = open_store()
    assert store.checkpoint(row.id) is None
    store.close()
    assert "Recorded as run 1 (nickname Ana, diverged) in " in capsys.readouterr().out


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_ctrl_c_records_a_stopped_run_with_its_weights(in_process, monkeypatch, tmp_path, sig):
    """Ctrl-C, a polite kill or the terminal closing: the run stops, saves and is stored."""
    report, pressed = train_cli.ConsoleReport.__call__, []

    def interrupted(self, event) -> None:  # the signal once, at the first evaluation
        report(self, event)
        if type(event).__name__ == "Evaluation" and not pressed:
            pressed.append(event.step)
            os.kill(os.getpid(), sig)

    monkeypatch.setattr(train_cli.ConsoleReport, "__call__", interrupted)
    assert in_process("--epochs", "3", "--evals-per-epoch", "2", "--name", "Ana") == 0
    (row,) = the_runs()
    assert row.status == "stopped" and row.steps < 18
    store = open_store()
    stored, _ = load_checkpoint_bytes(store.checkpoint(row.id), "stored")
    store.close()
    saved, _ = load_checkpoint(tmp_path / "run.pt")  # the trainer's model, as the CLI saved it
    images = torch.randn(16, 1, 32, 32)
    assert isinstance(stored, LeNet5) and torch.equal(stored(images), saved(images))


def test_a_failing_run_is_recorded_as_failed(in_process, monkeypatch):
    def boom(self, event) -> None:
        if type(event).__name__ == "Evaluation":
            raise RuntimeError("the disk\nis full")

    monkeypatch.setattr(train_cli.ConsoleReport, "__call__", boom)
    with pytest.raises(RuntimeError):
        in_process("--name", "Ana")
    (row,) = the_runs()
    assert row.status == "failed" and row.message == "RuntimeError: the disk is full"


@pytest.mark.parametrize("store", ["read-only", "unreachable"])
def test_a_store_that_cannot_take_the_run_is_one_line_and_training_goes_on(
    store, in_process, monkeypatch, tmp_path, capsys
):
    db = tmp_path / "lenet.db"
    open_store(f"sqlite:///{db}").close()
    if store == "unreachable":
        monkeypatch.setenv("LENET_DATABASE_URL", UNREACHABLE)
        code = in_process("--name", "Ana")
    else:
        with read_only(db):
            code = in_process("--name", "Ana")
    out, err = capsys.readouterr()
    assert code == 0 and (tmp_path / "run.pt").is_file() and "Saved " in out
    assert "Recorded as" not in out and "Traceback" not in err
    (line,) = store_lines(err)
    assert line.startswith("Run store: ") and line.endswith("; the run is not recorded")
    assert ("read-only" if store == "read-only" else "cannot reach") in line
    assert "secretpw" not in line
    assert the_runs(f"sqlite:///{db}") == []


def test_new_files_are_written_whole_and_never_over_another(tmp_path):
    path = tmp_path / "w.pt"
    path.write_bytes(b"mine")
    with pytest.raises(runs.RunsError, match="w.pt already exists"):
        runs.write_new(path, b"weights", replace=False)  # as a save racing ours would find it
    assert path.read_bytes() == b"mine"
    runs.write_new(path, b"table", replace=True)
    assert path.read_bytes() == b"table" and [p.name for p in tmp_path.iterdir()] == ["w.pt"]


def test_show_a_run_without_results_prints_dashes_and_says_which_evaluations(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'lenet.db'}"
    store = open_store(url)
    store.create("Ana", {"optimizer": "sgd", "model": {}})  # queued: no results yet
    long = store.create("Ben", {"optimizer": "sgd", "model": {}})
    evaluations = [
        {"step": 10 * i, "epoch": i / 7, "train_loss": 0.5, "val_accuracy": 0.9} for i in range(14)
    ]
    store.finish(long, "done", evaluations, {"test_accuracy": 0.95, "seconds": 3.0, "steps": 140})
    store.close()
    assert runs.main(["--database", url, "show", "1"]) == 0
    text = capsys.readouterr().out
    assert "Test accuracy -; training -; steps -\n" in text and "None" not in text
    assert runs.main(["--database", url, "show", "2"]) == 0
    text = capsys.readouterr().out
    assert "training 3.0 s; steps 140" in text
    assert "Curves (10 of 14 evaluations, evenly spread from the first to the last):" in text
    assert text.count("\n 130   1.86 ") == 1  # the last evaluation is among them
    assert "None" not in text  # val_loss and train accuracy were not recorded: "-"


def test_a_pipe_closed_early_ends_quietly(tmp_path):
    url = f"sqlite:///{tmp_path / 'lenet.db'}"
    store = open_store(url)
    for i in range(3000):  # more than a pipe's buffer holds
        store.create(f"S{i}", {"optimizer": "sgd", "model": {}})
    store.close()
    env = {**os.environ, "LENET_DATABASE_URL": url}
    done = subprocess.run(
        ["bash", "-c", "set -o pipefail; python -m lenet.runs list | head -1"],
        capture_output=True,
        text=True,
        env={**env, "PATH": f"{Path(os.sys.executable).parent}:{env['PATH']}"},
        cwd=ROOT,
        timeout=120,
    )
    assert done.stdout.split()[:3] == ["Run", "Nickname", "Status"]
    assert done.stderr == "" and done.returncode == 141  # as `yes | head -1`
    with subprocess.Popen(
        [os.sys.executable, "-m", "lenet.runs", "list", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    ) as listing:
        assert json.loads(listing.stdout.readline())["name"] == "S2999"
        listing.stdout.close()  # the reader goes away after the first line
        assert listing.wait(60) == 141 and listing.stderr.read() == b""
