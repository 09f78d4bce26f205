"""Optimizers and learning-rate schedules, built from a `TrainConfig`.

Every schedule except `plateau` is stepped after each minibatch, over the run's total steps, so a
one-epoch classroom run and a fifteen-epoch run follow the same shape. `plateau` halves the rate
when the validation loss stops improving, and is stepped at each evaluation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:
    from lenet.config import TrainConfig


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    # foreach: one multi-tensor kernel per update instead of one per parameter (CPU too)
    params, lr, wd = model.parameters(), config.lr, config.weight_decay
    if config.optimizer == "sgd":
        nesterov = config.nesterov and config.momentum > 0
        return torch.optim.SGD(
            params,
            lr=lr,
            momentum=config.momentum,
            weight_decay=wd,
            nesterov=nesterov,
            foreach=True,
        )
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=wd, foreach=True)
    return torch.optim.AdamW(params, lr=lr, weight_decay=wd, foreach=True)


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
