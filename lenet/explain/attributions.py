"""Which pixels make a class's score: four attribution methods from Captum, side by side.

Captum's layer methods register hooks on the model they are given, and its gradient methods turn
on requires_grad: an `Explainer` runs them on a private frozen copy of a model, one call at a time,
so a model shared by many users is never touched. Every map is (32, 32), the model input's size,
and signed: positive pushes the class's score up.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import torch
from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam, Occlusion, Saliency

from lenet.model import LeNet5, private_copy

BLANK = -1.0  # the model input of an empty (black) pixel: the baseline of IG and occlusion
IG_STEPS = 64  # Riemann steps of Integrated Gradients: completeness within 1% on MNIST digits
OCCLUSION_WINDOW = 4  # a 4x4 grey-out, about one stroke wide, moved 2 pixels at a time
OCCLUSION_STRIDE = 2  # (32 - 4) / 2 + 1 = 15 positions a side: 225 forward passes in one batch
METHODS = ("Saliency", "Integrated Gradients", "Grad-CAM", "Occlusion")


@dataclass(frozen=True)
class Attributions:
    """The four maps for one input and one class, each (32, 32)."""

    target: int
    saliency: torch.Tensor  # gradient x input
    integrated_gradients: torch.Tensor  # sums to score(x) - score(blank)
    grad_cam: torch.Tensor  # conv2's Grad-CAM (ReLU'd, >= 0), upsampled 10x10 -> 32x32
    occlusion: torch.Tensor  # score drop when a 4x4 window around the pixel is blanked
    ig_delta: float  # IG's completeness error: sum of its map - (score(x) - score(blank))

    def maps(self) -> dict[str, torch.Tensor]:
        """The maps by method name, in METHODS order."""
        return dict(
            zip(
                METHODS,
                (self.saliency, self.integrated_gradients, self.grad_cam, self.occlusion),
                strict=True,
            )
        )


class Explainer:
    """Captum's methods on a private copy of one model; safe to share between threads."""

    def __init__(self, model: LeNet5) -> None:
        self.model = private_copy(model)
        self._lock = threading.Lock()  # Grad-CAM's hooks on the copy must not see another call

    def saliency(self, x: torch.Tensor, target: int) -> torch.Tensor:
        """Gradient x input (32, 32), summed over the input's channels."""
        with self._lock:
            return input_x_gradient(self.model, x, target)

    def explain(self, x: torch.Tensor, target: int) -> Attributions:
        """All four maps for one input x (1, C, 32, 32) and class `target`."""
        x = x.detach()
        blank = torch.full_like(x, BLANK)
        with self._lock:
            ig, delta = IntegratedGradients(self.model).attribute(
                x, baselines=blank, target=target, n_steps=IG_STEPS, return_convergence_delta=True
            )
            # (1, 1, 10, 10)
            cam = LayerGradCam(self.model, self.model.conv2).attribute(
                x, target=target, relu_attributions=True
            )
            occlusion = Occlusion(self.model).attribute(
                x,
                sliding_window_shapes=(x.shape[1], OCCLUSION_WINDOW, OCCLUSION_WINDOW),
                strides=(x.shape[1], OCCLUSION_STRIDE, OCCLUSION_STRIDE),
                baselines=BLANK,
                target=target,
                perturbations_per_eval=256,
            )
            saliency = input_x_gradient(self.model, x, target)
        size = tuple(x.shape[-2:])
        return Attributions(
            target,
            saliency,
            ig.detach()[0].sum(0),
            LayerAttribution.interpolate(cam.detach(), size, "bilinear")[0, 0].clamp(min=0),
            occlusion.detach()[0].sum(0)
            / x.shape[1],  # each channel got the same window: count it once
            float(delta.abs().max()),
        )


def input_x_gradient(model: LeNet5, x: torch.Tensor, target: int) -> torch.Tensor:
    """Gradient x input of class `target`'s score for one input x (1, C, 32, 32): (32, 32)."""
    # Captum's Saliency with abs=False is the signed gradient of the score with respect to the
    # input alone: no parameter gets a .grad and no hook is registered, so any model will do.
    x = x.detach().clone().requires_grad_(True)
    gradient = Saliency(model).attribute(x, target=target, abs=False)
    return (gradient * x).detach()[0].sum(0)
