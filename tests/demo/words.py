"""Every caption, help text and notice the pages can show, collected from the source, for the
readability test (tests/demo/test_words.py).

A text is what `st.caption`, `st.info`, `st.warning`, `st.error`, `st.success`, `st.toast` or
`st.spinner` is given, or a `help=` argument, in demo/: string literals, f-strings (each `{...}`
read as the short word "it", so a sentence keeps its length), concatenations, both sides of an
`a if c else b`, and module constants named there. Texts built at run time from other values are
not seen here; the settings' help texts, the presets' summaries, the glossary and the library's
advice are added from the objects that hold them.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from tests.paths import ROOT

SHOWN_BY = {"caption", "info", "warning", "error", "success", "toast", "spinner"}
WRITTEN_BY = SHOWN_BY | {"markdown", "subheader", "header", "title", "metric", "button", "toggle"}
PLACEHOLDER = "it"


@dataclass(frozen=True)
class Text:
    where: str  # "demo/views/train/page.py:123" or the object it came from
    text: str


def _strings(node: ast.AST, constants: dict[str, list[str]]) -> list[str]:
    """The strings an expression can be, as far as the source tells."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        parts = [_strings(v, constants) or [PLACEHOLDER] for v in node.values]
        return ["".join(p[0] for p in parts)]
    if isinstance(node, ast.FormattedValue):
        return [PLACEHOLDER]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _strings(node.left, constants), _strings(node.right, constants)
        return [a + b for a in left or [PLACEHOLDER] for b in right or [PLACEHOLDER]][:8]
    if isinstance(node, ast.IfExp):
        return _strings(node.body, constants) + _strings(node.orelse, constants)
    if isinstance(node, ast.Name):
        return constants.get(node.id, [])
    return []


def _constants(tree: ast.Module) -> dict[str, list[str]]:
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and (values := _strings(node.value, {})):
                found[target.id] = values
    return found


def source_texts(folder: str = "demo", calls: set[str] = SHOWN_BY) -> list[Text]:
    """The texts of every page module given to `calls` (and every help text)."""
    texts = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        tree = ast.parse(path.read_text())
        constants = _constants(tree)
        where = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            shown = isinstance(node.func, ast.Attribute) and node.func.attr in calls
            args = [node.args[0]] if shown and node.args else []
            args += [k.value for k in node.keywords if k.arg == "help" or shown and k.arg == "body"]
            for arg in args:
                texts += [Text(f"{where}:{node.lineno}", s) for s in _strings(arg, constants)]
    return texts


def object_texts() -> list[Text]:
    """The texts kept in objects: settings' help, presets, the glossary."""
    from demo.session.settings import FIELDS
    from demo.ui.glossary import TERMS
    from lenet.training.presets import PRESETS

    texts = [Text(f"FIELDS[{k!r}].help", f.help) for k, f in FIELDS.items()]
    texts += [Text(f"PRESETS[{k!r}].summary", p.summary) for k, p in PRESETS.items()]
    texts += [Text(f"glossary: {term}", meaning) for term, meaning in TERMS.items()]
    return texts


MARKUP = re.compile(r":material/\w+:|:\w+-badge\[|[*_`#>\[\]]|\(http[^)]*\)")


def plain_text(text: str) -> str:
    """`text` without Markdown and icons, as a reader sees it."""
    return re.sub(r"\s+", " ", MARKUP.sub("", text)).strip()
