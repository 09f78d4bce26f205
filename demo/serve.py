"""The server: `streamlit run demo/serve.py` (what `make demo` and `make classroom` run).

The same app as `demo/app.py`, started as an `st.App` whose lifespan imports everything the pages
need before the first connection is accepted (no student meets a cold import, and sessions
arriving together cannot race on one), then warms the rest up beside the first visits
(`demo.preload.warm_up`): MNIST, the training worker server, the shipped model's statistics.
At start-up it says on stderr how many runs train at once, the class's fair-share limits, and,
in one line each, any `LENET_*` setting it cannot use. Uploads go through
`demo.session.upload_guard`.
"""

import contextlib
import sys
import threading
from pathlib import Path

# `streamlit run` puts demo/ on sys.path, not the project root that holds `demo` and `lenet`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import streamlit as st  # noqa: E402


@contextlib.asynccontextmanager
async def warm_up(_app):
    # The imports, before the first connection: sessions never race on them. The slower rest
    # (MNIST, the worker server, the shipped model's statistics) runs beside the first visits;
    # a page that needs a piece first waits for it rather than doing it again.
    from demo.preload import warm_up
    from demo.training.fair_share import limits_line
    from demo.training.slots import capacity_line, environment_problems

    for problem in environment_problems():  # the server still serves, with the defaults
        print(problem, file=sys.stderr, flush=True)
    print(capacity_line(), file=sys.stderr, flush=True)
    print(limits_line(), file=sys.stderr, flush=True)
    threading.Thread(target=warm_up, name="lenet-warm-up", daemon=True).start()
    yield


def middleware() -> list:
    """Uploads bounded per session and for the server (`demo.session.upload_guard`)."""
    from starlette.middleware import Middleware

    from demo.session.upload_guard import UploadGuard

    return [Middleware(UploadGuard)]


app = st.App("app.py", lifespan=warm_up, middleware=middleware())
