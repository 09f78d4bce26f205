"""Training runs on a Ray cluster (`LENET_RAY_ADDRESS`): the app's job API, with Ray as the queue.

`RayTrainingJob` is a `demo.training.jobs.TrainingJob` whose run is a Ray actor
(`demo.training.cluster.actor.RunActor`, `LENET_RAY_CPUS` CPUs, 1 by default, and as many torch
threads) instead of a local process: the same states, controls, events, live weights and timeline,
filed by the same code (`ProcessRun._handle`). Ray's scheduler replaces the server's slot cap: a run
is "queued" until Ray has a CPU for its actor and the actor answers; meanwhile it holds its place in
the class's line (`demo.training.cluster.line.QueueBoard`, shared by every app server), which gives
its position. `demo.training.cluster.slots.RaySlots` stands in for `demo.training.slots.JobSlots`
for the pages.

The app pulls each run's messages with `poll` (one call in flight per run, waiting up to 0.25 s for
something to say) and sends pause/resume/stop with `control`, on the actor's other threads while it
trains. Faults: the actor's worker dying, or the cluster not answering for `ANSWER_S`,
fails the run with the reason in one line; Ray then gives its CPU to the next run in line.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
import uuid

from demo.training.cluster.actor import RunActor, code_version
from demo.training.cluster.connection import ClusterError, cluster_gone, connect, ray_address
from demo.training.cluster.line import STALE_S, board, forget_board
from demo.training.cluster.slots import ENV_CPUS, RaySlots
from demo.training.jobs import TrainingJob
from demo.ui.text import shorten

POLL_WAIT_S = 0.25  # the longest a poll waits for a run to say something
ANSWER_S = 30.0  # a call not answered in this long: the cluster is taken to be gone
VISIT_S = 1.0  # a waiting run renews its place in line this often
# a line made anew (its actor died) fills again as the waiting runs visit, not in their order:
# for this long a run keeps the place it had before (a run ahead that has not come back yet would
# leave it first in line for a moment, and first in line asks Ray for its CPU)
REJOIN_S = 5.0
SERVER = uuid.uuid4().hex[:12]  # this app server, in the queue's tokens


@functools.cache
def _actor_class():
    import ray

    # max_restarts=0: a run whose worker dies is failed, not restarted from scratch behind the
    # student's back. A threaded actor: `train` on one thread, a poll waiting and a pause/stop
    # on others (Ray Client takes no per-call concurrency groups)
    return ray.remote(max_restarts=0, max_concurrency=4)(RunActor)


def died_reason(error: BaseException) -> str:
    """A run's worker died (killed, out of memory, its node lost): why, in one line. Ray's own
    text is long; its "Worker exit detail" (or the first sentence) is the why."""
    text = " ".join(str(error).split())
    detail = text.split("Worker exit detail:", 1)[1] if "Worker exit detail:" in text else ""
    why = (detail or text).strip().split(". ")[0].rstrip(".")
    return f"the training worker on the Ray cluster died ({why[:160]}); start the run again"


class RayTrainingJob(TrainingJob):
    """A `TrainingJob` whose run is a Ray actor (see the module docstring)."""

    def __init__(self, config, source, slots: RaySlots, publish_s: float = 2.0, **kwargs) -> None:
        # exactly the CPUs asked of Ray as torch threads: Ray's accounting is the contract
        super().__init__(config, source, slots, slots.cpus, publish_s, **kwargs)
        self.where: str | None = None  # host:pid of the actor, once it is up
        self.token = f"{SERVER}:{self.job_id}"
        self._gone = False  # the cluster stopped answering
        self._actor = None  # the run's actor, once asked for
        self._in_line = False  # has a place in the class's line
        self._since = time.time()  # when it asked: its place in the line
        self._heard = (0, 0, float("-inf"))  # (place, how many wait, when) the line last said
        self._rejoined = float("-inf")  # when it took its place again in a line made anew

    def _send(self, message) -> None:
        """Pause/resume/stop to the actor, from a thread of its own: called under the job's
        lock, and Ray's client can block for seconds while the cluster is going away."""
        actor = self._control
        if actor is not None and isinstance(message, str):
            threading.Thread(target=self._deliver, args=(actor, message), daemon=True).start()

    @staticmethod
    def _deliver(actor, message: str) -> None:
        with contextlib.suppress(Exception):  # the run has ended or the cluster is gone: the
            actor.control.remote(message)  # listener reports it

    def _work(self) -> None:
        ray = actor = None
        try:
            ray = connect()
            if self._cancel.is_set():  # stopped while the cluster was being reached
                self._end("stopped")
                return
            self._check_fits(ray)
            self._join_line(ray)
            actor = self._wait_for(ray)
            if actor is None:
                self._end("stopped")
                return
            self._listen_to(ray, actor)
        except ClusterError as error:
            self._end("failed", str(error))
        except Exception as error:  # noqa: BLE001 - the page must learn why, never a silent death
            gone = cluster_gone()
            self._gone = self._gone or gone is not None
            self._end("failed", self._why(ConnectionError(gone) if gone else error))
        finally:
            self.slots.release(self)
            with self._lock:
                self._control = None
            if not self._gone:  # else each call would wait for Ray's client to reconnect
                if self._in_line:
                    with contextlib.suppress(Exception):
                        board().leave.remote(self.token)
                if self._actor is not None:
                    with contextlib.suppress(Exception):  # gone already
                        ray.kill(self._actor)

    def _check_fits(self, ray) -> None:
        """A run asking for more CPUs than any machine of the cluster has would wait forever."""
        largest = max(
            (n.get("Resources", {}).get("CPU", 0) for n in ray.nodes() if n.get("Alive")),
            default=0,
        )
        if self.slots.cpus > largest:
            raise ClusterError(
                f"each run asks for {self.slots.cpus} CPUs ({ENV_CPUS}) but the largest machine "
                f"of the Ray cluster has {largest:g}: set {ENV_CPUS} to at most {largest:g}"
            )

    def _join_line(self, ray) -> bool:
        """Take a place at the end of the class's line (False: the line cannot be reached; the
        run then waits for Ray alone, without a position)."""
        return self._visit(ray, join=True) > 0

    def _visit(self, ray, join: bool = False) -> int:
        """Renew the run's place in line, taking one again if the line lost it (its actor was
        made anew); the place (0: not known). The line is a courtesy: it never fails a run."""
        if self.recorder is not None:  # its row is made on the store's thread: wait briefly
            self.recorder.created.wait(5)
        run_id = self.recorder.run_id if self.recorder is not None else None
        label = f"#{run_id}" if run_id is not None else ""
        try:
            line = board()
            place, waiting = ray.get(line.seen.remote(self.token), timeout=10)
            if place == 0 and (join or self._in_line):
                place, waiting = ray.get(
                    line.join.remote(self.token, label, self._since), timeout=10
                )
                if self._in_line:  # the line was lost and is made anew
                    self._rejoined = time.monotonic()
            if time.monotonic() - self._rejoined < REJOIN_S:
                place = max(place, self._heard[0])
            self._heard = (place, waiting, time.monotonic())
        except Exception:  # noqa: BLE001 - the line's actor died or moved: go on without it
            forget_board()
            # a busy cluster's slow answer keeps the place last heard (place 0 would start the
            # run when a CPU frees, ahead of those before it); a line long gone is not waited for
            place, waiting, heard = self._heard
            if time.monotonic() - heard > STALE_S:
                place, waiting = 0, 0
        self._in_line = self._in_line or place > 0
        self.slots.placed(self, place, waiting)
        return place

    def _wait_for(self, ray):
        """Wait in line: the run asks Ray for its actor once it is at the front of the line or
        a CPU is free for every run ahead of it (so runs start in the order they asked, which
        Ray alone does not keep); then until the actor is up. The actor, or None when the
        student stopped the run first."""
        up, visited, place = None, float("-inf"), 1
        while up is None or not ray.wait([up], timeout=0.2)[0]:
            if self._cancel.is_set():
                return None
            if time.monotonic() - visited >= VISIT_S:
                place = self._visit(ray) if self._in_line else 1
                visited = time.monotonic()
            if up is None:
                free = ray.available_resources().get("CPU", 0.0) // self.slots.cpus
                # place 0: the line is not known now (its actor is being made anew): only when
                # a CPU is free, else a full cluster would take runs out of the line's order
                if place == 1 or 0 < place <= free or (place == 0 and free >= 1):
                    self._actor = self._make_actor()
                    up = self._actor.where.remote()
                else:
                    time.sleep(0.2)
        self.where, theirs = ray.get(up)
        if self._in_line:
            with contextlib.suppress(Exception):
                board().leave.remote(self.token)
            self._in_line = False
        if theirs != code_version():
            raise ClusterError(
                f"the Ray cluster runs another version of this app (its code {theirs}, this "
                f"server's {code_version()}): update the checkout on every node and restart "
                "the cluster; drawing and inspecting still work"
            )
        self.slots.started(self)
        return self._actor

    def _make_actor(self):
        return (
            _actor_class()
            .options(num_cpus=self.slots.cpus)
            .remote(
                self.config.to_dict(),
                self.source,
                self.threads,
                self.publish_s,
                self.keep_snapshots,
                self.class_digits,
            )
        )

    def _listen_to(self, ray, actor) -> None:
        actor.train.remote()  # its outcome comes as messages
        self._went_live(actor)
        asked, waiting = time.monotonic(), actor.poll.remote(POLL_WAIT_S)
        while True:
            if not ray.wait([waiting], timeout=0.5)[0]:
                self._check_answering(time.monotonic() - asked)
                continue
            for kind, payload in ray.get(waiting):
                if self._handle(kind, payload):
                    return
            asked, waiting = time.monotonic(), actor.poll.remote(POLL_WAIT_S)

    def _check_answering(self, waited_s: float) -> None:
        """A poll unanswered for a while: is the cluster still there? A head that has gone
        refuses the connection at once; Ray's client would try to reconnect for 30 s per call."""
        if waited_s > POLL_WAIT_S + 2.0 and (why := cluster_gone()):
            self._gone = True
            raise ConnectionError(why)
        if waited_s > ANSWER_S:
            self._gone = True
            raise ConnectionError(f"no answer in {ANSWER_S:.0f} s")

    @staticmethod
    def _why(error: BaseException) -> str:
        """Why a run failed, in one line."""
        name = type(error).__name__
        if "ActorDied" in name or "RayActorError" in name or "ActorUnavailable" in name:
            return died_reason(error)
        if "GetTimeout" in name or "Rpc" in name or isinstance(error, ConnectionError):
            where = ray_address()
            return (
                f"the Ray cluster{' at ' + shorten(where, 80) if where else ''} stopped answering "
                f"({str(error).splitlines()[0][:120] if str(error) else name}): "
                "the run is lost; start it again when the cluster is back"
            )
        return f"training failed: {name}: {(str(error).splitlines() or [''])[0][:200]}"
