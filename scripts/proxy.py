"""One port in front of N app servers: Debian's haproxy, sticky sessions and websockets.

A Streamlit session lives in the process that holds its websocket, and the files a page shows
(`/media/...`, the canvas's own scripts) are served by that process alone, so every request of a
browser must reach the server that served its first page. haproxy inserts a cookie naming that
server into the first answer (`cookie lenet insert indirect nocache`); the browser sends it with
the websocket's upgrade and with every later request. A browser that refuses cookies still
gets a working page as long as one server is up, only without spreading.

    with proxied(port=8501, servers=[8502, 8503]) as proxy:
        ...  # http://127.0.0.1:8501 now reaches both, each browser always the same one

The websocket is kept for a whole lesson (`timeout tunnel 2h`); a server that stops answering
its health check (`/_stcore/health`) gets no new browsers.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

HAPROXY = "haproxy"
INSTALL = "apt-get install -y haproxy"  # Debian's; `.ci/run` installs it for the tests


def config(port: int, servers: list[int], bind: str = "0.0.0.0") -> str:
    """haproxy's configuration: `bind:port` in front of 127.0.0.1:servers[i]."""
    if not servers:
        raise ValueError("a proxy needs at least one app server")
    backends = "\n".join(
        f"    server app{n} 127.0.0.1:{p} check cookie app{n}" for n, p in enumerate(servers)
    )
    return f"""global
    maxconn 4096
    noreuseport

defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout tunnel 2h
    timeout http-request 30s

frontend lenet
    bind {bind}:{port}
    default_backend apps

backend apps
    balance leastconn
    cookie lenet insert indirect nocache
    option httpchk GET /_stcore/health
{backends}
"""


def listening(port: int, host: str = "127.0.0.1") -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def wait_healthy(port: int, timeout: float = 180) -> None:
    """Until the app server on 127.0.0.1:port answers its health check."""
    deadline = time.monotonic() + timeout
    while True:
        health = f"http://127.0.0.1:{port}/_stcore/health"
        with contextlib.suppress(OSError), urllib.request.urlopen(health, timeout=2):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the app server on port {port} did not start in {timeout:.0f} s")
        time.sleep(0.5)


@contextlib.contextmanager
def proxied(port: int, servers: list[int], bind: str = "0.0.0.0", wait_s: float = 20):
    """haproxy on `bind:port` for as long as the block runs; its process."""
    binary = shutil.which(HAPROXY)
    if binary is None:
        raise RuntimeError(f"haproxy is not installed: {INSTALL}")
    if listening(port, "127.0.0.1" if bind == "0.0.0.0" else bind):
        raise RuntimeError(f"port {port} is already in use: pick another (PORT=...)")
    folder = Path(tempfile.mkdtemp(prefix="lenet-proxy-"))
    path = folder / "haproxy.cfg"
    path.write_text(config(port, servers, bind))
    check = subprocess.run([binary, "-c", "-q", "-f", str(path)], capture_output=True, text=True)
    if check.returncode:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"haproxy refused its configuration: {check.stderr.strip()[:200]}")
    process = subprocess.Popen([binary, "-db", "-f", str(path)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + wait_s
        while not listening(port):
            if process.poll() is not None:
                said = process.stderr.read().decode(errors="replace").strip().splitlines()
                raise RuntimeError(f"haproxy stopped: {said[-1] if said else process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"haproxy did not listen on port {port} in {wait_s:.0f} s")
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)
