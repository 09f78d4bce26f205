"""Robustness probes: the 28x28 digit rotated, shifted, scaled, thickened or thinned, or noisy.

LeCun's LeNet-5 demonstrations showed the network reading digits under exactly these changes.
Every transform works on the MNIST-style digit (light ink on black, values in [0, 1]), so a
student's own drawing can be pushed until the network fails. Directions are as seen on screen,
where image rows run downwards: positive `rotate` turns the digit clockwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Probe:
    rotate: float = 0.0  # degrees, clockwise on screen
    shift_x: float = 0.0  # pixels of the 28x28 image, right is positive
    shift_y: float = 0.0  # pixels, down is positive
    scale: float = 1.0  # 1 = unchanged
    thickness: int = 0  # +k thickens the strokes by k pixels, -k thins them
    noise: float = 0.0  # standard deviation of added Gaussian noise
    seed: int = 0  # the noise pattern

    @property
    def changes_digit(self) -> bool:
        """Whether this probe changes the digit at all (the noise seed alone does not)."""
        return replace(self, seed=0) != Probe()


def _affine(x: torch.Tensor, probe: Probe) -> torch.Tensor:
    """Rotate (clockwise on screen) about the centre, scale, then shift; x is (N, 1, 28, 28)."""
    n, _, h, w = x.shape
    angle = math.radians(probe.rotate)
    cos, sin = math.cos(angle) / probe.scale, math.sin(angle) / probe.scale
    # affine_grid maps output coordinates (in [-1, 1]) to input coordinates
    theta = torch.tensor(
        [[cos, sin, -2 * probe.shift_x / w], [-sin, cos, -2 * probe.shift_y / h]], dtype=x.dtype
    )
    grid = F.affine_grid(theta.expand(n, 2, 3), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def _stroke(x: torch.Tensor, thickness: int) -> torch.Tensor:
    """Grow (max filter) or shrink (min filter) the ink by |thickness| pixels."""
    for _ in range(abs(thickness)):
        if thickness > 0:
            x = F.max_pool2d(x, 3, stride=1, padding=1)
        else:
            x = -F.max_pool2d(-x, 3, stride=1, padding=1)
    return x


def apply_probe(digit: np.ndarray, probe: Probe) -> np.ndarray:
    """The digit (28, 28) in [0, 1] changed by the probe, still (28, 28) in [0, 1]."""
    return apply_probes(digit, [probe])[0]


def apply_probes(digit: np.ndarray, probes: list[Probe]) -> np.ndarray:
    """One digit under several probes: (len(probes), 28, 28), in one batch."""
    base = torch.from_numpy(np.ascontiguousarray(digit, dtype=np.float32))[None, None]
    out = []
    for probe in probes:
        x = _stroke(base, probe.thickness)
        if probe.rotate or probe.scale != 1 or probe.shift_x or probe.shift_y:
            x = _affine(x, probe)
        if probe.noise > 0:
            generator = torch.Generator().manual_seed(probe.seed)
            x = x + probe.noise * torch.randn(x.shape, generator=generator)
        out.append(x.clamp(0, 1)[0, 0])
    return torch.stack(out).numpy()


def rotation_sweep(step: float = 15.0, limit: float = 45.0) -> list[Probe]:
    """Probes rotating from -limit to +limit degrees."""
    count = int(round(2 * limit / step)) + 1
    return [Probe(rotate=-limit + i * step) for i in range(count)]
