"""Everything the pages need, imported and warmed before the server serves anyone.

Sessions run their scripts on separate threads. When a class arrived together on a fresh server,
their first imports raced (pandas, which plotly imports lazily, was seen half-initialised) and
Inspect failed. Importing this module first means one thread does every heavy import while the
others wait on this module's import lock, holding no other. `demo/serve.py` imports it before
the server accepts its first connection, then runs `warm_up()` in a thread beside the first
visits: the run store, plotly's lazy work, MNIST, the training worker server and the shipped
model's statistics, test-set answers, embedding and filter pictures, so the first student's
pages are nearly as quick as the hundredth's. These are computed, not kept on disk: about 5 s of
one core at each start (well inside a class's first minute), always right for the model file and
the library versions, and nothing to ship or invalidate. A page that needs one of them first
waits for the warm-up's computation (Streamlit's caches lock each key) under its spinner.
"""

from __future__ import annotations

import contextlib
import sys

import numpy  # noqa: F401
import pandas  # noqa: F401  (plotly imports it lazily, on the first chart)
import PIL.Image  # noqa: F401
import plotly.graph_objects as go
import plotly.io
import torch

import demo.models.familiar
import demo.session.store_state
import demo.training.state
import demo.views.class_page.page  # noqa: F401
import demo.views.draw.page  # noqa: F401
import demo.views.inspect.page  # noqa: F401
import demo.views.train.page  # noqa: F401
from demo.models import choices as models
from demo.training.cluster.connection import ray_address
from demo.training.slots import SERVING_THREADS
from demo.training.worker import DataSource, start_worker_server
from demo.views.inspect.dreams import cached_dreams
from demo.views.inspect.embedding import embedding
from lenet.data.mnist import MNIST
from lenet.errors import DataError, LenetError
from lenet.files.checkpoint import DEFAULT_CHECKPOINT
from lenet.model import weights_digest


def warm_up() -> None:
    """The run store (opened and migrated; it says on stderr where runs go), the Ray cluster's
    connection (with `LENET_RAY_ADDRESS`), Plotly's lazy imports, the pages' MNIST in memory
    (when present), the worker server and the shipped model's work (`warm_shipped`), now."""
    # one torch thread for the app's own work from the start, not only once the Train page set it
    # (`demo.training.state.job_slots`): with one per core, the warm-up beside the worker server's
    # start took 10x longer (17.7 s for the statistics alone, on 2 cores)
    torch.set_num_threads(SERVING_THREADS)
    print(demo.session.store_state.store_line(), file=sys.stderr, flush=True)
    if ray_address():  # connect to the cluster now, on the watcher's thread: the first student
        # to press Start would otherwise wait for it (2 s, more when Ray's client server is slow)
        from demo.training.cluster.line import watch

        watch.latest()
    plotly.io.to_json(go.Figure(go.Heatmap(z=[[0.0]])), validate=False)
    try:
        # the pages' own copy, loaded once for the server
        data = demo.training.state._verified_mnist()
    except DataError:
        return  # not fetched yet: the first page fetches it, with its progress shown
    start_worker_server(DataSource(verified=True))
    with contextlib.suppress(OSError, LenetError):  # no shipped model: the page says so later
        warm_shipped(data)


def warm_shipped(data: MNIST) -> None:
    """The shipped model's work that students wait for, in the order they meet it: its 'is it
    a digit?' statistics (Draw, ~1.3 s), its answers on the 10,000 test digits (Draw's "One it
    gets wrong", Mistakes, Confusion matrix, Edit a filter: ~0.5 s), its embedding (~1.7 s)
    and what its filters look for (~0.2 s, after torch's 1.8 s import on an optimiser's first
    use). Raises OSError or a LenetError when the shipped model cannot be read."""
    demo.models.familiar.file_familiarity(DEFAULT_CHECKPOINT, data)
    model, _ = models.model_file(DEFAULT_CHECKPOINT)
    models.test_probabilities(models.SHIPPED, model, data)
    embedding(models.SHIPPED, model, data)
    cached_dreams(models.SHIPPED, weights_digest(model), model)
