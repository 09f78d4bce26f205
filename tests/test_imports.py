"""The one rule of direction: `lenet` never imports streamlit or demo; importing runs nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

LENET = Path(__file__).resolve().parents[1] / "lenet"


def test_importing_every_lenet_module_loads_no_streamlit():
    modules = sorted(f"lenet.{p.stem}" for p in LENET.glob("*.py") if p.stem != "__init__")
    code = (
        "import sys, importlib\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('streamlit', 'demo')]\n"
        "print(len(sys.modules)); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=LENET.parent, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""  # importing prints nothing, warns about nothing


def test_no_lenet_source_mentions_streamlit_or_demo_imports():
    for path in LENET.glob("*.py"):
        text = path.read_text()
        assert "import streamlit" not in text and "from streamlit" not in text, path
        assert "from demo" not in text and "import demo" not in text, path
