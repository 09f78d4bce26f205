"""A run's training timeline: its weights at chosen moments (snapshots), kept as it trains.

Most of what a network learns happens in its first few hundred steps, so besides the evaluation
points a run keeps log-spaced steps (dense early) and always its random start (step 0): at least
MIN_SNAPSHOTS for any run of one epoch or more, at most MOST_SNAPSHOTS (a LeNet-5's weights are
~247 kB as float32, so 81 snapshots stay under the 20 MB a run may take). A snapshot is the
model's parameters as one flat float32 vector, in `state_dict` order (LeNet-5 has no buffers).
Saved in checkpoints by `lenet.timeline.file`; drawn by `lenet.timeline.gif`; the CLI
`python -m lenet.timeline` is `lenet.cli.timeline`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch

from lenet.config import ModelConfig
from lenet.files.guard import MAX_WEIGHT
from lenet.model import LeNet5

MIN_SNAPSHOTS = 40
MAX_TOTAL_STEPS = 10**9  # far beyond any run (Classic: 3,165); a file claiming more is damaged
MAX_BYTES = 20_000_000
WEIGHTS_BYTES = 61_706 * 4  # LeNet-5's parameters as float32
MOST_SNAPSHOTS = MAX_BYTES // WEIGHTS_BYTES  # 81, the final weights of a stopped run included
EARLY = 16  # log-spaced steps every run keeps besides its evaluation points


def eval_steps(steps_per_epoch: int, evals_per_epoch: int) -> set[int]:
    """Batch indices (1-based, within an epoch) after which to evaluate; always the last."""
    count = min(evals_per_epoch, steps_per_epoch)
    return {round(steps_per_epoch * (k + 1) / count) for k in range(count)}


def evaluation_points(steps_per_epoch: int, epochs: int, evals_per_epoch: int) -> list[int]:
    """The global steps (1-based) after which the trainer evaluates, in order."""
    within = sorted(eval_steps(steps_per_epoch, evals_per_epoch))
    return [epoch * steps_per_epoch + step for epoch in range(epochs) for step in within]


def evenly(steps: list[int], count: int) -> list[int]:
    """`count` of `steps`, evenly spread, the last one always kept."""
    if count >= len(steps):
        return list(steps)
    return sorted({steps[round((len(steps) - 1) * (k + 1) / count)] for k in range(count)})


def log_spaced(total: int, count: int) -> set[int]:
    """About `count` steps from 1 to `total`, spaced evenly on a log scale (dense early)."""
    if count <= 1 or total <= 1:
        return {1} if total >= 1 else set()
    ratio = math.log(total) / (count - 1)
    return {min(total, round(math.exp(ratio * k))) for k in range(count)}


def snapshot_steps(
    steps_per_epoch: int,
    epochs: int,
    evals_per_epoch: int = 1,
    least: int = MIN_SNAPSHOTS,
    most: int = MOST_SNAPSHOTS,
) -> list[int]:
    """The steps after which a run keeps its weights, sorted: 0 (the random start), the
    evaluation points (evenly thinned when there are too many), and log-spaced steps: at least
    EARLY of them and `least` snapshots in all; every step of a run shorter than that. One place
    is left below `most` for the final weights of a run stopped early."""
    total = steps_per_epoch * epochs
    if total + 1 <= least:
        return list(range(total + 1))
    evals = evenly(evaluation_points(steps_per_epoch, epochs, evals_per_epoch), most - 2 - EARLY)
    base = {0, *evals}
    wanted = min(most - 1, max(least, len(base) + EARLY), total + 1)
    chosen, count = set(base), 1
    while len(chosen) < wanted:
        count += 1
        more = base | log_spaced(total, count)
        if len(more) > most - 1:
            break
        chosen = more
    return sorted(chosen)


def sound(weights: np.ndarray) -> bool:
    """Weights a checkpoint may hold: finite and within MAX_WEIGHT (lenet.files.guard)."""
    return bool(np.isfinite(weights).all()) and float(np.abs(weights).max()) <= MAX_WEIGHT


@dataclass(frozen=True)
class Snapshot:
    step: int  # steps done when the weights were taken (0: the random start)
    epoch: float  # fractional epochs done
    weights: np.ndarray  # float32, all parameters flattened in state_dict order (read-only)


def flat_weights(model: torch.nn.Module) -> np.ndarray:
    """The model's parameters as one read-only float32 vector (a copy, on the CPU)."""
    parts = [v.detach().reshape(-1).to("cpu", torch.float32) for v in model.state_dict().values()]
    flat = torch.cat(parts).numpy().copy()
    flat.flags.writeable = False
    return flat


def state_dict_of(weights: np.ndarray, config: ModelConfig) -> dict[str, torch.Tensor]:
    """The state dict a flat vector stands for (raises ValueError when the sizes differ)."""
    shapes = {k: v.shape for k, v in LeNet5(config).state_dict().items()}
    sizes = [math.prod(s) for s in shapes.values()]
    if weights.ndim != 1 or weights.size != sum(sizes):
        raise ValueError(f"a snapshot holds {weights.size:,} numbers, not {sum(sizes):,}")
    parts = torch.from_numpy(np.array(weights, dtype=np.float32)).split(sizes)
    return {k: p.reshape(s) for (k, s), p in zip(shapes.items(), parts, strict=True)}


def model_at(weights: np.ndarray, config: ModelConfig) -> LeNet5:
    """A model in eval mode with these weights."""
    model = LeNet5(config)
    model.load_state_dict(state_dict_of(weights, config))
    return model.eval()


@dataclass(frozen=True)
class Timeline:
    """A run's snapshots in step order, and the steps the whole run has (the M of "step N of M";
    a run still training has snapshots up to now)."""

    snapshots: tuple[Snapshot, ...]
    total_steps: int

    def __len__(self) -> int:
        return len(self.snapshots)

    @property
    def steps(self) -> list[int]:
        return [s.step for s in self.snapshots]

    @property
    def epochs(self) -> list[float]:
        return [s.epoch for s in self.snapshots]

    def index_of(self, step: int) -> int:
        """The index of the snapshot at `step`, else of the last one before it (0 if none)."""
        before = [i for i, s in enumerate(self.snapshots) if s.step <= step]
        return before[-1] if before else 0

    def model(self, index: int, config: ModelConfig) -> LeNet5:
        return model_at(self.snapshots[index].weights, config)

    def stacked(self) -> np.ndarray:
        """All weights as one (snapshots, parameters) float32 array."""
        return np.stack([s.weights for s in self.snapshots]).astype(np.float32, copy=False)

    @property
    def nbytes(self) -> int:
        return sum(s.weights.nbytes for s in self.snapshots)


class SnapshotLog:
    """Keeps the weights at the scheduled steps of a training run (the trainer calls `take`
    after each step); `on_take` hears of each snapshot as it is kept."""

    def __init__(
        self,
        steps: Iterable[int],
        total_steps: int,
        on_take: Callable[[Snapshot], None] | None = None,
    ) -> None:
        self.due, self.total_steps, self.on_take = set(steps), total_steps, on_take
        self.snapshots: list[Snapshot] = []

    def take(self, step: int, epoch: float, model: torch.nn.Module, final: bool = False) -> None:
        """Keep the weights after `step` if it is scheduled (or `final`, the run's last step)."""
        if step not in self.due and not final:
            return
        if self.snapshots and self.snapshots[-1].step == step:
            return
        weights = flat_weights(model)
        if not sound(weights):  # a run about to diverge: its timeline ends at its last sound step
            return
        snapshot = Snapshot(step, epoch, weights)
        self.snapshots.append(snapshot)
        if self.on_take is not None:
            self.on_take(snapshot)

    def timeline(self) -> Timeline:
        return Timeline(tuple(self.snapshots), self.total_steps)
