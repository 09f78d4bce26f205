"""The class's queue on a one-CPU Ray cluster (a head started here): runs from two app servers
wait in one line in the order they asked, a run stopped while waiting leaves it, a run whose
worker is killed fails with the reason and the next run in line starts."""

from __future__ import annotations

import os
import signal
import time

import pytest

from demo.training.cluster.jobs import RaySlots, RayTrainingJob
from demo.training.cluster.line import cluster_view
from tests.ray_support import FIXTURE, LONG, local_head, wait_for


@pytest.fixture(scope="module", autouse=True)
def cluster():
    with local_head(cpus=1):
        yield


def test_runs_from_two_servers_queue_behind_a_one_cpu_cluster_and_move_on():
    here, there = RaySlots(), RaySlots()  # two app servers' views of the same cluster
    first = RayTrainingJob(LONG, FIXTURE, here).start()
    wait_for(lambda: first.snapshot().status == "running")
    second = RayTrainingJob(LONG, FIXTURE, there).start()
    wait_for(lambda: second.snapshot().queue_position == 1)
    third = RayTrainingJob(LONG, FIXTURE, here).start()
    wait_for(lambda: third.snapshot().queue_position == 2)
    fourth = RayTrainingJob(LONG, FIXTURE, there).start()
    wait_for(lambda: fourth.snapshot().queue_position == 3, jobs=(first, second, third, fourth))
    assert [j.snapshot().status for j in (second, third, fourth)] == ["queued"] * 3
    assert cluster_view()[:2] == (1.0, 0.0) and len(cluster_view()[2]) == 3
    wait_for(lambda: "1 of 1 CPUs busy on the Ray cluster, 3 runs waiting" in there.busy_line())

    third.stop()  # leaves the line at once; the run behind it moves up
    wait_for(lambda: third.snapshot().status == "stopped")
    wait_for(lambda: fourth.snapshot().queue_position == 2, jobs=(first, second, third, fourth))
    assert second.snapshot().queue_position == 1

    # the running run's worker is killed: its student learns why, and the next in line starts
    os.kill(int(first.where.rsplit(":", 1)[1]), signal.SIGKILL)
    assert first.join(60)
    assert first.snapshot().status == "failed"
    assert "the training worker on the Ray cluster died" in first.snapshot().error
    wait_for(lambda: second.snapshot().status == "running")
    wait_for(lambda: fourth.snapshot().queue_position == 1, jobs=(first, second, third, fourth))
    assert fourth.snapshot().status == "queued"

    second.stop()
    wait_for(lambda: fourth.snapshot().status == "running")
    fourth.stop()
    assert second.join(60) and fourth.join(60) and third.join(5)
    assert [j.snapshot().status for j in (second, fourth)] == ["stopped", "stopped"]
    assert cluster_view()[2] == []  # nobody left in line


def test_the_line_survives_its_actor_being_killed_and_runs_start_in_its_order():
    import ray

    slots = RaySlots()
    first = RayTrainingJob(LONG, FIXTURE, slots).start()
    wait_for(lambda: first.snapshot().status == "running")
    first.pause()  # a paused run keeps its CPU: nothing moves until the test says so
    waiting = []
    for place in (1, 2, 3):
        waiting.append(RayTrainingJob(LONG, FIXTURE, slots).start())
        wait_for(lambda p=place: waiting[-1].snapshot().queue_position == p)
    ray.kill(ray.get_actor("lenet-queue", namespace="lenet"))  # mid-class
    time.sleep(2.5)
    assert [j.snapshot().status for j in waiting] == ["queued"] * 3  # no run failed
    wait_for(lambda: [j.snapshot().queue_position for j in waiting] == [1, 2, 3], jobs=waiting)
    started = []
    for _ in range(3):  # each stop frees the CPU for the next in line, in order
        running = first if not started else started[-1]
        running.stop()
        wait_for(lambda: any(j.snapshot().status == "running" for j in waiting if j not in started))
        started.append(next(j for j in waiting if j.snapshot().status == "running"))
    started[-1].stop()
    assert started == waiting
    assert all(j.join(60) for j in (first, *waiting))
    assert cluster_view()[2] == []


def test_a_run_asking_for_more_cpus_than_any_machine_has_fails_in_one_line():
    job = RayTrainingJob(LONG, FIXTURE, RaySlots(cpus=4)).start()
    assert job.join(30)
    assert job.snapshot().status == "failed"
    assert job.snapshot().error == (
        "each run asks for 4 CPUs (LENET_RAY_CPUS) but the largest machine of the Ray cluster "
        "has 1: set LENET_RAY_CPUS to at most 1"
    )
