"""Evaluation: predictions over a split, accuracy, per-class accuracy, confusion, mistakes."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from lenet.data.mnist import Split

EVAL_BATCH = 512  # fastest on 2 CPU cores (cache-sized activations)


@dataclass(frozen=True)
class Mistake:
    index: int
    true: int
    predicted: int
    confidence: float  # softmax probability of the predicted class


@torch.no_grad()
def predict_logits(
    model: nn.Module, images: torch.Tensor, batch_size: int = EVAL_BATCH
) -> torch.Tensor:
    """Logits (N, classes) for images (N, C, 32, 32), in eval mode, restoring the model's mode."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    try:
        chunks = [
            model(images[i : i + batch_size].to(device)).cpu()
            for i in range(0, len(images), batch_size)
        ]
    finally:
        model.train(was_training)
    return torch.cat(chunks)


def evaluate_split(model: nn.Module, split: Split) -> tuple[float, float]:
    """(mean cross-entropy loss, accuracy in [0, 1]) of the model on a split."""
    logits = predict_logits(model, split.images)
    labels = split.labels.cpu()
    return F.cross_entropy(logits, labels).item(), accuracy(logits.argmax(1), labels)


def accuracy(predicted: torch.Tensor, labels: torch.Tensor) -> float:
    return (predicted == labels).float().mean().item() if len(labels) else 0.0


def confusion_matrix(
    predicted: torch.Tensor, labels: torch.Tensor, num_classes: int = 10
) -> torch.Tensor:
    """(classes, classes) int64 counts; row = true class, column = predicted class."""
    flat = labels.long() * num_classes + predicted.long()
    return torch.bincount(flat, minlength=num_classes**2).reshape(num_classes, num_classes)


def per_class_accuracy(
    predicted: torch.Tensor, labels: torch.Tensor, num_classes: int = 10
) -> list[float]:
    """Accuracy within each true class (0.0 for a class with no examples)."""
    return class_accuracy(confusion_matrix(predicted, labels, num_classes))


def class_accuracy(matrix: torch.Tensor) -> list[float]:
    """Per-class accuracy read off a confusion matrix (rows = true classes)."""
    return (matrix.diag().float() / matrix.sum(1).clamp(min=1)).tolist()


def misclassified(logits: torch.Tensor, labels: torch.Tensor) -> list[Mistake]:
    """Every wrongly classified example, most confident mistakes first."""
    probs = logits.softmax(1)
    confidence, predicted = probs.max(1)
    wrong = (predicted != labels).nonzero().flatten()
    order = wrong[confidence[wrong].argsort(descending=True)]
    return [Mistake(int(i), int(labels[i]), int(predicted[i]), float(confidence[i])) for i in order]
