"""The fc2 embedding: 84 features per test digit, projected to 2-D with t-SNE.

A fixed, seeded, class-balanced choice of 1,500 test digits goes through the network once; t-SNE
(scikit-learn, Barnes-Hut, PCA start) lays their fc2 features out in the plane. 350 steps (250
of them scikit-learn's early exaggeration, its minimum) keep the neighbourhoods of 1,000 steps:
the labels of each digit's 10 nearest in 2-D agree with its own as often (98.4% both for the
shipped model, 90.8% both for one trained to 93%). 2,000 digits and 500 steps took twice as long
(3.0 s on 2 cores) for the same picture.
One OpenMP thread: the result never depends on the machine's thread count, and two threads on a
busy server ran 3.6x slower. t-SNE has no `transform` for new points, so a new digit is placed at
the inverse-distance weighted mean of the 2-D places of its k nearest neighbours in fc2 space:
where the digits most like it, in the network's own features, were laid out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from sklearn.manifold import TSNE
from threadpoolctl import threadpool_limits

from lenet.errors import LenetError
from lenet.explain.features import feature_maps
from lenet.model import LeNet5

DIGITS = 1500  # test digits in the embedding
STEPS = 350  # t-SNE iterations (scikit-learn's minimum is 250)
NEIGHBOURS = 10  # used to place a new digit
BATCH = 1000
MIN_SPREAD = 1e-6  # below this every digit has (almost) the same features: nothing to lay out


class EmbeddingError(LenetError):
    """Features t-SNE cannot lay out (one plain sentence)."""


@dataclass(frozen=True)
class Embedding:
    """Chosen test digits (indices into the test set), their labels, fc2 features and 2-D places."""

    indices: np.ndarray  # (M,) int64, ascending
    labels: np.ndarray  # (M,) int64
    features: np.ndarray  # (M, 84) float32
    positions: np.ndarray  # (M, 2) float32


def balanced_sample(labels: np.ndarray, count: int = DIGITS, seed: int = 0) -> np.ndarray:
    """Up to count // classes indices of each class, drawn with a seeded generator; ascending."""
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    quota = count // len(classes)
    chosen = [rng.permutation(np.flatnonzero(labels == c))[:quota] for c in classes]
    return np.sort(np.concatenate(chosen))


@torch.no_grad()
def fc2_features(model: LeNet5, images: torch.Tensor) -> np.ndarray:
    """The 84 fc2 activations of each image (N, 1, 32, 32) -> (N, 84)."""
    parts = [
        feature_maps(model, images[i : i + BATCH])["fc2"] for i in range(0, len(images), BATCH)
    ]
    return torch.cat(parts).numpy().astype(np.float32)


def check_features(features: np.ndarray) -> None:
    """Refuse features t-SNE cannot lay out: not finite (a diverged network), or the same for
    every digit (a dead network): scikit-learn's PCA start divides by their spread, and its
    Barnes-Hut code then crashes the whole process on the NaNs, beyond any try/except."""
    if not np.isfinite(features).all():
        raise EmbeddingError(
            "this network's fc2 features are not finite numbers (its training diverged), so "
            "there is nothing to lay out"
        )
    if len(features) < 2 or float(features.std(axis=0).max()) < MIN_SPREAD:
        raise EmbeddingError(
            "this network gives (almost) the same 84 fc2 features for every digit (its units "
            "are dead or its weights near zero), so it cannot tell digits apart and there is "
            "nothing to lay out"
        )


def tsne_2d(features: np.ndarray, seed: int = 0) -> np.ndarray:
    """t-SNE of the rows of features to 2-D; the same features and seed give the same places.
    Raises EmbeddingError for features it cannot lay out (`check_features`)."""
    check_features(features)
    tsne = TSNE(2, perplexity=30.0, init="pca", max_iter=STEPS, random_state=seed, n_jobs=1)
    with threadpool_limits(limits=1, user_api="openmp"):  # summation order fixed: deterministic
        return tsne.fit_transform(features.astype(np.float32)).astype(np.float32)


def embed(
    model: LeNet5, images: torch.Tensor, labels: torch.Tensor, count: int = DIGITS, seed: int = 0
) -> Embedding:
    """The fc2 embedding of a class-balanced choice of count test digits."""
    indices = balanced_sample(labels.numpy(), count, seed)
    features = fc2_features(model, images[torch.from_numpy(indices)])
    return Embedding(indices, labels.numpy()[indices], features, tsne_2d(features, seed))


def place(embedding: Embedding, feature: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray:
    """Where a new digit with fc2 feature (84,) goes: the distance-weighted mean of the 2-D
    places of its k nearest neighbours in fc2 space (weights 1 / distance)."""
    distances = np.linalg.norm(embedding.features - feature, axis=1)
    nearest = np.argsort(distances, kind="stable")[:k]
    if distances[nearest[0]] < 1e-9:  # the digit is in the embedding: its own place
        return embedding.positions[nearest[0]].copy()
    weights = 1.0 / distances[nearest]
    return (weights[:, None] * embedding.positions[nearest]).sum(0) / weights.sum()


def nearest_labels(embedding: Embedding, feature: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray:
    """The labels of the k digits nearest to feature in fc2 space, nearest first."""
    distances = np.linalg.norm(embedding.features - feature, axis=1)
    return embedding.labels[np.argsort(distances, kind="stable")[:k]]
