"""Imported only by the training forkserver, first (its preload list,
`demo.training.worker.worker_context`).

A forkserver runs nothing but imports before it forks, so this import is where MNIST is loaded:
once per app server, before any run, from the source in `$LENET_WORKER_DATA` (set by
`demo.training.worker.start_worker_server`). Every training process then starts with the data in
memory, shared copy-on-write. Without the variable, or when loading fails, each run loads its own
data and reports any error itself.

The forkserver must also end when the app dies, however it dies. Once serving, it ends when its
pipe from the app closes; while it imports torch and loads data here (seconds on a busy machine)
it cannot see that pipe, so a thread watches for the app's death meanwhile. Either way it leaves
with `os._exit`: a normal interpreter exit, tearing down torch and ~1 GB of objects, took
seconds on a busy machine.
"""

import atexit
import contextlib
import os
import threading

from demo.training.worker_control import ENV_APP, watch_app


def _import_and_preload() -> None:
    import torch

    from demo.training.worker import ENV_DATA, DataSource, preload
    from lenet.errors import LenetError

    if os.environ.get(ENV_DATA):
        # One thread: no OpenMP thread team in the forkserver, so each forked run starts its own.
        torch.set_num_threads(1)
        with contextlib.suppress(LenetError, OSError, ValueError, TypeError):
            preload(DataSource.from_json(os.environ[ENV_DATA]))


def _serve(app_pid: int) -> None:
    """Import and preload while a thread ends this process if the app dies meanwhile; then
    carry on single-threaded, as a forkserver must."""
    atexit.register(os._exit, 0)
    loaded = threading.Event()
    watcher = threading.Thread(target=watch_app, args=(app_pid, loaded), daemon=True)
    watcher.start()
    try:
        _import_and_preload()
    finally:
        loaded.set()
        watcher.join()


if os.environ.get(ENV_APP, str(os.getpid())) != str(os.getpid()):  # the app's forkserver
    _serve(int(os.environ[ENV_APP]))
