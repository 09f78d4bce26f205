"""More app processes on one machine: do N servers behind one proxy serve more students?

    python benchmarks/more_servers.py [--servers 1 2] [--students 32] [--trainers 2]
                                      [--rounds 2] [--seconds 20] [--watchers 0] [--cpus 2]
                                      [--baseline CHECKOUT] [--json]

One Ray head (`--cpus` CPUs, `scripts/cluster_demo.start_head`) takes the runs of every server:
the class's one queue. Each round starts N app servers sharing it and one run store (a fresh
SQLite file), puts haproxy in front on one port with sticky sessions (`scripts/proxy.py`), and
runs one `light_load` round through the proxy: S students drawing while K train (and W watch
their own runs, `--watchers`). The values of `--servers` alternate round by round, so every N
meets the same machine. Reported per round: light_load's figures plus the app servers' CPU (all
N together) and their memory at the end.
`--baseline CHECKOUT` adds, to every round, another checkout's one server as `make classroom`
runs it (its own training processes, no proxy, no Ray): what a class had before (`servers: 0`).
Loopback only; needs Debian's haproxy.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from classroom_load import usage  # noqa: E402
from light_load import round_of  # noqa: E402
from light_roles import student  # noqa: E402
from serving import free_port, wait_healthy  # noqa: E402

from scripts.cluster_demo import app_server, server_env, start_head, stop_head  # noqa: E402
from scripts.proxy import proxied  # noqa: E402


@contextlib.contextmanager
def servers_behind_proxy(count: int, env: dict[str, str]):
    """`count` app servers on loopback and haproxy in front: (url, server pids)."""
    ports = [free_port() for _ in range(count)]
    processes = [app_server(p, env, "--server.address", "127.0.0.1") for p in ports]
    try:
        for port in ports:
            wait_healthy(f"http://127.0.0.1:{port}")
        front = free_port()
        with proxied(front, ports, bind="127.0.0.1"):
            yield f"http://127.0.0.1:{front}", [p.pid for p in processes]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(20)


async def measured(url: str, pids: list[int], args) -> dict:
    for n in range(len(pids)):  # each server's page, model and MNIST loaded once
        await student(url, 3, n, args.think)
    await asyncio.sleep(2)
    before = [usage(pid) for pid in pids]
    start = time.monotonic()
    result = await round_of(url, None, args, args.students)
    wall = time.monotonic() - start
    after = [usage(pid) for pid in pids]
    cpu = sum(a[1] - b[1] for a, b in zip(after, before, strict=True))
    result.update(
        servers=len(pids),
        readings_per_s=round(result["readings"] / wall, 2),
        servers_cpu_percent=round(100 * cpu / wall, 1),
        servers_rss_mb=round(sum(a[0] for a in after)),
    )
    return result


@contextlib.contextmanager
def baseline_server(checkout: str, folder: str):
    """Another checkout's `streamlit run demo/serve.py`, alone, with its own training: (url,
    [pid])."""
    port = free_port()
    database = f"sqlite:///{folder}/runs.db"
    env = {**os.environ, "LENET_CHECKPOINT_DIR": folder, "LENET_DATABASE_URL": database}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "demo/serve.py", "--server.port", str(port),
         "--server.headless", "true", "--server.address", "127.0.0.1"],
        cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        yield f"http://127.0.0.1:{port}", [process.pid]
    finally:
        process.terminate()
        process.wait(20)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, nargs="+", default=[1, 2], help="N, alternated")
    parser.add_argument("--students", type=int, default=32, help="S drawing at once")
    parser.add_argument("--trainers", type=int, default=2, help="Quick-demo runs per round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each N")
    parser.add_argument("--seconds", type=float, default=20, help="s each student draws")
    parser.add_argument("--think", type=float, default=0.5, help="s from empty canvas to pen up")
    parser.add_argument("--watchers", type=int, default=0, help="students watching their run")
    parser.add_argument("--cpus", type=int, default=2, help="the Ray head's CPUs for training")
    parser.add_argument("--baseline", help="another checkout's single server, each round too")
    parser.add_argument("--json", action="store_true", help="one JSON line per round")
    args = parser.parse_args()
    args.train_limit = 300
    head = start_head(args.cpus, free_port())
    try:
        for _ in range(args.rounds):
            for count in ([0] if args.baseline else []) + args.servers:
                with tempfile.TemporaryDirectory() as folder:
                    env = server_env(head, f"sqlite:///{folder}/runs.db")
                    env["LENET_CHECKPOINT_DIR"] = folder
                    serving = (
                        baseline_server(args.baseline, folder)
                        if count == 0
                        else servers_behind_proxy(count, env)
                    )
                    with serving as (url, pids):
                        result = asyncio.run(measured(url, pids, args))
                result["servers"] = count
                print(json.dumps(result) if args.json else result, flush=True)
    finally:
        stop_head(head)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
