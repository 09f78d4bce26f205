"""The code's layout as data, for tests/test_imports.py: every module of `lenet` and `demo`, the
project imports each makes (lazy ones too, not those under `if TYPE_CHECKING:`), and the rooms
(packages) that the `May import:` line of each package's docstring allows it."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from tests.paths import ROOT

OURS = ("lenet", "demo")
TOP = {  # modules directly in lenet/ and demo/, each its own room, and what it may import
    "lenet.errors": set(),
    "lenet.terminal": set(),
    "lenet.config": {"lenet.errors"},
    "lenet.model": {"lenet.errors", "lenet.config"},
    "lenet.reading": {"lenet.data", "lenet.model"},
    # `python -m lenet.X`: thin entries, nothing imports them
    "lenet.train": {"lenet.cli"},
    "lenet.evaluate": {"lenet.cli"},
    "lenet.predict": {"lenet.cli"},
    "lenet.runs": {"lenet.cli"},
    "lenet.export": {"lenet.cli"},
    # the app's wiring: the server, the pages' navigation and the warm-up may import anything
    "demo.serve": {"*"},
    "demo.app": {"*"},
    "demo.preload": {"*"},
}


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    imports: frozenset[str]  # project modules, packages or "streamlit"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_nodes(tree: ast.AST):
    """Every node except those under `if TYPE_CHECKING:` (imports for type hints only)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def modules() -> dict[str, Module]:
    paths = [p for root in OURS for p in (ROOT / root).rglob("*.py") if "migrations" not in p.parts]
    names = {module_name(p): p for p in paths}
    found = {}
    for name, path in names.items():
        imports = set()
        for node in _runtime_nodes(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:  # `from demo.views import draw`: the module draw
                    full = f"{node.module}.{alias.name}"
                    imports.add(full if full in names else node.module)
            elif isinstance(node, ast.Import):
                imports.update(alias.name for alias in node.names)
        ours = {i for i in imports if i.split(".")[0] in OURS}
        if any(i.split(".")[0] == "streamlit" for i in imports):
            ours.add("streamlit")
        found[name] = Module(name, path, frozenset(ours - {name}))
    return found


def rooms() -> dict[str, set[str]]:
    """Package -> what its `May import:` line allows (packages, top modules, `streamlit`)."""
    allowed = {}
    for init in [p for root in OURS for p in (ROOT / root).rglob("__init__.py")]:
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        match = re.search(r"^May import: (.*?)(?:\n\s*\n|\Z)", doc, re.M | re.S)
        if match:
            words = re.split(r"[,\s]+", match.group(1).strip().rstrip("."))
            allowed[module_name(init)] = {w for w in words if w and w != "nothing"}
    return allowed


def room_of(name: str, packages: dict[str, set[str]]) -> str:
    """The module's room: a top module itself, else the deepest package that states its rules."""
    if name in TOP or name in packages or name.endswith(".__main__"):
        return name
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        if ".".join(parts[:cut]) in packages:
            return ".".join(parts[:cut])
    return name
