"""Optimizers and learning-rate schedules, built from a `TrainConfig`.

Every schedule except `plateau` is stepped after each minibatch, over the run's total steps, so a
one-epoch classroom run and a fifteen-epoch run follow the same shape. `plateau` halves the rate
when the validation loss stops improving, and is stepped at each evaluation.

The optimizers are torch's own, less the wrappers that import `torch._dynamo` on their first call
(`@torch._disable_dynamo` on `add_param_group`, `zero_grad` and the state-dict methods, and the
`step` wrapper that also turns gradients off). They matter only under `torch.compile`, which
nothing here uses, and the import is 1.5-1.8 s of every command's and training process's start
(benchmarks/README.md, "A command line that starts fast"). Same updates, bit for bit
(tests/lenet/training/test_schedule.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:
    from lenet.config import TrainConfig


def _plain(method):
    """The function under torch's wrapper (`functools.wraps` keeps it as `__wrapped__`)."""
    return getattr(method, "__wrapped__", method)


def _without_dynamo(optimizer: type[torch.optim.Optimizer]) -> type[torch.optim.Optimizer]:
    """`optimizer` whose methods run as torch's would outside `torch.compile`, never importing
    `torch._dynamo`."""
    base, step = torch.optim.Optimizer, _plain(optimizer.step)

    class Optimizer(optimizer):
        add_param_group = _plain(base.add_param_group)
        zero_grad = _plain(base.zero_grad)
        state_dict = _plain(base.state_dict)
        load_state_dict = _plain(base.load_state_dict)

        def step(self, closure=None):
            # what torch's `_use_grad_for_differentiable` does around `step`, less its import
            with torch.set_grad_enabled(self.defaults["differentiable"]):
                return step(self, closure)

    Optimizer.__name__ = Optimizer.__qualname__ = optimizer.__name__
    Optimizer.__doc__ = optimizer.__doc__
    return Optimizer


SGD = _without_dynamo(torch.optim.SGD)
ADAM = _without_dynamo(torch.optim.Adam)
ADAMW = _without_dynamo(torch.optim.AdamW)


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    # foreach: one multi-tensor kernel per update instead of one per parameter (CPU too)
    params, lr, wd = model.parameters(), config.lr, config.weight_decay
    if config.optimizer == "sgd":
        nesterov = config.nesterov and config.momentum > 0
        return SGD(
            params,
            lr=lr,
            momentum=config.momentum,
            weight_decay=wd,
            nesterov=nesterov,
            foreach=True,
        )
    if config.optimizer == "adam":
        return ADAM(params, lr=lr, weight_decay=wd, foreach=True)
    return ADAMW(params, lr=lr, weight_decay=wd, foreach=True)


def make_scheduler(optimizer: torch.optim.Optimizer, config: TrainConfig, total_steps: int):
    """The schedule named in the config, or None for a constant rate."""
    lrs = torch.optim.lr_scheduler
    if config.scheduler == "step":  # x0.1 at half and at three quarters of the run
        return lrs.MultiStepLR(optimizer, [total_steps // 2, total_steps * 3 // 4], gamma=0.1)
    if config.scheduler == "cosine":
        return lrs.CosineAnnealingLR(optimizer, T_max=total_steps)
    if config.scheduler == "onecycle":
        return lrs.OneCycleLR(optimizer, max_lr=config.lr, total_steps=total_steps, pct_start=0.25)
    if config.scheduler == "plateau":
        return lrs.ReduceLROnPlateau(optimizer, factor=0.5, patience=1)
    return None
