"""A mixture of Gaussians on the plane: the mode centres and a sampler.

The centres come from one function, `get_mode_centres`, which both the data
stream and the mode metrics call, so the two can never disagree.
"""

import math

import numpy as np
import torch


def get_mode_centres(data: dict) -> np.ndarray:
    """Return the mode centres of a mixture as float32 [M, 2].

    `data` is the resolved `data` config: `layout` "grid" uses `modes` (a
    perfect square m * m) and `spacing`; `layout` "ring" uses `modes` and
    `radius`. Grid mode i * m + j sits at (offset[i], offset[j]) with
    offset[i] = spacing * (i - (m - 1) / 2); ring mode i sits at angle
    2 * pi * i / modes, the first at angle 0.
    """
    layout = data["layout"]
    if layout == "grid":
        return get_grid_centres(data["modes"], data["spacing"])
    if layout == "ring":
        return get_ring_centres(data["modes"], data["radius"])
    raise ValueError(f'data.layout: expected "grid" or "ring", got {layout!r}')


def get_grid_centres(modes: int, spacing: float) -> np.ndarray:
    """Centres of an m x m grid as float32 [m * m, 2], row by row along x."""
    side = math.isqrt(modes)
    if modes < 1 or side * side != modes:
        raise ValueError(f"data.modes: a grid needs a perfect square, got {modes}")

    offsets = spacing * (np.arange(side, dtype=np.float64) - (side - 1) / 2)
    xs, ys = np.meshgrid(offsets, offsets, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)


def get_ring_centres(modes: int, radius: float) -> np.ndarray:
    """Centres equally spaced on a circle as float32 [modes, 2]."""
    if modes < 1:
        raise ValueError(f"data.modes: a ring needs at least 1 mode, got {modes}")

    angles = 2 * np.pi * np.arange(modes, dtype=np.float64) / modes
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return centres.astype(np.float32)


def sample_mixture(
    centres: torch.Tensor, n: int, sigma: float, generator: torch.Generator
) -> torch.Tensor:
    """Draw n real samples as float32 [n, 2] on the device of `centres`.

    Each sample picks a mode uniformly and adds isotropic Gaussian noise of
    standard deviation `sigma` (same units as the centres). All randomness
    comes from `generator`, which must live on the CPU; the draws are made
    there so that every device sees the same data.
    """
    modes = torch.randint(len(centres), (n,), generator=generator)
    noise = torch.randn(n, 2, generator=generator) * sigma
    return centres[modes.to(centres.device)] + noise.to(centres.device)
