"""Reading a digit: one picture, prepared MNIST-style, and the model's ten probabilities for it.

The command line over it is `python -m lenet.predict` (`lenet.cli.predict`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from lenet.data.preprocess import Prepared, prepare_drawing
from lenet.model import LeNet5


@dataclass(frozen=True)
class Prediction:
    digit: int
    probabilities: list[float]  # softmax over the ten classes
    prepared: Prepared

    @property
    def confidence(self) -> float:
        return self.probabilities[self.digit]


@torch.no_grad()
def probabilities(model: LeNet5, model_input: torch.Tensor) -> torch.Tensor:
    """Softmax probabilities (N, 10) for inputs (N, 1, 32, 32)."""
    device = next(model.parameters()).device
    return model(model_input.to(device)).softmax(dim=1).cpu()


def classify(model: LeNet5, image: np.ndarray | Image.Image) -> Prediction | None:
    """Preprocess one picture MNIST-style and read it; None when there is no digit to read."""
    prepared = prepare_drawing(image)
    if prepared is None:
        return None
    probs = probabilities(model, prepared.model_input)[0]
    return Prediction(int(probs.argmax()), probs.tolist(), prepared)
