"""Imported only by the training forkserver (its preload list, `demo.worker.worker_context`).

A forkserver runs nothing but imports before it forks, so this import is where MNIST is loaded:
once per app server, before any run, from the source in `$LENET_WORKER_DATA` (set by
`demo.worker.start_worker_server`). Every training process then starts with the data in memory,
shared copy-on-write. Without the variable, or when loading fails, each run loads its own data
and reports any error itself.
"""

import contextlib
import os

import torch

from demo.worker import ENV_DATA, DataSource, preload
from lenet.errors import LenetError

if os.environ.get(ENV_DATA):
    # One thread: no OpenMP thread team in the forkserver, so each forked run starts its own.
    torch.set_num_threads(1)
    with contextlib.suppress(LenetError, OSError, ValueError, TypeError):
        preload(DataSource.from_json(os.environ[ENV_DATA]))
