"""Words a 16-year-old reads: every caption, help text and notice the pages can show scores grade
10 or lower (Flesch-Kincaid, textstat), and no internal term reaches the page.

Texts of fewer than MIN_WORDS words are labels ("Probability of each digit"): one long word makes
the formula's grade explode there (11.8 a syllable per word), so they are read by the term check
only. Where a text must stay above grade 10, it is listed in EXCEPTIONS with the reason.
"""

from __future__ import annotations

import re

import pytest
import textstat

from tests.demo.words import WRITTEN_BY, object_texts, plain_text, source_texts

MAX_GRADE = 10
MIN_WORDS = 8
EXCEPTIONS: dict[str, str] = {}  # a text's start -> why it may read harder
# what the code calls things, not what a student calls them
INTERNAL = re.compile(r"\b(snapshots?|imgs|ep|fit|fitted|fitting|relu/max|tanh/max|lr)\b", re.I)

TEXTS = source_texts() + object_texts()


def grade(text: str) -> float:
    return textstat.flesch_kincaid_grade(text)


def test_the_collector_sees_the_pages_texts():
    # would fail if the collector broke and found nothing to check
    assert len(TEXTS) > 150
    assert any("Start training" in t.text or "Train a new network" in t.text for t in TEXTS)


@pytest.mark.parametrize("text", [t for t in TEXTS if len(plain_text(t.text).split()) >= MIN_WORDS],
                         ids=lambda t: t.where)  # fmt: skip
def test_every_caption_help_and_notice_reads_at_grade_10_or_lower(text):
    words = plain_text(text.text)
    if any(words.startswith(start) for start in EXCEPTIONS):
        return
    assert grade(words) <= MAX_GRADE, f"grade {grade(words):.1f}: {words}"


def test_no_internal_term_reaches_the_page():
    written = source_texts(calls=WRITTEN_BY) + object_texts()
    found = [(t.where, m.group(0)) for t in written if (m := INTERNAL.search(plain_text(t.text)))]
    assert not found


def test_the_grade_measure_tells_plain_words_from_an_engineers():
    plain = "Press Start and watch the network learn. The charts grow as it trains."
    dense = (
        "Cross-entropy minimisation via stochastic gradient descent with momentum-accelerated "
        "parameter updates; convergence characteristics depend on hyperparameterisation."
    )
    assert grade(plain) <= 6 < MAX_GRADE < grade(dense)


def test_every_picture_the_pages_show_has_a_text_alternative():
    """axe's image-alt rule in the browser tests sees only the pages they open: every `st.image`
    in demo/ names what it shows (`alt=`)."""
    import ast

    from tests.demo.words import ROOT

    missing = []
    for path in (ROOT / "demo").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            picture = isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "image"
            if picture and not any(k.arg == "alt" for k in node.keywords):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not missing
