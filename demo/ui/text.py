"""Text from outside (a link, a file name, a checkpoint's contents) shown as plain text.

Streamlit's messages render Markdown, and more than Markdown: after parsing, it turns `http://...`,
`www.x.org` and `a@b.org` in the text into live links and `:smile:` into an emoji, whatever
backslashes stood before them. So escaping marks is not enough. Outside text is shown either as a
code span (`code`: nothing inside one is ever formatted, linked or replaced) or, inside a sentence
of our own, with every mark escaped and those patterns broken by an invisible word joiner (`plain`).
"""

from __future__ import annotations

import re

# what turns plain words into formatting, links, pictures, HTML, tables, strikethrough or LaTeX
_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~$!])")
# what Streamlit's renderer finds in text whatever backslashes stood before it: GFM's literal
# autolinks (`http://`, `www.`, emails), emoji and icon shortcodes, and `:name` directives (`:red`
# before an escaped `[` still vanishes). A word joiner there stops each; it is invisible.
_FOUND_AFTER_PARSING = re.compile(r"(?<=:)(?=[\w+/-])|(?<=[wW]{3})(?=\.)|(?<=@)(?=\w)")
WORD_JOINER = "\u2060"
UNPRINTABLE = "\ufffd"  # shown for control, format (RTL override) and line-breaking characters


def printable(text: object) -> str:
    """`text` on one line: each character that does not print (newline, NUL, RTL override) as �."""
    return "".join(c if c.isprintable() else UNPRINTABLE for c in str(text))


def shorten(text: object, limit: int = 40) -> str:
    """`printable(text)`, cut to at most `limit` characters (ending with … when cut)."""
    text = printable(str(text)[: limit + 1])
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: object) -> str:
    """`text` for a Markdown message, shown as written: no formatting, link, picture or emoji."""
    escaped = _MARKDOWN.sub(r"\\\1", printable(text))
    return _FOUND_AFTER_PARSING.sub(WORD_JOINER, escaped)


def code(text: object) -> str:
    """`text` as a Markdown code span: shown exactly as written, in a typewriter font."""
    text = printable(text)
    if not text:
        return "` `"
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    # a span's content may not start or end with its fence; one space each side is stripped again
    edges = text[0] + text[-1]
    pad = " " if "`" in edges or (" " in edges and text.strip(" ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"
