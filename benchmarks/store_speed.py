"""The run store's write and read times with a class's worth of runs, SQLite and PostgreSQL.

    python benchmarks/store_speed.py [--runs 1000] [--postgres postgresql://...] [--json]

Writes `--runs` realistic runs one after another, as the recorder does: create, running, ~20
curve updates (the whole curve so far each time), then the end with results and ~250 kB of
weights (`checkpoint_bytes` of a LeNet5). Then times the reads the app and the CLIs make: the
list of every run's summary (Class page, `lenet.runs list`), the curves of 50 runs (the overlaid
chart), and one run's weights read and loaded (choosing a stored model on Draw or Inspect).
SQLite is a new file in a temporary folder; with `--postgres URL` the same runs go into a schema
of their own on that server, dropped afterwards. Prints a markdown table; with `--json` also one
JSON object as its last line.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lenet.files.checkpoint import checkpoint_bytes, load_checkpoint_bytes  # noqa: E402
from lenet.model import LeNet5  # noqa: E402
from lenet.store.engine import parse_url  # noqa: E402
from lenet.store.runs import RunStore, open_store  # noqa: E402
from lenet.training.presets import PRESETS  # noqa: E402

EVALUATIONS = 20
CURVE_RUNS = 50
REPEATS = 5  # each read is timed this many times; the median is shown
NAMES = [
    f"{first} {letter}" for first in ("Ana", "Ben", "Cleo", "Dev", "Eli") for letter in "ABCDEF"
]
BEST_LR = {"sgd": 0.1, "adam": 1e-3, "adamw": 3e-3}


def evaluation(i: int, final: float, rng: random.Random) -> dict:
    """The i-th of EVALUATIONS evaluations of a run rising to `final`, as the recorder keeps it."""
    reached = final * (1 - math.exp(-4 * (i + 1) / EVALUATIONS))
    return {
        "event": "Evaluation", "step": 85 * (i + 1), "epoch": (i + 1) / 4,
        "train_loss": 2.3 * (1 - reached) + rng.random() * 0.05,
        "train_accuracy": max(0.0, reached - rng.random() * 0.01),
        "val_loss": 2.3 * (1 - reached) + rng.random() * 0.05, "val_accuracy": reached,
    }  # fmt: skip


def write_run(store: RunStore, rng: random.Random, weights: bytes) -> None:
    """One run as the app or the CLI records it: a preset with a random optimizer and lr."""
    optimizer = rng.choice(list(BEST_LR))
    lr = float(f"{BEST_LR[optimizer] * 10 ** rng.uniform(-2, 1):.3g}")
    config = replace(rng.choice(list(PRESETS.values())).config, optimizer=optimizer, lr=lr)
    run_id = store.create(rng.choice(NAMES), config.to_dict(), source="cli")
    store.update(run_id, status="running")
    final = max(0.1, 0.992 - 0.06 * math.log10(lr / BEST_LR[optimizer]) ** 2)
    curves: list[dict] = []
    for i in range(EVALUATIONS):
        curves.append(evaluation(i, final, rng))
        store.update(run_id, curves=list(curves))
    per_class = [min(1.0, final + rng.uniform(-0.02, 0.01)) for _ in range(10)]
    result = {"test_accuracy": final, "per_class": per_class, "seconds": rng.uniform(5, 90),
              "steps": 85 * EVALUATIONS, "message": "Training done."}  # fmt: skip
    store.finish(run_id, "done", curves, result, checkpoint=weights)


def timed(work: Callable[[], object], repeats: int = REPEATS) -> float:
    """The median seconds of `repeats` calls of `work`."""
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def measure(url: str, runs: int, weights: bytes, seed: int = 0) -> dict:
    """Write `runs` runs into the empty store at `url`, then time the reads."""
    rng = random.Random(seed)
    store = open_store(url)
    per_run = []
    began = time.perf_counter()
    for _ in range(runs):
        start = time.perf_counter()
        write_run(store, rng, weights)
        per_run.append(time.perf_counter() - start)
    write_s = time.perf_counter() - began
    ids = [row.id for row in store.runs()]
    assert len(ids) == runs, f"{len(ids)} runs stored of {runs}"
    chosen = rng.sample(ids, min(CURVE_RUNS, len(ids)))
    one = rng.choice(ids)
    result = {
        "write_s": round(write_s, 2),
        "write_per_run_ms": round(1000 * statistics.median(per_run), 1),
        "write_per_run_p95_ms": round(1000 * sorted(per_run)[math.ceil(0.95 * runs) - 1], 1),
        "list_ms": round(1000 * timed(store.runs), 1),
        "curves_50_ms": round(1000 * timed(lambda: store.curves(chosen)), 1),
        "checkpoint_ms": round(
            1000 * timed(lambda: load_checkpoint_bytes(store.checkpoint(one), "stored")), 1
        ),
    }
    store.close()
    return result


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A URL whose tables live in a new schema of their own, dropped afterwards (the tests'
    `store_url` fixture uses it too: each test starts from an empty database, and two test
    sessions on one server never meet)."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(parse_url(url), poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        own = parse_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield own.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


ROWS = [
    ("write_s", "write {runs} runs (s)"),
    ("write_per_run_ms", "write one run, median (ms)"),
    ("write_per_run_p95_ms", "write one run, p95 (ms)"),
    ("list_ms", "list {runs} summaries, median (ms)"),
    ("curves_50_ms", "curves of 50 runs, median (ms)"),
    ("checkpoint_ms", "one run's weights, read + load, median (ms)"),
    ("database_mb", "database file (MB)"),
]


def markdown(results: dict) -> str:
    backends = list(results["backends"])
    lines = ["| | " + " | ".join(backends) + " |", "|---|" + "---:|" * len(backends)]
    for key, label in ROWS:
        cells = [str(results["backends"][b].get(key, "-")) for b in backends]
        lines.append(f"| {label.format(runs=results['runs'])} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="runs written before the reads")
    parser.add_argument("--postgres", help="also a PostgreSQL server: postgresql://USER:PW@HOST/DB")
    parser.add_argument("--json", action="store_true", help="also print one JSON object")
    args = parser.parse_args()
    weights = checkpoint_bytes(LeNet5(), {"name": "benchmark"})
    results = {"runs": args.runs, "evaluations": EVALUATIONS, "weights_kb": len(weights) // 1000}
    folder = Path(tempfile.mkdtemp(prefix="lenet-store-speed-"))
    sqlite = measure(f"sqlite:///{folder / 'runs.db'}", args.runs, weights)
    sqlite["database_mb"] = round((folder / "runs.db").stat().st_size / 1e6, 1)
    shutil.rmtree(folder)
    results["backends"] = {"sqlite": sqlite}
    if args.postgres:
        with postgres_schema(args.postgres) as url:
            results["backends"]["postgresql"] = measure(url, args.runs, weights)
    print(markdown(results))
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
