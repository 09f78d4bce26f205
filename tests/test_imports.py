"""The layout holds: `lenet` never imports streamlit or demo, importing runs nothing, every
package's docstring says what it may import and its modules keep to it, and no import circles."""

from __future__ import annotations

import subprocess
import sys

from tests.layout import TOP, modules, room_of, rooms
from tests.paths import ROOT

MODULES = modules()
ROOMS = rooms()


def allowed(room: str) -> set[str]:
    if room.endswith(".__main__"):  # `python -m lenet.data|timeline`: an entry, like lenet.train
        return {"lenet.cli"}
    return TOP.get(room, ROOMS.get(room, set()))


def test_importing_every_lenet_module_loads_no_streamlit():
    names = sorted(n for n in MODULES if n.startswith("lenet") and not n.endswith("__main__"))
    code = (
        "import sys, importlib\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('streamlit', 'demo')]\n"
        "print(len(sys.modules)); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""  # importing prints nothing, warns about nothing


def test_every_package_says_what_lives_there_and_what_it_may_import():
    packages = sorted(n for n, m in MODULES.items() if m.path.name == "__init__.py")
    assert len(packages) >= 18, packages
    for name in packages:
        if name in ("lenet", "demo", "demo.views", "demo.training.cluster"):  # rooms of rooms
            continue
        assert name in ROOMS, f"{name}/__init__.py has no 'May import:' line"
    for name, room in ROOMS.items():
        for target in room:
            assert target == "streamlit" or target in MODULES, f"{name} allows unknown {target}"


def test_every_import_keeps_to_its_room():
    wrong = []
    for module in MODULES.values():
        room = room_of(module.name, ROOMS)
        may = allowed(room)
        for target in module.imports:
            there = target if target == "streamlit" else room_of(target, ROOMS)
            if there != room and "*" not in may and there not in may:
                wrong.append(f"{module.name} imports {target} ({there} is not in {room}'s rooms)")
    assert wrong == []


def test_the_layering_the_issue_asks_for():
    """lenet never imports demo or Streamlit; figures never import pages, training never does."""
    for module in MODULES.values():
        tops = {t.split(".")[0] for t in module.imports}
        if module.name.startswith("lenet"):
            assert not tops & {"demo", "streamlit"}, module.name
        if module.name.startswith(("demo.figures", "demo.training")):
            assert not any(t.startswith("demo.views") for t in module.imports), module.name
        if module.name.startswith("demo.figures"):
            assert "streamlit" not in module.imports, module.name
    entries = {n for n in TOP if n.startswith("lenet.") and TOP[n] == {"lenet.cli"}}
    for module in MODULES.values():  # nothing imports a CLI entry, and only entries the CLI
        assert not module.imports & entries, module.name
        if any(t.startswith("lenet.cli") for t in module.imports):
            assert (
                module.name in entries
                or module.name.endswith("__main__")
                or (module.name.startswith("lenet.cli"))
            ), module.name


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iteratively)."""
    index, low, on, stack, found, counter = {}, {}, set(), [], [], [0]
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_import_circles():
    graph = {n: {t for t in m.imports if t in MODULES} for n, m in MODULES.items()}
    assert _cycles(graph) == []
    # the finder finds one: a -> b -> a
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
