"""Outside text shown as plain text, never Markdown."""

from __future__ import annotations

import re

import pytest

from demo.ui.text import WORD_JOINER, code, plain, printable, shorten


def code_span_content(markdown: str) -> str:
    """What CommonMark shows for `markdown` when it is exactly one code span, else fail."""
    fence = re.match("`+", markdown)
    assert fence, markdown
    n = len(fence.group())
    inner = markdown[n:-n]
    assert markdown.endswith(fence.group()) and markdown[-n - 1] != "`", markdown
    assert not any(len(run) == n for run in re.findall("`+", inner)), markdown  # closes early
    if len(inner) >= 2 and inner[0] == inner[-1] == " " and inner.strip(" "):
        inner = inner[1:-1]
    return inner


def test_markdown_from_a_file_name_or_a_link_is_shown_as_written():
    assert plain("[prize](http://x).pt") == r"\[prize\](http:" + WORD_JOINER + "//x).pt"
    assert plain("![p](x.png)") == r"\!\[p\](x.png)"
    shown = plain("**bold** _it_ `code` :red[x] <b>")
    assert shown == r"\*\*bold\*\* \_it\_ \`code\` :" + WORD_JOINER + r"red\[x\] \<b\>"
    assert plain("notes.pt: it is a text file") == "notes.pt: it is a text file"


@pytest.mark.parametrize(
    "text",
    ["http://evil.example/x", "HTTPS://evil.example", "WWW.evil.example", "me@evil.example"]
    + [":smile:", ":+1:", ":material/home:", "ftp://evil.example", ":red[boo]", "a :red b"],
)
def test_what_streamlit_finds_after_parsing_is_broken_by_an_invisible_joiner(text):
    # Streamlit links `http://`, `www.` and emails, swaps `:smile:` for an emoji and drops
    # `:red` in parsed text, whatever backslashes stood before them: a word joiner stops each
    shown = plain(text)
    assert WORD_JOINER in shown
    assert not re.search(r"(?i)https?://|www\.|@\w|:[\w+/-]", shown)
    assert re.sub(r"\\(.)", r"\1", shown).replace(WORD_JOINER, "") == text


def test_characters_that_do_not_print_are_shown_as_a_mark():
    assert printable("a\nb\x00c\u202ed\tе") == "a\ufffdb\ufffdc\ufffdd\ufffdе"
    assert "\n" not in plain("ok\n# heading") and "\n" not in code("ok\n\n    code")


def test_long_text_is_cut_short():
    assert shorten("x" * 1000) == "x" * 39 + "…"
    assert shorten("short") == "short"
    assert len(shorten("\u202e" * 10_000, 12)) == 12


@pytest.mark.parametrize(
    "text",
    ["plain", "`tick`", "``double``", "a ` b `` c", " spaced ", "`", "  ", "x`", "$x$ :smile:"]
    + ["![p](http://h/p.png)", "<script>alert(1)</script>", "a\\`b"],
)
def test_a_code_span_shows_any_text_exactly(text):
    assert code_span_content(code(text)) == text


def test_an_empty_code_span_still_is_one():
    assert code("") == "` `"
