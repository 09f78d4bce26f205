"""The server: `streamlit run demo/serve.py` (what `make demo` and `make classroom` run).

The same app as `demo/app.py`, started as an `st.App` whose lifespan warms everything up
(`demo.preload.warm_up`) before the first connection is accepted: no student meets a cold import,
and a run's first batch does not wait for MNIST to load.
"""

import contextlib
import sys
from pathlib import Path

# `streamlit run` puts demo/ on sys.path, not the project root that holds `demo` and `lenet`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import streamlit as st  # noqa: E402


@contextlib.asynccontextmanager
async def warm_up(_app):
    from demo.preload import warm_up

    warm_up()
    yield


app = st.App("app.py", lifespan=warm_up)
