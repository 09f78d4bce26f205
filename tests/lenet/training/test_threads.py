"""The thread and capacity policy (lenet.training.threads): plans for 1, 2 and 16 cores, under load
and short of memory; the governor's decisions; the CPU sampler on a written /proc/stat and on a real
busy process."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from lenet.training.threads import (
    CpuSampler,
    Plan,
    ThreadGovernor,
    plan,
    shares,
    threads_for,
    usable_cores,
)


@pytest.mark.parametrize(
    ("cores", "others", "memory_mb", "expected"),
    [
        (1, 0.0, None, Plan(threads=1, runs_at_once=1)),
        (1, 3.0, None, Plan(threads=1, runs_at_once=1)),  # never below one thread or one run
        (2, 0.0, None, Plan(threads=2, runs_at_once=2)),
        (2, 1.0, None, Plan(threads=1, runs_at_once=2)),  # one core taken: one thread
        (2, 0.3, None, Plan(threads=2, runs_at_once=2)),  # a light neighbour: both
        (2, 0.6, None, Plan(threads=1, runs_at_once=2)),
        (16, 0.0, None, Plan(threads=16, runs_at_once=16)),
        (16, 4.0, None, Plan(threads=12, runs_at_once=16)),
        (16, 0.0, 2000.0, Plan(threads=16, runs_at_once=13)),  # 150 MB a run
        (16, 0.0, 100.0, Plan(threads=16, runs_at_once=1)),
        (16, 40.0, None, Plan(threads=1, runs_at_once=16)),
    ],
)
def test_plan(cores, others, memory_mb, expected):
    assert plan(cores, others, memory_mb) == expected


def test_shares_divide_the_cores_and_hand_out_the_remainder():
    assert [shares(2, n) for n in (0, 1, 2)] == [[2], [2], [1, 1]]
    assert shares(2, 3) == [1, 1, 1]  # never below one thread
    assert shares(3, 2) == [2, 1] and shares(16, 3) == [6, 5, 5]
    assert sum(shares(16, 9)) == 16 and set(shares(16, 9)) == {1, 2}


def test_threads_go_up_only_with_three_quarters_of_a_core_free():
    assert threads_for(1.6, current=1) == 1  # rounds to 2, but only 0.6 more is free
    assert threads_for(1.8, current=1) == 2
    assert threads_for(1.4, current=2) == 1  # down as soon as it rounds down
    assert threads_for(1.6, current=2) == 2
    assert threads_for(7.9, current=2, limit=4) == 4
    assert threads_for(-3.0, current=2) == 1


class FakeSampler:
    """Others' load from a list, one reading per due check."""

    def __init__(self, readings):
        self.readings = list(readings)

    def elapsed(self) -> float:
        return 10.0

    def others(self):
        return self.readings.pop(0)


def test_the_governor_follows_the_load_within_its_share():
    applied: list[int] = []
    changed: list[int] = []
    governor = ThreadGovernor(
        sampler=FakeSampler([0.0, 1.0, 1.0, 0.1, 0.1, 0.1, 1.0]),
        apply=applied.append,
        cores=2,
        on_change=changed.append,
    )
    assert governor.threads == 2 and applied == [2]
    seen = [governor.tick(), governor.tick(), governor.tick(), governor.tick()]
    assert seen == [2, 1, 1, 2]
    governor.share(1)  # a second run began: one core each
    assert governor.tick() == 1
    governor.share(2)
    assert governor.tick() == 2
    assert governor.tick() == 1  # a busy neighbour again
    assert applied == [2, 1, 2, 1, 2, 1] and changed == [1, 2, 1, 2, 1]
    assert [threads for _, threads in governor.changes] == [2, 1, 2, 1, 2, 1]


def test_a_fixed_governor_ignores_load_and_shares():
    applied: list[int] = []
    governor = ThreadGovernor(
        limit=3, sampler=FakeSampler([5.0]), apply=applied.append, cores=2, fixed=True
    )
    governor.share(1)
    assert governor.tick() == 3 and applied == [3]


def test_no_proc_stat_means_no_load_known(tmp_path):
    governor = ThreadGovernor(
        sampler=CpuSampler(tmp_path / "missing"), apply=lambda n: None, cores=4
    )
    time.sleep(0.15)
    assert governor.sampler.others() is None
    assert governor.tick() == 4


def test_a_cpu_quota_smaller_than_the_machine_is_not_read_as_load():
    """A container allowed 2 cores on a 16-core host where other tenants keep 4 busy: 12 host
    cores are free, so the run keeps both of its cores."""
    sampler = FakeSampler([4.0])
    sampler.counted = 16
    governor = ThreadGovernor(sampler=sampler, apply=lambda n: None, cores=2)
    assert governor.tick() == 2
    sampler.readings = [15.0]  # the host is full: one thread
    assert governor.tick() == 1


@pytest.mark.parametrize(
    "text",
    [
        "cpu  1 2 3 4\ncpu0 1 2 3\n",  # too few fields
        "cpu0 1 2 3 4 5 6 7 x 0 0\n",  # not a number
        "\n\n",  # no CPU lines at all
        "",
    ],
)
def test_an_odd_proc_stat_means_no_load_known(tmp_path, text):
    stat = tmp_path / "stat"
    stat.write_text(text)
    sampler = CpuSampler(stat)
    assert sampler.others() is None


def test_the_watch_ticks_after_each_event():
    events: list[str] = []
    governor = ThreadGovernor(sampler=FakeSampler([0.0, 1.0]), apply=lambda n: None, cores=2)
    forward = governor.watch(events.append)
    forward("batch")
    assert events == ["batch"] and governor.threads == 1


def write_stat(path, cpus: dict[str, tuple[int, ...]]) -> None:
    lines = ["cpu  0 0 0 0 0 0 0 0 0 0"]
    lines += [f"{name} {' '.join(map(str, values))} 0 0" for name, values in cpus.items()]
    path.write_text("\n".join(lines) + "\n")


def test_the_sampler_counts_busy_ticks_of_its_own_cores_less_its_own_time(tmp_path, monkeypatch):
    stat = tmp_path / "stat"
    # user nice system idle iowait irq softirq steal
    write_stat(stat, {"cpu0": (100, 0, 0, 900, 0, 0, 0, 0), "cpu1": (0, 0, 0, 1000, 0, 0, 0, 0)})
    clock, own = iter([0.0, 2.0]), iter([0.0, 0.5])
    monkeypatch.setattr("lenet.training.threads.time.monotonic", lambda: next(clock))
    monkeypatch.setattr("lenet.training.threads.time.process_time", lambda: next(own))
    monkeypatch.setattr("lenet.training.threads._CLOCK_TICKS", 100)
    sampler = CpuSampler(stat)
    sampler.cpus = {"cpu0", "cpu1"}
    # in 2 s: cpu0 150 ticks user + 30 steal, cpu1 50 system, 20 irq: 2.5 s busy; own 0.5 s
    write_stat(stat, {"cpu0": (250, 0, 0, 950, 0, 0, 0, 30), "cpu1": (0, 0, 50, 1100, 0, 20, 0, 0)})
    assert sampler.others() == pytest.approx((2.5 - 0.5) / 2.0)


def test_a_real_busy_process_reads_as_about_one_core():
    """Measured, not written: a spinning child process is one core's worth of other work."""
    if usable_cores() < 2:
        pytest.skip("needs two cores")
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        sampler = CpuSampler()
        time.sleep(1.0)
        others = sampler.others()
    finally:
        spinner.kill()
        spinner.wait()
    # at least the spinner's core; more only if something else on the machine was busy too
    assert others is not None and 0.7 <= others <= usable_cores() + 0.2
