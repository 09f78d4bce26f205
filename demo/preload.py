"""Everything the pages need, imported and warmed before the server serves anyone.

Sessions run their scripts on separate threads. When a class arrived together on a fresh server,
their first imports raced (pandas, which plotly imports lazily, was seen half-initialised) and
Inspect failed. Importing this module first means one thread does every heavy import while the
others wait on this module's import lock, holding no other. `demo/serve.py` imports it before
the server accepts its first connection, then runs `warm_up()` in a thread beside the first
visits: the run store, plotly's lazy work, MNIST, the training worker server and the shipped
model's statistics, so the first student's pages are nearly as quick as the hundredth's.
"""

from __future__ import annotations

import contextlib
import sys

import numpy  # noqa: F401
import pandas  # noqa: F401  (plotly imports it lazily, on the first chart)
import PIL.Image  # noqa: F401
import plotly.graph_objects as go
import plotly.io
import torch  # noqa: F401

import demo.familiar
import demo.store_state
import demo.views.class_page  # noqa: F401
import demo.views.draw  # noqa: F401
import demo.views.inspect  # noqa: F401
import demo.views.train  # noqa: F401
from demo.ray_cluster import ray_address
from demo.worker import DataSource, start_worker_server
from lenet.checkpoint import DEFAULT_CHECKPOINT
from lenet.data import load_mnist
from lenet.errors import DataError, LenetError


def warm_up() -> None:
    """The run store (opened and migrated; it says on stderr where runs go), the Ray cluster's
    connection (with `LENET_RAY_ADDRESS`), Plotly's lazy
    imports, MNIST in memory (when present), the worker server and the shipped model's 'is it
    a digit?' statistics, now."""
    print(demo.store_state.store_line(), file=sys.stderr, flush=True)
    if ray_address():  # connect to the cluster now, on the watcher's thread: the first student
        # to press Start would otherwise wait for it (2 s, more when Ray's client server is slow)
        from demo.ray_queue import watch

        watch.latest()
    plotly.io.to_json(go.Figure(go.Heatmap(z=[[0.0]])), validate=False)
    try:
        data = load_mnist(fetch=False)
    except DataError:
        return  # not fetched yet: the first page fetches it, with its progress shown
    start_worker_server(DataSource(verified=True))
    with contextlib.suppress(OSError, LenetError):  # no shipped model: the page says so later
        demo.familiar.file_familiarity(DEFAULT_CHECKPOINT, data)
