"""Does an input look like the digits the network was trained on? A score, calibrated on MNIST.

A LeNet-5 always names some digit, often at 100%, even for a zigzag. This measures instead how
far the input's features lie from the training digits', without touching the model (Lee et al.
2018, "A simple unified framework for detecting out-of-distribution samples"):
1. for three layers - pool2 (400 numbers, what the convolutions found), fc1 (120) and fc2 (84) -
   fit one Gaussian per class to the features of training digits, with one shared covariance;
2. an input's distance in a layer is its Mahalanobis distance to the nearest class mean,
   divided by the distance that only 1% of held-out MNIST digits (the validation split) exceed
   in that layer: 1.0 is as far out as the strangest 1% of real digits;
3. the score is the largest of the three (a scribble can look ordinary to one layer and strange
   to another); the threshold is the score that only `flag_rate` (1%) of the validation digits
   exceed, so about that share of real digits is flagged.
Fitting is one forward pass over FIT_SIZE training digits and the validation split. The layers
and the max were chosen on scribbles of seed 0; benchmarks/scribble_check.py reports others.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from lenet.data.mnist import MNIST
from lenet.explain.features import feature_maps
from lenet.model import LeNet5

# keys of lenet.explain.features.feature_maps: pool2 flattened, fc1, fc2
LAYERS = ("flat", "fc1", "fc2")
FIT_SIZE = 10_000  # training digits the class statistics are fitted on (1,000 a class)
FLAG_RATE = 0.01  # share of held-out MNIST digits above the threshold
LAYER_QUANTILE = 0.99  # a layer's distances are measured in units of this validation quantile
RIDGE = 1e-4  # added to the covariance's eigenvalues, relative to their mean
BATCH = 1000


@dataclass(frozen=True)
class LayerStats:
    """One layer's class-conditional Gaussians, whitened: distance = |x @ whiten - means|."""

    name: str
    means: torch.Tensor  # (classes, d) class means, whitened
    whiten: torch.Tensor  # (d, d) maps features to a space where the shared covariance is I
    limit: float  # the LAYER_QUANTILE of held-out MNIST digits' distances


@dataclass(frozen=True)
class Familiarity:
    """Statistics fitted for one model: score inputs with `scores` or `read`."""

    layers: tuple[LayerStats, ...]
    threshold: float  # scores above it are flagged "doesn't look like a digit"
    calibration: torch.Tensor  # (N,) sorted scores of the validation digits
    fit_size: int  # training digits the statistics came from
    val_accuracy: float  # the model's own accuracy on the validation split: below ~90% its
    # features separate the classes too poorly for a distance to them to mean much


@dataclass(frozen=True)
class Reading:
    """How familiar one input looks to the network."""

    score: float  # 1.0: as far from the training digits as the strangest 1% of MNIST digits
    threshold: float
    percentile: float  # share of held-out MNIST digits with a lower score, in [0, 1]

    @property
    def unfamiliar(self) -> bool:
        return not self.score <= self.threshold  # a NaN score (broken weights) is flagged too


@torch.no_grad()
def layer_features(
    model: LeNet5, x: torch.Tensor, names: tuple[str, ...] = LAYERS
) -> dict[str, torch.Tensor]:
    """Features (N, d) in float64 of each layer in `names`, for inputs (N, C, 32, 32)."""
    device = next(model.parameters()).device
    chunks: dict[str, list[torch.Tensor]] = {name: [] for name in names}
    for start in range(0, len(x), BATCH):
        maps = feature_maps(model, x[start : start + BATCH].to(device))
        for name in names:
            chunks[name].append(maps[name].cpu().double())
    return {name: torch.cat(parts) for name, parts in chunks.items()}


def fit_layer(name: str, features: torch.Tensor, labels: torch.Tensor) -> LayerStats:
    """Class means and the shared covariance's whitening; `limit` is set by calibration."""
    classes = int(labels.max()) + 1
    means = torch.stack([features[labels == c].mean(0) for c in range(classes)])
    centred = features - means[labels]
    covariance = centred.T @ centred / len(features)
    values, vectors = torch.linalg.eigh(covariance)
    values = values.clamp(min=0) + RIDGE * values.mean().clamp(min=1e-12)
    whiten = vectors / values.sqrt()
    return LayerStats(name, means @ whiten, whiten, 1.0)


def nearest_distance(layer: LayerStats, features: torch.Tensor) -> torch.Tensor:
    """(N,) Mahalanobis distance to the nearest class mean."""
    return torch.cdist(features @ layer.whiten, layer.means).min(1).values


def combined(layers: tuple[LayerStats, ...], features: dict[str, torch.Tensor]) -> torch.Tensor:
    """(N,) the largest over layers of distance / the layer's limit."""
    ratios = [nearest_distance(layer, features[layer.name]) / layer.limit for layer in layers]
    return torch.stack(ratios).max(0).values


def fit_familiarity(
    model: LeNet5, data: MNIST, fit_size: int = FIT_SIZE, flag_rate: float = FLAG_RATE
) -> Familiarity:
    """Fit on the first `fit_size` training digits; calibrate on the validation split."""
    train = data.train.head(fit_size)
    fitted = layer_features(model, train.images)
    held_out = layer_features(model, data.val.images, (*LAYERS, "logits"))
    layers = []
    for name in LAYERS:
        layer = fit_layer(name, fitted[name], train.labels)
        distances = nearest_distance(layer, held_out[name])
        limit = max(float(torch.quantile(distances, LAYER_QUANTILE)), 1e-12)
        layers.append(LayerStats(name, layer.means, layer.whiten, limit))
    calibration = combined(tuple(layers), held_out).sort().values
    threshold = float(torch.quantile(calibration, 1.0 - flag_rate))
    right = held_out["logits"].argmax(1) == data.val.labels  # from the same pass
    return Familiarity(
        tuple(layers), threshold, calibration, len(train), float(right.float().mean())
    )


def scores(model: LeNet5, stats: Familiarity, x: torch.Tensor) -> torch.Tensor:
    """(N,) familiarity scores of inputs (N, C, 32, 32): above stats.threshold is unfamiliar."""
    return combined(stats.layers, layer_features(model, x))


def read(model: LeNet5, stats: Familiarity, x: torch.Tensor) -> list[Reading]:
    """A Reading for each input (N, C, 32, 32)."""
    values = scores(model, stats, x)
    below = torch.searchsorted(stats.calibration, values.contiguous())
    shares = (below.double() / len(stats.calibration)).tolist()
    return [
        Reading(float(v), stats.threshold, share)
        for v, share in zip(values.tolist(), shares, strict=True)
    ]


def flagged_share(model: LeNet5, stats: Familiarity, x: torch.Tensor) -> float:
    """Share of inputs (N, C, 32, 32) whose score is above the threshold."""
    return float((scores(model, stats, x) > stats.threshold).double().mean())


UNFAMILIAR = (
    "This doesn't look much like any digit the network learned from. Whatever it answers is a "
    "guess."
)


def details(reading: Reading) -> str:
    """The numbers behind a reading, for those who ask (a help text)."""
    if reading.percentile >= 1.0:
        than = "any real MNIST digit it was checked on"
    else:
        than = f"{min(100 * reading.percentile, 99.9):.1f}% of real MNIST digits"
    return (
        f"Distance from the digits it learned from: {reading.score:.2f}. Above "
        f"{reading.threshold:.2f} counts as unlike them. This input is further away than {than}."
    )
