"""Build the run store the first release wrote (schema 0001), for the migration tests.

    python scripts/make_old_store.py [--out tests/fixtures/runs_v1.db]

Writes a SQLite file at schema 0001 only (`alembic upgrade 0001`) holding three runs as that
release stored them: one done with a real LeNet-5 checkpoint as its weights, one failed, one
stopped; nicknames in mixed case, one not ASCII ("Zoë"). The tests copy it and open it with
today's `lenet.store.runs.open_store`, which must migrate it without losing a thing.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
import torch
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine

from lenet.files.checkpoint import checkpoint_bytes
from lenet.model import LeNet5
from lenet.store.engine import MIGRATIONS, create_engine, parse_url, schema_connection

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "runs_v1.db"
FIRST = "0001"
SETTINGS = {"epochs": 2, "batch_size": 64, "optimizer": "adam", "lr": 0.003, "seed": 0}
CURVE = [
    {"event": "Evaluation", "step": 79, "epoch": 1.0, "train_loss": 0.61, "train_accuracy": 0.81,
     "val_loss": 0.25, "val_accuracy": 0.93},
    {"event": "Evaluation", "step": 158, "epoch": 2.0, "train_loss": 0.2, "train_accuracy": 0.94,
     "val_loss": 0.16, "val_accuracy": 0.95},
]  # fmt: skip
# (name, status, test accuracy, message, with weights), as the first release wrote them
RUNS = [
    ("Alice", "done", 0.951, None, True),
    ("Zoë", "failed", None, "out of memory", False),
    ("bob Smith", "stopped", 0.62, None, False),
]


def move_schema(engine: Engine, revision: str, down: bool = False) -> None:
    """Upgrade (or downgrade) the store's schema to `revision`, as `alembic upgrade REV` would."""
    with schema_connection(engine) as connection:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def first_checkpoint() -> bytes:
    """A real checkpoint (a LeNet-5 as built with seed 0), as the first release stored one."""
    torch.manual_seed(0)
    return checkpoint_bytes(LeNet5(), {"name": "run1", "train_config": SETTINGS})


def insert_first_rows(connection: Connection, checkpoint: bytes) -> None:
    """The three runs of `RUNS`, with only the columns schema 0001 has."""
    meta = sa.MetaData()
    runs = sa.Table("runs", meta, autoload_with=connection)
    weights = sa.Table("run_weights", meta, autoload_with=connection)
    for index, (name, status, accuracy, message, keep) in enumerate(RUNS):
        created = datetime(2025, 3, 4, 9, 15 + index, tzinfo=UTC)
        run_id = connection.execute(
            runs.insert().values(
                name=name, source="app", status=status, created_at=created,
                finished_at=created.replace(second=40), settings=SETTINGS,
                app_settings={"preset": "Quick demo"}, curves=CURVE[: 2 - (status != "done")],
                test_accuracy=accuracy, per_class=[accuracy] * 10 if accuracy else None,
                seconds=12.5, steps=158, message=message,
            )
        ).inserted_primary_key[0]  # fmt: skip
        if keep:
            connection.execute(weights.insert().values(run_id=run_id, checkpoint=checkpoint))


def make_old_store(url: str, checkpoint: bytes) -> None:
    """A store at `url` (empty) brought to schema 0001 and given the first release's rows."""
    engine = create_engine(parse_url(url))
    try:
        move_schema(engine, FIRST)
        with engine.connect().execution_options(write=True) as connection, connection.begin():
            insert_first_rows(connection, checkpoint)
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    out = parser.parse_args().out.resolve()
    out.unlink(missing_ok=True)
    make_old_store(f"sqlite:///{out}", first_checkpoint())
    with sa.create_engine(f"sqlite:///{out}").connect() as connection:
        connection.exec_driver_sql("PRAGMA journal_mode = DELETE")  # one file, no -wal beside it
        connection.exec_driver_sql("VACUUM")
    print(f"wrote {out} ({out.stat().st_size // 1024} kB)")


if __name__ == "__main__":
    main()
