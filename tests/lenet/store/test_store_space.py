"""Issue 28: a run store that stays its size. Old runs' timelines go past the limits (results
and weights stay), a delete or a clear gives the space back to the disk (on main a cleared
1,319 MB file stayed 1,319 MB), and `python -m lenet.runs prune` frees a class that has ended."""

from __future__ import annotations

import numpy as np

from lenet.cli import runs
from lenet.store.runs import open_store

WEIGHTS = np.random.default_rng(0).random(61_706, dtype=np.float32).tobytes()  # ~247 kB


def run_with_timeline(store, name: str, steps: int = 8) -> int:
    run_id = store.create(name, {"optimizer": "sgd"})
    store.add_snapshots(run_id, [(s, s / steps, WEIGHTS) for s in range(steps)])
    store.finish(run_id, "done", [], {"test_accuracy": 0.9}, checkpoint=b"w" * 1000)
    return run_id


def with_timelines(store) -> set[int]:
    return {row.id for row in store.runs() if store.snapshot_steps(row.id)}


def test_only_the_newest_runs_keep_their_timelines_and_results_stay(store):
    ana = [run_with_timeline(store, "Ana", 2) for _ in range(5)]
    ben = [run_with_timeline(store, "ben", 2) for _ in range(2)]
    maya = run_with_timeline(store, "M\u0430ya", 2)  # a look-alike of Maya: one nickname
    maya2 = run_with_timeline(store, "Maya", 2)
    assert store.thin_timelines(per_name=3, kept=6) == 3
    assert with_timelines(store) == {ana[3], ana[4], *ben, maya, maya2}  # the newest 6, 3 each
    assert store.thin_timelines(per_name=1, kept=100) == 3
    assert with_timelines(store) == {ana[4], ben[1], maya2}
    assert len(store.runs()) == 9 and all(r.test_accuracy == 0.9 for r in store.runs())
    assert store.checkpoint(ana[0])  # the final weights stay


def test_a_clear_and_a_delete_give_the_space_back(tmp_path):
    path = tmp_path / "lenet.db"
    store = open_store(f"sqlite:///{path}")
    ids = [run_with_timeline(store, f"s{k}", 20) for k in range(8)]  # ~40 MB of timelines
    full = store.size_bytes()
    assert full > 35 * 2**20
    for run_id in ids[:5]:
        store.delete(run_id)
    assert store.size_bytes() < full * 0.6  # most of it back once a quarter was free
    assert store.clear() == 3
    assert store.size_bytes() < 2 * 2**20 and path.stat().st_size < 2 * 2**20
    store.close()


def test_prune_keeps_results_drops_timelines_and_says_what_it_freed(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'lenet.db'}"
    store = open_store(url)
    ids = [run_with_timeline(store, "Ana", 20) for _ in range(3)]
    store.close()
    assert runs.main(["--database", url, "prune", "--timelines", "1"]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("Dropped the timelines of 2 runs; ") and out.endswith(" MB")
    before, after = (float(x.split()[0]) for x in out.split("; ")[1].split(" -> "))
    assert after < before / 2
    store = open_store(url)
    assert with_timelines(store) == {ids[-1]} and len(store.runs()) == 3
    store.close()
    assert runs.main(["--database", url, "prune", "--timelines", "-1"]) == 2
    assert "--timelines is a number of runs" in capsys.readouterr().err
