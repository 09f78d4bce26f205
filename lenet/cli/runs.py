"""`python -m lenet.runs`: the run store from the command line.

    python -m lenet.runs list [--json] [--name NAME]     every run, newest first
    python -m lenet.runs show ID [--checkpoint OUT.pt]   one run; its weights as a checkpoint file
    python -m lenet.runs export --csv FILE               every run as a spreadsheet
    python -m lenet.runs prune [--timelines N]           a class that has ended: space back

The store is `--database URL`, else `$LENET_DATABASE_URL`, else runs/lenet.db. Every failure (a
bad flag, a store that cannot be read, an unknown run, a file that cannot be written) is one line
on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lenet.cli import digits
from lenet.cli.common import OneLineParser, nickname, positive_int, run_cli
from lenet.errors import LenetError
from lenet.files.checkpoint import checkpoint_bytes, load_checkpoint_bytes, write_file
from lenet.store.runs import RunRow, RunStore, open_store
from lenet.store.table import SETTING_KEYS, csv_bytes, short_settings
from lenet.store.timelines import stored_timeline
from lenet.timeline.file import timeline_payload

CURVE_ROWS = 10  # evaluations `show` prints at most
MAX_ID = 2**31 - 1  # PostgreSQL's INTEGER


class RunsError(LenetError):
    """A run that is not there, or a file that cannot be written."""


def run_id(text: str) -> int:
    """A run's number: 1 or more (and small enough for any database's integer)."""
    value = positive_int(text)
    if value > MAX_ID:
        raise argparse.ArgumentTypeError(f"no run has a number that large: {text}")
    return value


run_id.__name__ = "run number"  # argparse: "invalid run number value: 'x'"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


def number(value: float | None, spec: str) -> str:
    """`value` formatted, or "-" when the run did not record it."""
    return "-" if value is None else format(value, spec)


def table(header: list[str], rows: list[list[str]], right: set[int]) -> str:
    """Plain text columns; the columns in `right` (numbers) aligned right."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        out = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(out).rstrip()

    return "\n".join(line(r) for r in [header, *rows])


def when(row: RunRow) -> str:
    return f"{row.created_at.astimezone():%Y-%m-%d %H:%M}"


def list_runs(store: RunStore, args) -> int:
    rows = store.runs(name=args.name)
    if args.json:
        for row in rows:
            print(json.dumps(row.to_dict()))
        return 0
    if not rows:
        print(f"No runs{f' by {args.name}' if args.name else ''} in {store.where}")
        return 0
    header = ["Run", "Nickname", "Status", "Test acc", "Seconds", "Created", "Source", "Settings"]
    cells = [
        [str(r.id), r.name, r.status, percent(r.test_accuracy),
         "-" if r.seconds is None else f"{r.seconds:.1f}", when(r), r.source,
         short_settings(r.settings)]
        for r in rows
    ]  # fmt: skip
    print(table(header, cells, right={0, 3, 4}))
    return 0


def write_new(path: Path, data: bytes, replace: bool) -> None:
    """Write `data` atomically; with `replace` False an existing file is refused, never
    overwritten (`lenet.files.checkpoint.write_file`)."""
    write_file(path, data, overwrite=replace, error=RunsError, verb="write")


def export(store: RunStore, args) -> int:
    rows = sorted(store.runs(), key=lambda r: r.id)
    write_new(args.csv, csv_bytes(rows), replace=True)
    print(f"Wrote {len(rows)} run{'' if len(rows) == 1 else 's'} to {args.csv}")
    return 0


def curves_shown(count: int) -> str:
    """What `curve_table` shows of `count` evaluations, in words."""
    if count <= CURVE_ROWS:
        return f"{count} evaluation{'' if count == 1 else 's'}"
    return f"{CURVE_ROWS} of {count} evaluations, evenly spread from the first to the last"


def curve_table(curves: list[dict]) -> str:
    """At most CURVE_ROWS evaluations, evenly spread, the last always among them."""
    count = len(curves)
    picked = sorted({round(i * (count - 1) / (CURVE_ROWS - 1)) for i in range(CURVE_ROWS)})
    shown = [curves[i] for i in picked] if count > CURVE_ROWS else curves
    header = ["Step", "Epoch", "Train loss", "Train acc", "Val loss", "Val acc"]
    cells = [
        [number(e.get("step"), ""), number(e.get("epoch"), ".2f"),
         number(e.get("train_loss"), ".4f"), percent(e.get("train_accuracy")),
         number(e.get("val_loss"), ".4f"), percent(e.get("val_accuracy"))]
        for e in shown
    ]  # fmt: skip
    return table(header, cells, right=set(range(6)))


def setting(settings: dict, key: str) -> str:
    """A stored setting as text: "-" when the run did not record it; train_size None is all."""
    value = settings.get(key)
    if value is None:
        return "all" if key == "train_size" and key in settings else "-"
    return str(value)


def show(store: RunStore, args) -> int:
    if args.checkpoint is not None and args.checkpoint.exists():  # before anything is printed
        raise RunsError(
            f"{args.checkpoint} already exists: choose another name (nothing was overwritten)"
        )
    row = store.run(args.id)
    if row is None:
        raise RunsError(f"no run {args.id} in {store.where} (python -m lenet.runs list shows them)")
    stored = bool(store.with_weights([row.id]))
    settings = {**row.settings, **(row.settings.get("model") or {})}
    print(f"Run {row.id} by {row.name} ({row.source}): {row.status}, created {when(row)}")
    print("Settings: " + ", ".join(f"{k} {setting(settings, k)}" for k in SETTING_KEYS))
    if row.message:
        print(f"Outcome: {row.message}")
    seconds = "-" if row.seconds is None else f"{row.seconds:.1f} s"
    steps = "-" if row.steps is None else str(row.steps)
    print(f"Test accuracy {percent(row.test_accuracy)}; training {seconds}; steps {steps}")
    if row.per_class:
        print("Per digit: " + "  ".join(f"{d}: {percent(a)}" for d, a in enumerate(row.per_class)))
    if row.curves:
        print(f"Curves ({curves_shown(len(row.curves))}):")
        print(curve_table(list(row.curves)))
    print(f"Weights: {'stored (--checkpoint OUT.pt saves them)' if stored else 'not stored'}")
    if args.checkpoint is not None:
        save_weights(store, row, args.checkpoint)
    return 0


def save_weights(store: RunStore, row: RunRow, out: Path) -> None:
    """The run's weights as a checkpoint file at `out`, checked loadable, never overwriting."""
    data = store.checkpoint(row.id)
    if data is None:
        raise RunsError(f"run {row.id} has no stored weights ({row.status}): nothing to save")
    model, meta = load_checkpoint_bytes(data, f"run {row.id}'s weights")  # damaged: refused
    timeline = stored_timeline(store, row.id, row.steps or 0)
    if timeline is not None:  # the file keeps the run's timeline too (issue 13)
        data = checkpoint_bytes(model, {**meta, "timeline": timeline_payload(timeline)})
    write_new(out, data, replace=False)
    kept = f" and its timeline ({len(timeline)} snapshots)" if timeline is not None else ""
    print(f"Saved run {row.id}'s weights{kept} to {out}")


def build_parser() -> OneLineParser:
    p = OneLineParser(prog="python -m lenet.runs", description="The stored training runs.")
    p.add_argument(
        "--database",
        metavar="URL",
        help="the run store's URL (default: $LENET_DATABASE_URL, else runs/lenet.db)",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="{list,show,export,prune,digits}")
    listing = sub.add_parser("list", help="every run, newest first")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.add_argument("--name", type=nickname, help="only this nickname's runs (any case)")
    one = sub.add_parser("show", help="one run: settings, results, curves")
    one.add_argument("id", type=run_id, help="the run's number (see list)")
    one.add_argument(
        "--checkpoint", type=Path, help="also save its weights to this new checkpoint file"
    )
    out = sub.add_parser("export", help="every run as a CSV file")
    out.add_argument("--csv", type=Path, required=True, help="the CSV file to write")
    prune_it = sub.add_parser(
        "prune", help="drop old runs' timelines (results and weights stay) and free the space"
    )
    prune_it.add_argument(
        "--timelines", type=int, default=0, metavar="N",
        help="how many of the newest runs keep their timeline (default 0)",
    )  # fmt: skip
    digits.add_parser(sub)
    return p


def prune(store: RunStore, args) -> int:
    """Drop the timelines of all but the newest N runs and give the space back."""
    if args.timelines < 0:
        raise RunsError("--timelines is a number of runs, 0 or more")
    before = store.size_bytes()
    dropped = store.prune(args.timelines)
    after = store.size_bytes()
    size = f"; {mb(before)} -> {mb(after)}" if before is not None else ""
    print(f"Dropped the timelines of {dropped} run{'' if dropped == 1 else 's'}{size}")
    return 0


def mb(size: int | None) -> str:
    return f"{size / 2**20:,.1f} MB"


COMMANDS = {
    "list": list_runs,
    "show": show,
    "export": export,
    "prune": prune,
    "digits": digits.digits_command,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> int:
        store = open_store(args.database)
        try:
            return COMMANDS[args.command](store, args)
        finally:
            store.close()

    return run_cli(body)
