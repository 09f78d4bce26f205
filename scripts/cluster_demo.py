"""A department's deployment, on one machine: a Ray cluster, N app servers side by side sharing
one run store, every training run on the cluster (`make cluster-demo`; README "Many students:
a Ray cluster"). The browser test tests/browser/test_cluster.py starts the same pieces.

    python scripts/cluster_demo.py [--servers 2] [--cpus 2] [--port 8501] [--proxy]

The head is `ray start --head` in a folder of its own (so stopping it stops only its processes,
never another Ray on the machine), with its client server on `--client-port` (10001); each app
server is `streamlit run demo/serve.py` with LENET_RAY_ADDRESS=ray://NODE_IP:PORT and the same
LENET_DATABASE_URL (PostgreSQL for a department; by default the checkout's SQLite file, which
servers on one machine can share). With `--proxy` (`make classroom WORKERS=N`) the servers
listen on loopback only, from port+1, with `make classroom`'s flags, and haproxy puts them all
behind `--port` with sticky sessions (`scripts/proxy.py`). Ctrl-C stops everything it started.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.proxy import proxied, wait_healthy  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RAY = Path(sys.executable).with_name("ray")
MARKER = "LENET_RAY_HEAD"  # in the environment of every process a head started


@dataclasses.dataclass
class Head:
    address: str  # ray://NODE_IP:CLIENT_PORT, what app servers connect to
    folder: str  # its --temp-dir: every process of this head names it
    gcs: str  # NODE_IP:GCS_PORT, for `ray start --address` on other nodes

    def pids(self) -> list[int]:
        """This head's processes, whatever they renamed themselves to: each inherited the
        marker `start_head` put in `ray start`'s environment."""
        marker = f"{MARKER}={self.folder}".encode()
        found, parents = set(), {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) != os.getpid():
                with contextlib.suppress(OSError):
                    if marker in (entry / "environ").read_bytes().split(b"\0"):
                        found.add(int(entry.name))
                    status = (entry / "status").read_text()
                    parents[int(entry.name)] = int(status.split("PPid:")[1].split()[0])
        # and their children: Ray's agents blank their environment when they rename themselves
        while more := {pid for pid, parent in parents.items() if parent in found} - found:
            found |= more
        return sorted(found)


def cluster_env() -> dict[str, str]:
    """What the head, its workers and the app servers share: the checkout on the path (workers
    import `demo` and `lenet`), Ray's token authentication (its default in Ray 2.60; the token is
    ~/.ray/auth_token on this machine, RAY_AUTH_TOKEN elsewhere), no usage reports."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RAY_AUTH_MODE": os.environ.get("RAY_AUTH_MODE", "token"),
        "RAY_USAGE_STATS_ENABLED": "0",
        # the head's client server gives up on a client's server process that failed to start
        # after this long (30 s by default; measured: one start in a few fails on a busy machine,
        # and the app's connect tries again)
        "RAY_CLIENT_SERVER_CHECK_CHANNEL_TIMEOUT_S": "10",
    }


def ensure_token() -> None:
    """Ray's token on this machine, made once when none is given (`ray start --head` refuses to
    start without one; the first head on a new machine found none)."""
    env = cluster_env()
    if env["RAY_AUTH_MODE"] != "token" or env.get("RAY_AUTH_TOKEN"):
        return
    subprocess.run(
        [str(RAY), "get-auth-token", "--generate"],
        capture_output=True, env=env, cwd=ROOT, timeout=60, check=True,
    )  # fmt: skip


def start_head(cpus: int, client_port: int = 10001, niceness: int | None = None) -> Head:
    """`ray start --head` in a folder of its own. Ray starts its workers at nice 15 (pages ahead
    of training on a teacher's machine); `niceness` sets another (the tests' 0: at 15 beside two
    busy processes on two cores, a run's actor took 70 s to start, against 5 s at 0)."""
    if 10002 <= client_port <= 19999:
        raise ValueError(
            f"client port {client_port} is in Ray's worker ports (10002-19999): pick another"
        )
    ensure_token()
    folder = tempfile.mkdtemp(prefix="lenet-ray-")
    nice = [] if niceness is None else [f'--system-config={{"worker_niceness": {niceness}}}']
    done = subprocess.run(
        [
            str(RAY), "start", "--head", "--port=0", f"--num-cpus={cpus}",
            f"--ray-client-server-port={client_port}", f"--temp-dir={folder}",
            "--include-dashboard=false", "--disable-usage-stats",
            *nice,
        ],
        capture_output=True, text=True, env={**cluster_env(), MARKER: folder}, cwd=ROOT,
        timeout=120, check=False,
    )  # fmt: skip
    said = done.stdout + done.stderr
    gcs = re.search(r"ray start --address='([^']+)'", said)
    if done.returncode or not gcs:
        shutil.rmtree(folder, ignore_errors=True)
        why = [line for line in said.splitlines() if "Error" in line] or said.splitlines()[-1:]
        raise RuntimeError(f"ray start failed: {why[-1].strip() if why else done.returncode}")
    host = gcs.group(1).rpartition(":")[0]
    return Head(f"ray://{host}:{client_port}", folder, gcs.group(1))


def stop_head(head: Head) -> None:
    for pid in head.pids():
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    shutil.rmtree(head.folder, ignore_errors=True)


def server_env(head: Head, database: str) -> dict[str, str]:
    return {**cluster_env(), "LENET_RAY_ADDRESS": head.address, "LENET_DATABASE_URL": database}


def app_server(port: int, env: dict[str, str], *flags: str) -> subprocess.Popen:
    """`streamlit run demo/serve.py` on `port` (5 MB uploads), with `flags` after."""
    return subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", "demo/serve.py",
            "--server.port", str(port), "--server.headless", "true",
            "--server.maxUploadSize", "24", *flags,
        ],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip


# `make classroom`'s flags: viewer toolbar, no error details, XSRF on (the proxy is the one port)
CLASSROOM = ("--client.toolbarMode", "viewer", "--client.showErrorDetails", "none",
             "--server.enableXsrfProtection", "true", "--server.address", "127.0.0.1")  # fmt: skip


def stopped(*_) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=2, help="app servers side by side")
    parser.add_argument("--cpus", type=int, default=2, help="the cluster's CPUs for training")
    parser.add_argument("--port", type=int, default=8501, help="the first app server's port")
    parser.add_argument("--client-port", type=int, default=10001, help="Ray's client server")
    parser.add_argument(
        "--proxy",
        action="store_true",
        help="a class on one port: haproxy on --port, the servers behind it on loopback",
    )
    args = parser.parse_args(argv)
    # Ctrl-C, and a service manager's (or a shell's background job's) stop, end it all cleanly
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, stopped)
    if args.servers < 1:
        parser.error("--servers must be at least 1")
    database = os.environ.get("LENET_DATABASE_URL") or f"sqlite:///{ROOT / 'runs' / 'lenet.db'}"
    first = args.port + 1 if args.proxy else args.port
    ports = [first + n for n in range(args.servers)]
    print(f"Starting a Ray head with {args.cpus} CPUs...", flush=True)
    try:
        head = start_head(args.cpus, args.client_port)
    except (ValueError, RuntimeError) as error:
        print(f"cluster-demo: {error}", file=sys.stderr)
        return 2
    servers = []
    try:
        with contextlib.ExitStack() as stack:
            flags = CLASSROOM if args.proxy else ()
            servers = [app_server(p, server_env(head, database), *flags) for p in ports]
            print(
                f"Ray cluster: {head.address} (add a node, from its checkout: RAY_AUTH_MODE=token "
                f"PYTHONPATH=$PWD .venv/bin/ray start --address={head.gcs})"
            )
            print(f"Run store: {database.split('@')[-1]}")
            if args.proxy:  # once every server answers: no student meets a 503
                for port in ports:
                    wait_healthy(port)
                stack.enter_context(proxied(args.port, ports))
                print(
                    f"Class: http://<this machine>:{args.port} (haproxy in front of "
                    f"{args.servers} app servers on 127.0.0.1:{ports[0]}-{ports[-1]}). "
                    "Ctrl-C stops all of it.",
                    flush=True,
                )
            else:
                where = ", ".join(f"http://localhost:{p}" for p in ports)
                print(f"App servers: {where}. Ctrl-C stops them and the cluster.", flush=True)
            while all(server.poll() is None for server in servers):
                time.sleep(1)
            print("An app server stopped; stopping the rest.")
            return 1
    except KeyboardInterrupt:
        return 0
    except RuntimeError as error:  # haproxy missing or refusing
        print(f"cluster-demo: {error}", file=sys.stderr)
        return 2
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(10)
        stop_head(head)
        print("Stopped.")


if __name__ == "__main__":
    sys.exit(main())
