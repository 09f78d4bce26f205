"""Training processes: where a run's trainer lives, and the worker server they are forked from.

Each run trains on the main thread of its own process: PyTorch's CPU kernels ran ~50% slower on a
secondary thread here (benchmarks/README.md), and the app's own Python work cannot slow training
through the GIL. The processes fork from multiprocessing's forkserver: one clean single-threaded
process per app server that has torch imported and MNIST loaded, checked and resized already
(`demo.training.worker_preload`), so a run trains within a second of getting its slot. The app
starts it before it serves anyone (`start_worker_server`); otherwise the first run starts it.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver
import multiprocessing.spawn
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from demo.training.worker_control import ENV_APP, Gate, obey
from lenet.config import ModelConfig, TrainConfig
from lenet.data.class_set import learning_part
from lenet.data.mnist import MNIST, VAL_SIZE, Split, load_mnist, load_raw_folder, raw_dir
from lenet.errors import LenetError
from lenet.model import LeNet5
from lenet.training.schedule import make_optimizer
from lenet.training.threads import ThreadGovernor
from lenet.training.trainer import BatchEnd, Evaluation, Trainer, build_model

SEND_EVERY_S = 0.25  # how often a training process sends its batch events
ENV_DATA = "LENET_WORKER_DATA"  # the DataSource the forkserver preloads (JSON)


@dataclass(frozen=True)
class DataSource:
    """Where a worker process finds MNIST: the raw files in the data folder (`verified`: the app
    checked their MD5 once for the server, so workers skip it), or a folder of IDX files (the
    test fixture, read without checksums)."""

    data_dir: str | None = None
    folder: str | None = None
    val_size: int = VAL_SIZE
    verified: bool = False

    def load(self) -> MNIST:
        if self.folder:
            return load_raw_folder(self.folder, self.val_size)
        if self.verified:
            return load_raw_folder(raw_dir(self.data_dir), self.val_size, keep=True)
        return load_mnist(self.data_dir, fetch=False, val_size=self.val_size)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> DataSource:
        return cls(**json.loads(text))


_preloaded: dict[DataSource, MNIST] = {}


def preload(source: DataSource) -> None:
    """Load `source` into this process's memory and warm the kernels on it (the forkserver
    does, before any run forks)."""
    _preloaded[source] = source.load()
    warm_kernels(_preloaded[source])


def warm_kernels(data: MNIST) -> None:
    """One training step and one evaluation batch of each kind of model, on this process's one
    thread, so that processes forked from it find PyTorch's CPU kernels ready: a fresh process's
    first batch took ~0.95 s here, one forked after this ~0.05 s."""
    x, y = data.train.images[:64], data.train.labels[:64]
    for activation, pooling, optimizer in (
        ("tanh", "max", "sgd"),
        ("relu", "avg", "adamw"),
        ("relu", "max", "adam"),
    ):
        config = TrainConfig(
            optimizer=optimizer, model=ModelConfig(activation=activation, pooling=pooling)
        )
        model = build_model(config).to(memory_format=torch.channels_last)
        step = make_optimizer(model, config)
        F.cross_entropy(model(x), y).backward()
        step.step()
        with torch.no_grad():
            model.eval()(data.val.images[:512])


def data_for(source: DataSource) -> MNIST:
    """The preloaded data when it is this source (shared with the forkserver), else loaded now."""
    return _preloaded.get(source) or source.load()


@functools.cache
def worker_context() -> multiprocessing.context.BaseContext:
    """Workers fork from a clean single-threaded server process that has torch imported
    already: fast to start, and safe (forking the multi-threaded app itself is not)."""
    original = multiprocessing.spawn.get_preparation_data

    def without_main(name: str) -> dict:
        # multiprocessing re-runs the parent's __main__ in each child; under Streamlit that is
        # the app script itself. Our workers need nothing from it (their code is in
        # demo.training.worker).
        data = original(name)
        if name == "ignore" or name.startswith("lenet-"):
            for key in ("init_main_from_path", "init_main_from_name", "main_path"):
                data.pop(key, None)
        return data

    multiprocessing.spawn.get_preparation_data = without_main
    os.environ[ENV_APP] = str(os.getpid())  # read by demo.training.worker_preload in the forkserver
    context = multiprocessing.get_context("forkserver")
    # worker_preload first: it watches for the app's death while demo.training.worker imports torch
    context.set_forkserver_preload(["demo.training.worker_preload", "demo.training.worker"])
    return context


def start_worker_server(source: DataSource) -> None:
    """Start the forkserver now with `source` in memory, rather than at the first run."""
    # read by demo.training.worker_preload in the forkserver
    os.environ[ENV_DATA] = source.to_json()
    worker_context()
    multiprocessing.forkserver.ensure_running()


class GatedTrainer(Trainer):
    """A `Trainer` that pauses and stops at a `Gate`, acknowledging each pause as it blocks."""

    def __init__(
        self,
        config: TrainConfig,
        data: MNIST,
        gate: Gate,
        acknowledge: Callable[[int], None],
        snapshots: bool = True,
        extra: Split | None = None,
    ) -> None:
        super().__init__(config, data, snapshots=snapshots, extra=extra)
        self.gate, self.acknowledge = gate, acknowledge

    def wait_if_paused(self) -> float:
        # Trainer.run calls this before each batch, then checks for a stop
        waited = self.gate.hold(self.acknowledge)
        if self.gate.stopped:
            self.stop()
        return waited

    @property
    def paused(self) -> bool:
        return self.gate.paused


def _weights(model: LeNet5) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}


class _Sender:
    """A run's events to the app, batched: one message every ~0.25 s, not one per batch. Each
    message wakes threads on both sides, and on 2 cores every wake-up stalls the trainer's OpenMP
    threads."""

    def __init__(self, events, publish_s: float) -> None:
        self.events, self.publish_s = events, publish_s
        self.model: LeNet5 | None = None
        self.pending: list = []
        self.sent, self.weights_sent = float("-inf"), 0.0  # the first batch goes out at once
        self.at = (0, 0.0)  # (step, epoch) of the weights, for the live timeline
        self.kept: list = []  # the timeline's snapshots, sent once training is over

    def forward(self, event) -> None:
        self.pending.append(event)
        if isinstance(event, BatchEnd):
            self.at = (event.step, event.epoch)
        now = time.monotonic()
        if isinstance(event, BatchEnd) and now - self.sent < SEND_EVERY_S:
            return
        self.flush()
        if isinstance(event, Evaluation) or now - self.weights_sent >= self.publish_s:
            self.send_weights()

    def flush(self) -> None:
        if self.pending:
            # stamped: the app measures how long its messages take (`ProcessRun.event_lags`)
            self.events.put(("events", (self.pending, time.time())))
            self.pending = []
        self.sent = time.monotonic()

    def send_weights(self) -> None:
        self.events.put(("weights", (_weights(self.model), *self.at)))
        self.weights_sent = time.monotonic()

    def snapshot(self, snapshot) -> None:
        """A timeline snapshot: kept here and sent when training is over (`send_timeline`).
        Sent as they came, a Quick demo's 10 MB of snapshots cost 3-5% of its training time on
        2 cores; meanwhile the weights sent every `publish_s` and at each evaluation make the
        live timeline."""
        self.kept.append(snapshot)

    def send_timeline(self) -> None:
        self.events.put(("timeline", self.kept))

    def paused(self, pauses: int) -> None:
        """The run blocks now: everything it did goes out, then the acknowledgement, last."""
        self.flush()
        self.send_weights()
        self.events.put(("paused", pauses))


def worker_main(
    config: dict,
    source: DataSource,
    events,
    control,
    threads: int,
    publish_s: float,
    adapt: bool = True,
    snapshots: bool = True,
    class_digits: tuple[np.ndarray, np.ndarray] | None = None,
) -> None:
    """A training process: the trainer runs on this process's main thread, where PyTorch's
    OpenMP kernels are fastest; another thread takes pause/resume/stop and thread shares from the
    app and ends the process when the app is gone (`demo.training.worker_control.obey`), from its
    first moment. With `adapt`, `threads` is the most it uses
    (`lenet.training.threads.ThreadGovernor` leaves the cores other work takes); without, exactly
    that many."""
    gate = Gate()
    governor = ThreadGovernor(
        limit=threads, fixed=not adapt, on_change=lambda now: events.put(("threads", now))
    )
    obeying = threading.Thread(
        target=obey, args=(gate, control, governor.share), name="lenet-obey", daemon=True
    )
    obeying.start()
    train_run(config, data_for(source), events, gate, governor, publish_s, snapshots, class_digits)


def train_run(
    config: dict,
    data: MNIST,
    events,
    gate: Gate,
    governor: ThreadGovernor,
    publish_s: float,
    snapshots: bool = True,
    class_digits: tuple[np.ndarray, np.ndarray] | None = None,
) -> None:
    """One run's training on this thread, its messages to `events` (anything with `put`: the
    process's queue here, the actor's outbox in `demo.training.cluster.jobs`), held and stopped at
    `gate`. `class_digits`: the class's digits to learn from too, uint8 (N, 28, 28) and labels
    (the held-out fifth already left out)."""
    sender = _Sender(events, publish_s)
    try:
        train_config = TrainConfig.from_dict(config)
        extra = None
        if class_digits is not None:
            mnist_images = len(data.train.head(train_config.train_size))
            extra = learning_part(*class_digits, mnist_images, train_config.seed)
        trainer = GatedTrainer(train_config, data, gate, sender.paused, snapshots, extra)
    except LenetError as error:
        events.put(("end", ("failed", str(error))))
        return
    sender.model = trainer.model
    if trainer.snapshots is not None:  # the timeline's weights, sent once training is over
        trainer.snapshots.on_take = sender.snapshot
    finished = trainer.run(governor.watch(sender.forward))
    sender.send_weights()
    if trainer.snapshots is not None:
        sender.send_timeline()
    events.put(("end", (finished.outcome, None)))
