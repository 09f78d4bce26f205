"""The optimizers are torch's own, less the wrappers that import `torch._dynamo`: the same
updates, bit for bit, under every schedule, and a run that never imports `torch._dynamo`."""

from __future__ import annotations

import inspect
import itertools
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from lenet.config import OPTIMIZERS, SCHEDULERS, ModelConfig, TrainConfig
from lenet.model import LeNet5
from lenet.training.schedule import make_optimizer, make_scheduler
from tests.paths import ROOT

STEPS = 12


def train(optimizer_of, config: TrainConfig) -> tuple[list[torch.Tensor], dict]:
    """The weights and optimizer state after STEPS minibatches on fixed noise."""
    torch.manual_seed(0)
    model = LeNet5(ModelConfig())
    optimizer = optimizer_of(model)
    scheduler = make_scheduler(optimizer, config, STEPS)
    x, y = torch.randn(32, 1, 32, 32), torch.randint(0, 10, (32,))
    for _ in range(STEPS):
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step(*([1.0] if config.scheduler == "plateau" else []))
    return [p.detach().clone() for p in model.parameters()], optimizer.state_dict()


@pytest.mark.parametrize(
    "optimizer, scheduler", list(itertools.product(OPTIMIZERS, ("none", "onecycle", "plateau")))
)
def test_each_optimizer_updates_as_torchs_own(optimizer, scheduler):
    config = TrainConfig(
        optimizer=optimizer,
        scheduler=scheduler,
        lr=0.01,
        momentum=0.9,
        nesterov=True,
        weight_decay=1e-3,
    )
    ours = train(lambda model: make_optimizer(model, config), config)
    made = make_optimizer(LeNet5(ModelConfig()), config)
    torchs = type(made).__mro__[1]
    given = inspect.signature(torchs).parameters
    settings = {k: v for k, v in made.defaults.items() if k in given}  # AdamW adds one
    assert torchs.__module__.startswith("torch.optim.") and type(made).__name__ == torchs.__name__
    theirs = train(lambda model: torchs(model.parameters(), **settings), config)
    assert len(ours[0]) == 10 and all(
        torch.equal(a, b) for a, b in zip(ours[0], theirs[0], strict=True)
    )
    assert ours[1]["param_groups"] == theirs[1]["param_groups"]
    moved = train(
        lambda model: torchs(model.parameters(), **{**settings, "weight_decay": 0.5}), config
    )
    assert not torch.equal(ours[0][0], moved[0][0])  # the comparison can tell updates apart


def test_the_optimizer_keeps_gradients_off_in_its_step_and_on_after():
    model = LeNet5(ModelConfig())
    optimizer = make_optimizer(model, TrainConfig(optimizer="adamw", scheduler="none"))
    model(torch.zeros(1, 1, 32, 32)).sum().backward()
    optimizer.step()  # an in-place update of a leaf that wants a gradient raises with grad on
    assert torch.is_grad_enabled()
    assert all(p.grad_fn is None and p.requires_grad for p in model.parameters())


def test_a_run_never_imports_dynamo():
    code = (
        "import sys\n"
        "from lenet.config import TrainConfig, SCHEDULERS, OPTIMIZERS\n"
        "from tests.lenet.training.test_schedule import train\n"
        "from lenet.training.schedule import make_optimizer\n"
        "for o in OPTIMIZERS:\n"
        "    for s in SCHEDULERS:\n"
        "        c = TrainConfig(optimizer=o, scheduler=s)\n"
        "        train(lambda model: make_optimizer(model, c), c)\n"
        "print(sorted(m for m in sys.modules if m.startswith('torch._dynamo')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
    assert len(SCHEDULERS) == 5
