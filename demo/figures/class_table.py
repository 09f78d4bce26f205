"""The Class page's leaderboard as an HTML table that fits the screen it is on: a desktop, a
projector, a phone. Plain Python (no Streamlit): `BoardRow`s in, markup out, every value escaped
(nicknames are students' own text).

Rank, nickname, test accuracy, settings and the start time always show; status, training time
and the run's number where there is room. Each of those has a width of the table's box below
which it is hidden (a CSS container query, in `em` of the box's font, so the projector's larger
type hides them sooner). Below `STACK_BELOW` (a phone, a projector) the settings move under the
nickname in smaller type, and a status other than "finished" under the accuracy. Text cells
wrap; accuracies never do. The viewer's own runs are highlighted and say "(you)". Past
`SCROLL_FROM` rows the table scrolls inside its box, which the keyboard can reach (WCAG: a
scrolling region must be focusable).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from demo.classroom.board import NOTHING, BoardRow
from demo.ui.text import printable

STACK_BELOW = 44  # em: narrower, settings go under the nickname and a status under the accuracy
SCROLL_FROM = 35  # more rows than this: the table scrolls in a box (a class fits without)
CAPTION = "The class's runs, best test accuracy first. Your own runs say (you)."
BAD = (NOTHING, "diverged", "failed")  # statuses shown in the warning colour


@dataclass(frozen=True)
class Column:
    key: str  # the cells' CSS class: c-<key>
    header: str
    hide_below: float | None = None  # em of the box's font; None: always shown


COLUMNS = (
    Column("rank", "Rank"),
    Column("name", "Nickname"),
    Column("accuracy", "Test accuracy"),
    Column("status", "Status", hide_below=STACK_BELOW),
    Column("settings", "Settings", hide_below=STACK_BELOW),  # then under the nickname
    Column("time", "Training time", hide_below=50),
    Column("when", "Started"),
    Column("run", "Run", hide_below=58),
)
HIDE_RULES = "".join(
    f"@container board (max-width: {c.hide_below}em) {{ .cb .c-{c.key} {{ display: none; }} }}\n"
    for c in COLUMNS
    if c.hide_below
)

# Colours: every text over WCAG AA's 4.5:1 on white, the header and the highlighted row
# (tests/demo/classroom/test_class_board.py computes them).
TEXT, SUBTEXT, HEAD_BG, LINE, WARN, YOU_BG, YOU_EDGE, FOCUS = (
    "#31333f", "#4b4d57", "#eef0f4", "#d9dce3", "#a3260f", "#fff1b8", "#9a5b00", "#1f6fb4"
)  # fmt: skip
STYLE = f"""
<style>
.cb-box {{ container: board / inline-size; position: relative; font-size: 1rem; }}
.cb-box.cb-big {{ font-size: 1.35rem; }}
.cb-box.cb-scroll {{ max-height: 75vh; overflow-y: auto; border: 1px solid {LINE}; }}
.cb-box:focus-visible {{ outline: 3px solid {FOCUS}; outline-offset: 2px; }}
table.cb {{ width: 100%; border-collapse: collapse; color: {TEXT}; line-height: 1.35;
  font-size: 0.95em; margin: 0; }}
.cb th, .cb td {{ padding: 0.4em 0.5em; text-align: left; vertical-align: top;
  border: none; border-bottom: 1px solid {LINE}; overflow-wrap: anywhere; }}
.cb th {{ background: {HEAD_BG}; font-weight: 600; overflow-wrap: normal; color: {TEXT}; }}
.cb-scroll .cb th {{ position: sticky; top: 0; z-index: 1; }}
.cb .c-rank, .cb .c-accuracy, .cb .c-digits, .cb .c-time, .cb .c-run {{ text-align: right; }}
.cb td.c-rank, .cb td.c-accuracy, .cb td.c-digits, .cb td.c-time, .cb td.c-when, .cb td.c-run
  {{ white-space: nowrap; overflow-wrap: normal; }}
.cb td.c-status {{ overflow-wrap: normal; }}  /* "finished" whole, never "finishe / d" */
.cb td.c-accuracy {{ font-weight: 600; font-variant-numeric: tabular-nums; }}
.cb .cb-why, .cb .cb-sub {{ display: none; white-space: normal; font-weight: 400;
  font-size: 0.85em; }}
.cb .cb-sub {{ color: {SUBTEXT}; margin-top: 0.15em; }}
.cb .cb-bad {{ color: {WARN}; font-weight: 600; }}
.cb tr.cb-you td {{ background: {YOU_BG}; }}
.cb tr.cb-you td:first-child {{ box-shadow: inset 5px 0 0 {YOU_EDGE}; }}
.cb .cb-mark {{ font-weight: 700; white-space: nowrap; }}
.cb-sr {{ position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip-path: inset(50%); white-space: nowrap; }}
@container board (max-width: 40em) {{ table.cb {{ font-size: 0.9em; }}
  .cb th, .cb td {{ padding: 0.35em 0.3em; }} }}
@container board (max-width: {STACK_BELOW}em) {{ .cb .cb-why, .cb .cb-sub {{ display: block; }}
  .cb .cb-dash {{ display: none; }} }}
{HIDE_RULES}</style>
"""


CLASS_DIGITS = Column("digits", "Class digits")  # shown once the class has labelled digits


def board_html(
    rows: Sequence[BoardRow], big: bool = False, class_digits: dict[int, str] | None = None
) -> str:
    """The leaderboard's markup (a region holding one table); `big`: the projector's type;
    `class_digits`: each run's accuracy on the class's own digits, as shown (by run number),
    a column right after the test accuracy."""
    scroll = len(rows) > SCROLL_FROM
    classes = "cb-box" + (" cb-big" if big else "") + (" cb-scroll" if scroll else "")
    focus = ' tabindex="0"' if scroll else ""  # only a region that scrolls is a tab stop
    columns = list(COLUMNS)
    if class_digits is not None:
        columns.insert(columns.index(COLUMNS[2]) + 1, CLASS_DIGITS)
    heads = "".join(f'<th scope="col" class="c-{c.key}">{c.header}</th>' for c in columns)
    body = "".join(_row(row, columns, class_digits or {}) for row in rows)
    return (
        f'<div class="{classes}" role="region" aria-label="Leaderboard"{focus}>'
        f'<table class="cb"><caption class="cb-sr">{CAPTION}</caption>'
        f"<thead><tr>{heads}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _row(row: BoardRow, columns: list[Column], class_digits: dict[int, str]) -> str:
    status = _text(row.status)
    if row.status in BAD:
        status = f'<span class="cb-bad">{status}</span>'
    why = "" if row.status == "finished" else f'<span class="cb-why">{status}</span>'
    score = '<span class="cb-dash">–</span>' if row.accuracy is None else f"{row.accuracy:.2f}%"
    mark = ' <span class="cb-mark">(you)</span>' if row.you else ""
    settings = _text(row.settings)
    cells = {
        "rank": "–" if row.rank is None else str(row.rank),
        "name": f'<span class="cb-who">{_text(row.name)}</span>{mark}'
        f'<span class="cb-sub">{settings}</span>',  # shown on narrow screens only
        "accuracy": score + why,
        "status": status,
        "settings": settings,
        "time": duration(row.seconds),
        "when": _text(row.when),
        "run": f"#{row.run}",
        "digits": _text(class_digits.get(row.run, "–")),
    }
    tds = "".join(f'<td class="c-{c.key}">{cells[c.key]}</td>' for c in columns)
    return f'<tr class="cb-you">{tds}</tr>' if row.you else f"<tr>{tds}</tr>"


def duration(seconds: float | None) -> str:
    """'12.5 s', '4 min 05 s', '1 h 02 min'; '–' when unknown."""
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def shown_rows(rows: Sequence[BoardRow], most: int) -> list[BoardRow]:
    """The first `most` rows, and the viewer's own runs after them (a student finds theirs)."""
    return list(rows[:most]) + [row for row in rows[most:] if row.you]


def _text(value: object) -> str:
    return html.escape(printable(value))
