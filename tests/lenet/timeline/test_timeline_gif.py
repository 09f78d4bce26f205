"""The timeline as an animated GIF (one frame per snapshot) and `python -m lenet.timeline`."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from lenet.cli.timeline import main
from lenet.files.checkpoint import checkpoint_payload, save_checkpoint
from lenet.timeline.file import timeline_payload
from lenet.timeline.gif import BAR_ROW, BARS_Y, LEFT, ORANGE, timeline_gif
from lenet.timeline.snapshots import Snapshot, Timeline
from lenet.training.trainer import Trainer
from tests.conftest import FIXTURE_DIR, FIXTURE_RECIPE
from tests.paths import ARTIFACTS, ROOT

SHORT_RUN = dataclasses.replace(FIXTURE_RECIPE, epochs=1, train_size=2000, batch_size=50)


@pytest.fixture(scope="module")
def trained(small_mnist):
    """A 40-step run on the fixture: its model and its 40-snapshot timeline."""
    trainer = Trainer(SHORT_RUN, small_mnist)
    assert trainer.run().outcome == "done"
    return trainer.model, trainer.snapshots.timeline()


@pytest.fixture(scope="module")
def digit(small_mnist) -> np.ndarray:
    return small_mnist.test_digits[0].astype(np.float32) / 255.0


@pytest.fixture(scope="module")
def gif(trained, digit) -> bytes:
    _, timeline = trained
    return timeline_gif(timeline, SHORT_RUN.model, digit, "test digit #0")


def frames(data: bytes) -> list[np.ndarray]:
    with Image.open(io.BytesIO(data)) as image:
        out = []
        for index in range(image.n_frames):
            image.seek(index)
            out.append(np.asarray(image.convert("RGB")).astype(int))
        return out


def durations(data: bytes) -> list[int]:
    with Image.open(io.BytesIO(data)) as image:
        found = []
        for index in range(image.n_frames):
            image.seek(index)
            found.append(image.info["duration"])
        return found


def test_one_frame_per_snapshot_sized_for_a_projector_looping_forever(trained, gif):
    _, timeline = trained
    with Image.open(io.BytesIO(gif)) as image:
        assert image.format == "GIF" and image.n_frames == len(timeline) == 40
        assert image.size == (1280, 720) and image.info["loop"] == 0
    assert durations(gif) == [200] * 39 + [1500]
    assert len(gif) < 4_000_000  # 40 frames: a few MB at most


def test_the_first_and_last_frames_differ_where_the_network_changed(gif):
    shown = frames(gif)
    first, last = shown[0], shown[-1]
    changed = np.abs(first - last).sum(axis=2) > 30
    assert changed[:72].any()  # the header: another step
    assert changed[124:330, 380:].mean() > 0.2  # conv1's kernels and maps
    assert changed[390:670, 380:].mean() > 0.2  # conv2's filters and maps
    ARTIFACTS.mkdir(exist_ok=True)
    Image.fromarray(first.astype(np.uint8)).save(ARTIFACTS / "timeline_gif_first.png")
    Image.fromarray(last.astype(np.uint8)).save(ARTIFACTS / "timeline_gif_last.png")


def predicted_row(frame: np.ndarray) -> int:
    """Which of the ten bar rows holds the orange (predicted) bar."""
    orange = np.abs(frame - np.array(ORANGE)).sum(axis=2) < 40
    rows = [
        orange[BARS_Y + d * BAR_ROW : BARS_Y + (d + 1) * BAR_ROW, LEFT:380].sum() for d in range(10)
    ]
    assert sorted(rows)[-2] == 0, "one bar only is highlighted"
    return int(np.argmax(rows))


def test_the_predicted_digit_is_the_highlighted_bar(trained, gif, digit):
    model, _ = trained
    from lenet.data.preprocess import digit_to_input

    with torch.no_grad():
        reads = int(model(digit_to_input(digit)).argmax())
    assert predicted_row(frames(gif)[-1]) == reads == 7  # the fixture's first test digit


def test_the_header_follows_the_step_even_when_the_weights_stand_still(trained, digit):
    _, timeline = trained
    still = timeline.snapshots[-1].weights
    same = Timeline((Snapshot(5, 0.5, still), Snapshot(9, 0.9, still)), 10)
    first, second = frames(timeline_gif(same, SHORT_RUN.model, digit))
    changed = np.abs(first - second).sum(axis=2) > 0
    assert changed[:60].any() and not changed[80:].any()  # only "step N" moved


def test_a_single_snapshot_is_one_long_frame_and_none_is_refused(trained, digit):
    _, timeline = trained
    one = Timeline(timeline.snapshots[:1], timeline.total_steps)
    data = timeline_gif(one, SHORT_RUN.model, digit)
    assert durations(data) == [1500]
    with pytest.raises(ValueError, match="no snapshots"):
        timeline_gif(Timeline((), 10), SHORT_RUN.model, digit)


# ---- the CLI ----


@pytest.fixture(scope="module")
def files(trained, tmp_path_factory) -> dict[str, Path]:
    """A checkpoint with a timeline, one without, a hostile one, pictures and a data folder."""
    model, timeline = trained
    folder = tmp_path_factory.mktemp("timeline-cli")
    found = {
        "run": save_checkpoint(folder / "run.pt", model, {"timeline": timeline_payload(timeline)}),
        "plain": save_checkpoint(folder / "plain.pt", model),
        "hostile": folder / "hostile.pt",
        "marker": folder / "ran",
        "data": folder / "data",
        "empty": folder / "empty",
    }
    torch.save({**checkpoint_payload(model), "x": Hostile(found["marker"])}, found["hostile"])
    raw = found["data"] / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (raw / name).symlink_to(FIXTURE_DIR / name)
    found["empty"].mkdir()
    return found


class Hostile:
    """An object whose unpickling would run a shell command."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def call(capsys, *argv: str) -> tuple[int, str, str]:
    """main(argv) in this process: (exit status, stdout, stderr)."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exit:  # argparse's usage errors
        code = exit.code
    out, err = capsys.readouterr()
    return code, out, err


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m lenet.timeline ARGS` as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "lenet.timeline", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_json_prints_the_steps_and_epochs_as_one_object(files, trained):
    _, timeline = trained
    done = run(files["run"], "--json")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert len(done.stdout.splitlines()) == 1
    answer = json.loads(done.stdout)
    assert list(answer) == ["snapshots", "steps", "epochs"] and answer["snapshots"] == 40
    assert answer["steps"] == timeline.steps
    assert answer["epochs"] == pytest.approx(timeline.epochs, abs=1e-6)


def test_gif_follows_mnists_first_test_digit(files, tmp_path):
    out = tmp_path / "timeline.gif"
    done = run(files["run"], "--gif", out, env={"LENET_DATA_DIR": str(files["data"])})
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.startswith(f"Wrote {out} (") and "40 frames" in done.stdout
    assert "MNIST test digit #0 (a 7)" in done.stdout and len(done.stdout.splitlines()) == 1
    with Image.open(out) as image:
        assert image.n_frames == 40
    assert sorted(p.name for p in tmp_path.iterdir()) == ["timeline.gif"]  # no temporary file


def test_gif_follows_a_digit_drawn_in_a_picture(files, tmp_path, digit, capsys):
    picture = tmp_path / "my four.png"
    drawn = (255 - digit * 255).astype(np.uint8)  # black ink on white paper, as people draw
    Image.fromarray(drawn).resize((200, 200)).save(picture)
    out = tmp_path / "mine.gif"
    code, stdout, err = call(capsys, files["run"], "--gif", out, "--digit", picture)
    assert code == 0 and err == "" and "following my four.png" in stdout
    with Image.open(out) as image:
        assert image.n_frames == 40


def test_a_checkpoint_without_a_timeline_is_one_line(files):
    done = run(files["plain"], "--json")
    assert done.returncode == 2 and "Traceback" not in done.stderr and done.stdout == ""
    assert done.stderr == (
        "error: plain.pt keeps no training timeline: it was saved before timelines or by a "
        "tool that does not keep them (train it again with python -m lenet.train)\n"
    )


FAILURES = [
    (["missing.pt", "--json"], "error: missing.pt: no such checkpoint file"),
    (["{hostile}", "--json"], "error: hostile.pt: refused, the file holds Python objects"),
    (["{run}"], "python -m lenet.timeline: error: one of the arguments --json --gif is required"),
    (["{run}", "--json", "--gif", "x.gif"], "python -m lenet.timeline: error: argument --gif:"),
    (["{run}", "--json", "--digit", "x.png"], "python -m lenet.timeline: error: --digit goes"),
    (["{run}", "--gif", "{tmp}/no/such/folder/x.gif"], "error: could not write "),
    (["{run}", "--gif", "{tmp}"], "error: {tmp} is a folder: give the name of a plain file"),
    (["{run}", "--gif", "{tmp}/x.gif", "--digit", "{run}"], "error: {run}: not a readable image"),
    (["{run}", "--gif", "{tmp}/x.gif", "--digit", "{blank}"], "error: {blank}: no digit found"),
    (["{run}", "--gif", "{tmp}/x.gif", "--digit", "{tmp}/none.png"], "error: {tmp}/none.png: no"),
]


@pytest.mark.parametrize("argv, first_words", FAILURES)
def test_every_failure_is_one_line_and_exit_status_2(
    files, tmp_path, capsys, monkeypatch, argv, first_words
):
    monkeypatch.setenv("LENET_DATA_DIR", str(files["data"]))
    names = {**{k: str(v) for k, v in files.items()}, "tmp": str(tmp_path)}
    names["blank"] = str(tmp_path / "blank.png")
    Image.new("L", (50, 50), 255).save(names["blank"])
    code, out, err = call(capsys, *[a.format(**names) for a in argv])
    assert code == 2 and out == ""
    assert err.startswith(first_words.format(**names)) and err.count("\n") == 1, err
    assert not files["marker"].exists()  # the hostile file's command never ran
    assert not list(tmp_path.glob("*.gif")) and not list(tmp_path.glob(".*"))  # nothing left


def test_without_mnist_the_error_says_to_pass_a_digit(files, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LENET_DATA_DIR", str(files["empty"]))
    code, out, err = call(capsys, files["run"], "--gif", tmp_path / "x.gif")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("error: no digit to draw: MNIST's test images are not in ")
    assert "pass --digit PNG" in err and list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_the_old_file_as_it_was(files, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LENET_DATA_DIR", str(files["data"]))
    out = tmp_path / "old.gif"
    out.write_bytes(b"GIF89a old")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("lenet.files.checkpoint.os.fsync", disk_full)
    code, _, err = call(capsys, files["run"], "--gif", out)
    assert code == 2 and err == f"error: could not write {out}: No space left on device\n"
    assert out.read_bytes() == b"GIF89a old" and [p.name for p in tmp_path.iterdir()] == ["old.gif"]


def test_help_names_every_option(capsys):
    code, out, _ = call(capsys, "--help")
    assert code == 0
    for words in ("CHECKPOINT", "--json", '"snapshots"', "--gif OUT.gif", "--digit PNG", "MNIST"):
        assert words in out
