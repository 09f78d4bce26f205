"""The Class page's data, in plain Python (no Streamlit): stored runs -> the leaderboard's rows,
the CSV a teacher downloads, hidden names for projection, the viewer's own runs ("you"), runs
that learned nothing, and the runs whose curves are drawn. Rows are `lenet.store.runs.RunRow`
summaries; settings in words, short settings and CSV cells are `lenet.store.table`'s."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from lenet.store import table as run_table
from lenet.store.lookalike import skeleton, unusual
from lenet.store.runs import ACTIVE, RunRow
from lenet.store.table import settings_in_words, short_settings

FINISHED = ("done", "stopped")  # ranked by test accuracy; every other status after them
STATUS_SHOWN = {"done": "finished", "stopped": "stopped early"}
CHANCE = 0.2  # a finished run below this test accuracy learned nothing (guessing scores ~10%)
NOTHING = "learned nothing"


@dataclass(frozen=True)
class BoardRow:
    """One line of the leaderboard as shown: words and numbers, no markup."""

    rank: int | None
    name: str  # as shown (hidden: "Student 3"), without the "you" mark
    you: bool  # the viewer's own run
    accuracy: float | None  # test accuracy in percent
    status: str  # in words: "finished", "learned nothing", "running", ...
    settings: str  # in words (lenet.store.table.settings_in_words)
    seconds: float | None
    when: str
    run: int


def _group(row: RunRow) -> int:
    if row.status in FINISHED and row.test_accuracy is not None:
        return 0
    return 1 if row.status in ACTIVE else 2


def ranked(rows: Iterable[RunRow]) -> list[RunRow]:
    """Best test accuracy first (earlier run first on a tie); then runs in progress, then
    interrupted, failed and diverged ones, newest first."""

    def order(row: RunRow) -> tuple:
        group = _group(row)
        return (group, -row.test_accuracy, row.id) if group == 0 else (group, -row.id, 0)

    return sorted(rows, key=order)


def ranks(rows: Sequence[RunRow]) -> list[int | None]:
    """Competition ranks (1, 2, 2, 4) of ranked rows; None for runs without a result."""
    out: list[int | None] = []
    for i, row in enumerate(rows):
        if _group(row) != 0:
            out.append(None)
        elif i and out[-1] is not None and row.test_accuracy == rows[i - 1].test_accuracy:
            out.append(out[-1])
        else:
            out.append(i + 1)
    return out


def learned_nothing(row: RunRow) -> bool:
    """A run that finished no better than guessing (test accuracy under CHANCE)."""
    return row.status in FINISHED and row.test_accuracy is not None and row.test_accuracy < CHANCE


def status_words(row: RunRow) -> str:
    """The run's status as the page says it: 'finished', 'learned nothing', 'running', ..."""
    return NOTHING if learned_nothing(row) else STATUS_SHOWN.get(row.status, row.status)


def is_mine(row: RunRow, me: str) -> bool:
    """Whether the viewer (nickname `me`, any case) trained this run."""
    return bool(me) and row.name.casefold() == me.casefold()


def you_labels(rows: Iterable[RunRow], names: dict[int, str], me: str) -> dict[int, str]:
    """Run id -> the name shown, with " (you)" after the viewer's own runs (names hidden too)."""
    return {r.id: names.get(r.id, r.name) + (" (you)" if is_mine(r, me) else "") for r in rows}


def student_numbers(names: dict[int, str]) -> dict[str, int]:
    """Each name shown -> 0, 1, 2, ... in the order the students first trained: their colour."""
    order: dict[str, int] = {}
    for run_id in sorted(names):
        order.setdefault(names[run_id], len(order))
    return order


def shown_names(rows: Iterable[RunRow], hide: bool) -> dict[int, str]:
    """Run id -> the name shown: one per student (nicknames the same in any case), the spelling
    of their first run; hidden: "Student 1..n", numbered in the order the students first
    trained. The same in the table, the charts and the CSV. A name that only looks like an
    earlier one ("Mаya" with a Cyrillic а, after "Maya") says so: "Mаya (looks like Maya;
    а: Cyrillic)"."""
    first: dict[str, str] = {}  # casefolded nickname -> its first spelling, in order of arrival
    looks: dict[str, str] = {}  # its look-alike skeleton -> the first spelling that looked so
    rows = sorted(rows, key=lambda r: r.id)
    for row in rows:
        spelled = first.setdefault(row.name.casefold(), row.name)
        looks.setdefault(skeleton(spelled), spelled)
    if hide:
        numbers = {key: f"Student {n}" for n, key in enumerate(first, start=1)}
        return {r.id: numbers[r.name.casefold()] for r in rows}
    return {r.id: _marked(first[r.name.casefold()], looks) for r in rows}


def _marked(name: str, looks: dict[str, str]) -> str:
    original = looks[skeleton(name)]
    if original.casefold() == name.casefold():
        return name
    odd = unusual(name)
    return f"{name} (looks like {original}{'; ' + odd if odd else ''})"


def when(stamp: datetime, zone: tzinfo | None, today: date) -> str:
    """'14:05' for a time of `today`, else '3 Mar' (with the year when it is not this one)."""
    local = stamp.astimezone(zone)
    if local.date() == today:
        return f"{local:%H:%M}"
    return f"{local.day} {local:%b}" + ("" if local.year == today.year else f" {local.year}")


def leaderboard(
    rows: Sequence[RunRow],
    names: dict[int, str],
    zone: tzinfo | None,
    today: date,
    me: str = "",
) -> list[BoardRow]:
    """The leaderboard's rows, best first (see `ranked`), as the page shows them; `me` is the
    viewer's nickname (their runs are marked)."""
    order = ranked(rows)
    return [
        BoardRow(
            rank=rank,
            name=names.get(row.id, row.name),
            you=is_mine(row, me),
            accuracy=None if row.test_accuracy is None else 100 * row.test_accuracy,
            status=status_words(row),
            settings=settings_in_words(row.settings),
            seconds=row.seconds,
            when=when(row.created_at, zone, today),
            run=row.id,
        )
        for rank, row in zip(ranks(order), order, strict=True)
    ]


def csv_bytes(rows: Sequence[RunRow], names: dict[int, str]) -> bytes:
    """The leaderboard as CSV, best first (`lenet.store.table`: the CLI's export has the same
    columns); `names` as shown (hidden for projection)."""
    return run_table.csv_bytes(ranked(rows), names)


def matching(
    rows: Sequence[RunRow],
    names: dict[int, str],
    nicknames: Sequence[str] = (),
    optimizers: Sequence[str] = (),
    text: str = "",
) -> list[RunRow]:
    """Rows (in their order) of the chosen nicknames and optimizers (none chosen: all) whose
    name or settings (in words, or short) contain `text` (any case)."""
    wanted = text.strip().casefold()
    return [
        row
        for row in rows
        if (not nicknames or names.get(row.id, row.name) in nicknames)
        and (not optimizers or row.settings.get("optimizer") in optimizers)
        and (not wanted or wanted in _searched(row, names).casefold())
    ]


def _searched(row: RunRow, names: dict[int, str]) -> str:
    try:
        short = short_settings(row.settings)
    except (AttributeError, TypeError, ValueError):
        short = ""
    return f"{names.get(row.id, row.name)} {settings_in_words(row.settings, full=True)} {short}"


def curve_runs(rows: Sequence[RunRow], cap: int) -> list[RunRow]:
    """The runs whose curves are drawn: the first `cap` of ranked rows that have begun, did not
    diverge and learned something (a curve at 10% or blown up flattens everyone else's)."""
    drawn = [row for row in rows if row.status not in ("queued", "diverged")]
    return [row for row in drawn if not learned_nothing(row)][:cap]


def optimizers(rows: Iterable[RunRow]) -> list[str]:
    return sorted({str(row.settings.get("optimizer", "?")) for row in rows})
