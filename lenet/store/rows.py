"""What the run store holds, as Python: nicknames as they are checked and compared, and a run's
row as a `RunRow` whose every field has the type it promises, whatever a database written by
another release (or edited by hand) holds: a field of the wrong shape is read as missing."""

from __future__ import annotations

import math
import os
import re
import socket
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from lenet.store.engine import StoreError
from lenet.store.lookalike import shows, skeleton

ACTIVE = ("queued", "running")
STATUSES = ACTIVE + ("done", "stopped", "diverged", "failed", "interrupted")
NAME_CHARS = 24
KEY_CHARS = 40  # the name_key column: a skeleton may be longer than the name ("ß" -> "ss")
_NAME = re.compile(r"^\w[\w .'-]*$")  # checked with the marks of a letter taken out
MOST_MARKS = 3
SILENT_MARKS = ("VARIATION SELECTOR", "COMBINING GRAPHEME JOINER", "MONGOLIAN FREE VARIATION")


def _invisible(char: str) -> bool:
    """Letters that show as nothing (Hangul fillers), format characters and marks that show as
    nothing (variation selectors, the grapheme joiner)."""
    name = unicodedata.name(char, "")
    return "FILLER" in name or unicodedata.category(char) == "Cf" or name.startswith(SILENT_MARKS)


def _marks_fit(name: str) -> bool:
    """Marks (a Devanagari vowel sign, a Thai tone: categories Mn, Mc) only right after a letter
    or another mark, MOST_MARKS at most in a row (more stack into unreadable "Zalgo" text)."""
    run = 0
    for i, char in enumerate(name):
        if unicodedata.category(char) not in ("Mn", "Mc"):
            run = 0
            continue
        run += 1
        before = unicodedata.category(name[i - 1]) if i else ""
        if run > MOST_MARKS or not (before.startswith("L") or before in ("Mn", "Mc")):
            return False
    return True


def _without_marks(name: str) -> str:
    return "".join(c for c in name if unicodedata.category(c) not in ("Mn", "Mc"))


def check_name(raw: str) -> str:
    """A nickname as stored: NFKC (so fullwidth and mathematical letters are the plain ones),
    spaces squeezed; 1 to 24 letters, digits, spaces, . ' - or _, starting with a letter or
    digit (so a CSV cell never starts a formula), none invisible, every one a character the
    page can draw (`lenet.store.lookalike.shows`). Raises StoreError."""
    name = " ".join(unicodedata.normalize("NFKC", raw or "").split())
    if not name:
        raise StoreError("Give a nickname: your runs are kept under it.")
    if not all(shows(c) for c in name):
        raise StoreError("That nickname has characters the page cannot show: choose another.")
    if (
        len(name) > NAME_CHARS
        or len(skeleton(name)) > KEY_CHARS
        or not _NAME.match(_without_marks(name))
        or name[0] == "_"
        or any(_invisible(c) for c in name)
        or not _marks_fit(name)
    ):
        raise StoreError(
            f"A nickname is 1 to {NAME_CHARS} letters, digits, spaces, '.', \"'\", '-' or '_', "
            "starting with a letter or digit."
        )
    return name


def name_key(name: str) -> str:
    """What nickname lookups compare: "Alice", "alice " and "Аlice" (a Cyrillic А) are the
    same student (`lenet.store.lookalike.skeleton`)."""
    return skeleton(check_name(name))


def process_owner(source: str = "cli") -> str:
    """Who trains a run: this host and process (a CLI) or this host and port (an app server)."""
    return f"{source}:{socket.gethostname()}:{os.getpid()}"[:120]


def now() -> datetime:
    return datetime.now(UTC)


def utc(value) -> datetime | None:
    """A time read back from the store, with its zone (SQLite returns UTC without one)."""
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value  # SQLite: we wrote UTC


def _number(value) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok else None


def curve_points(curves) -> tuple:
    """The evaluation dicts of a curve; anything else in it is left out."""
    return tuple(p for p in curves if isinstance(p, dict)) if isinstance(curves, list) else ()


@dataclass(frozen=True)
class RunRow:
    """One stored run; `curves` is empty unless asked for (a tuple of evaluation dicts)."""

    id: int
    name: str
    source: str
    status: str
    created_at: datetime
    updated_at: datetime | None
    finished_at: datetime | None
    settings: dict
    app_settings: dict | None
    test_accuracy: float | None
    per_class: list | None
    seconds: float | None
    steps: int | None
    message: str | None
    owner: str = ""
    curves: tuple = ()

    @classmethod
    def of(cls, row) -> RunRow:
        data = dict(row._mapping)
        per_class = data.get("per_class")
        per_class = [_number(v) for v in per_class] if isinstance(per_class, list) else None
        steps = data.get("steps")
        return cls(
            id=data["id"],
            name=str(data.get("name") or "?"),
            source=str(data.get("source") or "?"),
            status=data["status"] if data.get("status") in STATUSES else "failed",
            created_at=utc(data.get("created_at")) or datetime.fromtimestamp(0, UTC),
            updated_at=utc(data.get("updated_at")),
            finished_at=utc(data.get("finished_at")),
            settings=data["settings"] if isinstance(data.get("settings"), dict) else {},
            app_settings=data.get("app_settings") if isinstance(data.get("app_settings"), dict)
            else None,
            test_accuracy=_number(data.get("test_accuracy")),
            per_class=per_class,
            seconds=_number(data.get("seconds")),
            steps=steps if isinstance(steps, int) and not isinstance(steps, bool) else None,
            message=str(data["message"]) if data.get("message") is not None else None,
            owner=str(data.get("owner") or ""),
            curves=curve_points(data.get("curves")),
        )  # fmt: skip

    def to_dict(self) -> dict:
        """Plain JSON values (times as ISO strings), as `python -m lenet.runs list --json`."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "curves"}
        for key in ("created_at", "updated_at", "finished_at"):
            out[key] = out[key].isoformat() if out[key] else None
        return out
