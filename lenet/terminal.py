"""Text from outside (a stored nickname, a run's message) made harmless for a terminal and a
spreadsheet: control characters are written out as escapes, so an ESC or BEL stored in a run
cannot retitle, clear or colour the terminal that lists it, and a right-to-left override cannot
turn the rest of a line around.

`escaped` does one text; `EscapingWriter` does everything a command-line tool prints
(`lenet.cli.common.run_cli` puts it in front of stdout and of its one-line errors).
"""

from __future__ import annotations

import io
import unicodedata

# Unicode's format characters that reorder or hide what follows (bidi overrides and isolates,
# the marks, zero-width joiners are harmless and kept for scripts that need them)
_REORDERING = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _is_control(character: str) -> bool:
    return unicodedata.category(character) == "Cc" or character in _REORDERING


def _escape(character: str) -> str:
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escaped(text: str, keep: str = "") -> str:
    """`text` with every control character but those in `keep` written as `\\x1b` or `\\u202e`."""
    if text.isprintable() and not _REORDERING.intersection(text):
        return text  # the common case, at C speed
    return "".join(_escape(c) if _is_control(c) and c not in keep else c for c in text)


class EscapingWriter(io.TextIOBase):
    """A text stream in front of another: lines and tabs pass, other control characters are
    escaped on their way to `out`."""

    def __init__(self, out) -> None:
        self.out = out

    def write(self, text: str) -> int:
        self.out.write(escaped(text, keep="\n\t"))
        return len(text)

    def flush(self) -> None:
        self.out.flush()

    def fileno(self) -> int:
        return self.out.fileno()

    def isatty(self) -> bool:
        return self.out.isatty()
