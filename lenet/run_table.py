"""Stored runs as text: the settings in one short line, and the CSV a spreadsheet opens safely.

Shared by the Class page's download and `python -m lenet.runs export`, so both files have the
same columns. Rows are `lenet.store.RunRow`s; their `settings` is `TrainConfig.to_dict()`, read
with defaults (a run stored by an older version may lack a key).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import fields

from lenet.store import RunRow
from lenet.train import TrainConfig

SETTING_KEYS = [f.name for f in fields(TrainConfig) if f.name != "model"] + [
    "activation",
    "pooling",
]
DIGITS = [f"accuracy_digit_{d}" for d in range(10)]
CSV_COLUMNS = (
    ["id", "name", "status", "source", "created_at", "finished_at", "test_accuracy"]
    + DIGITS
    + ["seconds", "steps"]
    + SETTING_KEYS
    + ["message"]
)
ACCURACY_DECIMALS = 6  # accuracies are stored as float32: more digits are noise
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula


def short_settings(settings: dict) -> str:
    """The settings a student changes most, in one short line: 'adamw lr 0.003 · 4 ep · ...'."""
    model = settings.get("model") or {}
    lr = settings.get("lr")
    parts = [
        f"{settings.get('optimizer', '?')} lr {lr:g}" if isinstance(lr, int | float) else "lr ?",
        f"{settings.get('epochs', '?')} ep",
        f"batch {settings.get('batch_size', '?')}",
        f"{model.get('activation', '?')}/{model.get('pooling', '?')}",
    ]
    if settings.get("scheduler", "none") != "none":
        parts.append(str(settings["scheduler"]))
    if isinstance(settings.get("train_size"), int):
        parts.append(f"{settings['train_size']:,} imgs")
    return " · ".join(parts)


def cell(value: object) -> object:
    """A CSV cell no spreadsheet runs as a formula: text whose first character other than a
    space is = + - @ (or their fullwidth forms), or that starts with a tab or CR, gets a '."""
    if value is None:
        return ""
    if isinstance(value, str):
        first = unicodedata.normalize("NFKC", value.lstrip(" ")[:1])
        if value.startswith(FORMULA_START) or first in FORMULA_START:
            return "'" + value
    return value


def csv_row(row: RunRow, name: str | None = None) -> list:
    """One run's CSV cells; `name` replaces the nickname (hidden names for projection)."""
    settings = {**row.settings, **(row.settings.get("model") or {})}
    digits = [_fraction(d) for d in (list(row.per_class or []) + [None] * 10)[:10]]
    stamps = [s.isoformat() if s else None for s in (row.created_at, row.finished_at)]
    values = [row.id, name or row.name, row.status, row.source, *stamps]
    values.append(_fraction(row.test_accuracy))
    values += [*digits, row.seconds, row.steps, *(settings.get(k) for k in SETTING_KEYS)]
    return [cell(v) for v in [*values, row.message]]


def _fraction(value: object) -> object:
    """An accuracy (a fraction, 0-1) to 6 decimals: 0.9533, not 0.9532999992370605."""
    return round(value, ACCURACY_DECIMALS) if isinstance(value, float) else value


def csv_bytes(rows: Iterable[RunRow], names: Mapping[int, str] | None = None) -> bytes:
    """The runs, in the order given, as CSV: UTF-8 with a BOM, so spreadsheets read accents."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_row(row, (names or {}).get(row.id)) for row in rows)
    return out.getvalue().encode("utf-8-sig")
