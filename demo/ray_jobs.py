"""Training runs on a Ray cluster (`LENET_RAY_ADDRESS`): the app's job API, with Ray as the queue.

PROTOTYPE (branch ray15, issue 15 groundwork). `RayTrainingJob` is a `demo.jobs.TrainingJob` whose
run is a Ray actor (`demo.ray_actor.RunActor`, one CPU by default) instead of a local process:
the same states, controls, events, live weights and timeline, filed by the same code
(`ProcessRun._handle`). Ray schedules the actors: a run is "queued" until its actor is up;
`RaySlots` stands in for `demo.slots.JobSlots` (queue positions among this server's waiting runs,
the cluster's CPUs for the status line). The app pulls each run's messages with `poll` (one call
in flight per run, waiting up to 0.25 s for something to say), and sends pause/resume/stop with
`control`; both run on the actor's "control" threads while it trains on its main thread.

Ray is imported only here and only when a run is started with the variable set (`connect`).
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import time

from demo.jobs import TrainingJob
from demo.ray_actor import RunActor
from lenet.errors import LenetError

ENV_ADDRESS = "LENET_RAY_ADDRESS"  # ray://HOST:10001, or auto (a `ray start --head` here)
ENV_CPUS = "LENET_RAY_CPUS"  # CPUs (and torch threads) a run asks Ray for; 1 by default
POLL_WAIT_S = 0.25  # the longest a poll waits for a run to say something
ANSWER_S = 30.0  # a poll not answered in this long: the cluster is taken to be gone
_connect_lock = threading.Lock()


class ClusterError(LenetError):
    """The Ray cluster cannot take runs now, in one line for the student."""


def ray_address() -> str | None:
    return os.environ.get(ENV_ADDRESS, "").strip() or None


def run_cpus() -> int:
    written = os.environ.get(ENV_CPUS, "").strip()
    return int(written) if written.isdigit() and int(written) >= 1 else 1


def connect(address: str | None = None):
    """The `ray` module, connected to the cluster (once per process; again after the cluster went
    away and came back). A process that called `ray.init` itself (the tests) keeps its cluster."""
    import ray

    address = address or ray_address()
    with _connect_lock:
        if ray.is_initialized():
            try:
                ray.cluster_resources()
                return ray
            except Exception:  # noqa: BLE001 - a client whose cluster went away: connect again
                ray.shutdown()
        try:
            ray.init(address=address, log_to_driver=False, namespace="lenet")
        except Exception as error:  # noqa: BLE001 - anything at all: one line for the page
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise ClusterError(
                f"the Ray cluster at {address} cannot take training runs now ({first[:160]}); "
                "drawing and inspecting still work"
            ) from error
        return ray


@functools.cache
def _actor_class():
    import ray

    # max_restarts=0: a run whose worker dies is failed, not restarted from scratch behind the
    # student's back; two control threads: a poll waiting and a pause/stop at the same time
    return ray.remote(max_restarts=0, concurrency_groups={"control": 2})(RunActor)


def died_reason(error: BaseException) -> str:
    """A run's worker died (killed, out of memory, its node lost): why, in one line. Ray's own
    text is long; its "Worker exit detail" (or the first sentence) is the why."""
    text = " ".join(str(error).split())
    detail = text.split("Worker exit detail:", 1)[1] if "Worker exit detail:" in text else ""
    why = (detail or text).strip().split(". ")[0].rstrip(".")
    return f"the training worker on the Ray cluster died ({why[:160]}); start the run again"


class RaySlots:
    """`JobSlots`' place for Ray runs: Ray decides who trains; this keeps this server's runs that
    wait for their actor, in order, for their queue positions, and counts the cluster's CPUs."""

    def __init__(self, cpus: int | None = None) -> None:
        self.cpus = cpus or run_cpus()
        self._lock = threading.Lock()
        self._waiting: list[object] = []
        self._running: set[object] = set()
        self._cluster = (0.0, 0.0, 0.0)  # (when asked, total CPUs, free CPUs)

    def _cluster_cpus(self) -> tuple[float, float]:
        asked, total, free = self._cluster
        if time.monotonic() - asked > 2.0:
            try:
                ray = connect()
                total = ray.cluster_resources().get("CPU", 0.0)
                free = ray.available_resources().get("CPU", 0.0)
            except Exception:  # noqa: BLE001 - the page shows what it knew
                pass
            self._cluster = (time.monotonic(), total, free)
        return total, free

    @property
    def capacity(self) -> int:
        return int(self._cluster_cpus()[0] // self.cpus)

    @property
    def cores(self) -> int:
        return int(self._cluster_cpus()[0])

    def waiting(self, job: object) -> None:
        with self._lock:
            self._waiting.append(job)

    def started(self, job: object) -> None:
        with self._lock:
            if job in self._waiting:
                self._waiting.remove(job)
            self._running.add(job)

    def release(self, job: object) -> None:
        with self._lock:
            if job in self._waiting:
                self._waiting.remove(job)
            self._running.discard(job)

    def position(self, job: object) -> int | None:
        with self._lock:
            return self._waiting.index(job) + 1 if job in self._waiting else None

    def rest(self, job: object, resting: bool) -> None:
        """A paused run keeps its actor, and so its CPU on the cluster (as a paused local run
        keeps its slot)."""

    def share(self, job: object) -> int:
        return self.cpus

    def counts(self) -> tuple[int, int]:
        """(running, waiting) on this app server."""
        with self._lock:
            return len(self._running), len(self._waiting)


class RayTrainingJob(TrainingJob):
    """A `TrainingJob` whose run is a Ray actor (see the module docstring)."""

    def __init__(self, config, source, slots: RaySlots, publish_s: float = 2.0, **kwargs) -> None:
        super().__init__(config, source, slots, slots.cpus, publish_s, **kwargs)
        self.where: str | None = None  # host:pid of the actor, once it is up

    def _send(self, message) -> None:
        actor = self._control
        if actor is not None and isinstance(message, str):
            # the run has ended or the cluster is gone: the listener reports it
            with contextlib.suppress(Exception):
                actor.control.options(concurrency_group="control").remote(message)

    def _work(self) -> None:
        self.slots.waiting(self)
        actor = None
        try:
            ray = connect()
            actor = (
                _actor_class()
                .options(num_cpus=self.slots.cpus)
                .remote(
                    self.config.to_dict(),
                    self.source,
                    self.threads,
                    self.publish_s,
                    self.keep_snapshots,
                )
            )
            up = actor.where.options(concurrency_group="control").remote()
            while not ray.wait([up], timeout=0.2)[0]:  # queued: Ray has no CPU for it yet
                if self._cancel.is_set():
                    self._end("stopped")
                    return
            self.where = ray.get(up)
            self.slots.started(self)
            self._listen_to(ray, actor)
        except ClusterError as error:
            self._end("failed", str(error))
        except Exception as error:  # noqa: BLE001 - the page must learn why, never a silent death
            self._end("failed", self._why(error))
        finally:
            self.slots.release(self)
            with self._lock:
                self._control = None
            if actor is not None:
                with contextlib.suppress(Exception):  # gone already
                    ray.kill(actor)

    def _listen_to(self, ray, actor) -> None:
        actor.train.remote()  # on the actor's main thread; its outcome comes as messages
        with self._lock:
            self._control = actor
            self._status = "running"
            self._threads_now = self.threads
            if self._pause_wanted:
                self._ask_pause()
            if self._cancel.is_set():
                self._send("stop")
                self._status = "stopping"
        poll = actor.poll.options(concurrency_group="control")
        while True:
            for kind, payload in ray.get(poll.remote(POLL_WAIT_S), timeout=ANSWER_S):
                if self._handle(kind, payload):
                    return

    @staticmethod
    def _why(error: BaseException) -> str:
        name = type(error).__name__
        if "ActorDied" in name or "RayActorError" in name or "ActorUnavailable" in name:
            return died_reason(error)
        if "GetTimeout" in name or isinstance(error, ConnectionError):
            return "the Ray cluster stopped answering: the run is lost; start it again later"
        return f"training failed: {name}: {error}"
