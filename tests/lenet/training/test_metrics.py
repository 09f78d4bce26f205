"""Accuracy, per-class accuracy, confusion matrix and mistakes on hand-made predictions."""

from __future__ import annotations

import pytest
import torch

from lenet.training.metrics import accuracy, confusion_matrix, misclassified, per_class_accuracy


def test_confusion_matrix_rows_are_true_classes():
    labels = torch.tensor([0, 0, 1, 2, 2, 2])
    predicted = torch.tensor([0, 1, 1, 2, 0, 2])
    matrix = confusion_matrix(predicted, labels, num_classes=3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert matrix.sum() == 6
    assert accuracy(predicted, labels) == pytest.approx(4 / 6)
    assert per_class_accuracy(predicted, labels, 3) == pytest.approx([0.5, 1.0, 2 / 3])


def test_per_class_accuracy_of_an_absent_class_is_zero():
    assert per_class_accuracy(torch.tensor([0]), torch.tensor([0]), 2) == [1.0, 0.0]


def test_misclassified_lists_mistakes_most_confident_first():
    logits = torch.tensor([[5.0, 0.0], [0.0, 1.0], [0.0, 9.0], [3.0, 0.0]])
    labels = torch.tensor([0, 0, 0, 1])
    mistakes = misclassified(logits, labels)
    assert [(m.index, m.true, m.predicted) for m in mistakes] == [(2, 0, 1), (3, 1, 0), (1, 0, 1)]
    assert mistakes[0].confidence > mistakes[1].confidence > mistakes[2].confidence > 0.5
