"""Stored runs as text: the settings in one short line, and the CSV a spreadsheet opens safely.

Shared by the Class page's download and `python -m lenet.runs export`, so both files have the
same columns. Rows are `lenet.store.runs.RunRow`s; their `settings` is `TrainConfig.to_dict()`, read
with defaults (a run stored by an older version may lack a key).
"""

from __future__ import annotations

import csv
import io
import math
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import fields

from lenet.config import TrainConfig
from lenet.store.runs import RunRow
from lenet.terminal import escaped

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


OPTIMIZER_NAMES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW"}
SCHEDULE_WORDS = {
    "step": "the rate drops at half and three quarters of the run",
    "cosine": "the rate glides down to zero",
    "onecycle": "the rate warms up, then glides down",
    "plateau": "the rate halves when learning stalls",
}
NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
ALL_IMAGES = 54_000


def settings_in_words(settings: Mapping, full: bool = False) -> str:
    """The settings a student changes most, in plain words: 'AdamW, learning rate 0.005, 64
    images a step, one pass over 10,000 images' (' and the class's digits' when the run learned
    them too); `full` adds the activation, pooling, schedule,
    label smoothing (when used) and seed. `settings` as stored (`TrainConfig.to_dict()`), read
    with defaults: a value of the wrong kind (a run written by hand, or by another version) reads
    as '?'."""
    model = settings.get("model") if isinstance(settings.get("model"), Mapping) else {}
    optimizer = settings.get("optimizer")
    name = OPTIMIZER_NAMES.get(optimizer, "?") if isinstance(optimizer, str) else "?"
    lr, epochs = _number(settings.get("lr")), _number(settings.get("epochs"))
    size = _number(settings.get("train_size")) or ALL_IMAGES
    images = f"{size:,} images" if size < ALL_IMAGES else f"all {ALL_IMAGES:,} images"
    passes = NUMBER_WORDS.get(epochs, "?" if epochs is None else f"{epochs:g}")
    parts = [
        name,
        "learning rate ?" if lr is None else f"learning rate {lr:g}",
        f"{_number(settings.get('batch_size')) or '?'} images a step",
        f"{passes} pass{'' if epochs == 1 else 'es'} over {images}",
    ]
    if settings.get("class_digits"):  # TrainConfig.class_digits: learned the class's digits too
        parts[-1] += " and the class's digits"
    if not full:
        return ", ".join(parts)
    extra = [
        {"relu": "ReLU", "tanh": "tanh"}.get(str(model.get("activation")), "?"),
        {"max": "max pooling", "avg": "average pooling"}.get(str(model.get("pooling")), "?"),
    ]
    if schedule := SCHEDULE_WORDS.get(str(settings.get("scheduler", "none"))):
        extra.append(schedule)
    if smoothing := _number(settings.get("label_smoothing")):
        extra.append(f"label smoothing {smoothing:g}")
    extra.append(f"seed {_number(settings.get('seed')) or 0}")
    return f"{', '.join(parts)}; {', '.join(extra)}"


def _number(value: object) -> int | float | None:
    """A stored number, or None for anything else (text, a list, True)."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    return value if ok else None


def cell(value: object) -> object:
    """A CSV cell no spreadsheet runs as a formula: text whose first character other than a
    space is = + - @ (or their fullwidth forms), or that starts with a tab or CR, gets a ';
    control characters other than line breaks and tabs are written as escapes."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = escaped(value, keep="\n\t")  # no ESC or BEL for a terminal that shows the file
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
