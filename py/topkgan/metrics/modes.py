"""Mode coverage and sample quality on a mixture of Gaussians.

A generated sample is high quality when it lies within `threshold_std`
standard deviations (sigma) of its nearest mode centre; a mode is recovered
when at least `min_samples` high-quality samples sit on it. These are the
measures of Srivastava et al. (2017, VEEGAN) used by Sinha et al. (2020).
"""

import numpy as np
import torch

CHUNK_ROWS = 8192


def mode_metrics(
    samples: np.ndarray | torch.Tensor,
    centres: np.ndarray | torch.Tensor,
    sigma: float,
    threshold_std: float,
    min_samples: int,
) -> dict:
    """Score generated samples [N, 2] against mode centres [M, 2].

    Returns a JSON-ready dict: `high_quality_pct` (0-100), `mode_counts`
    (high-quality samples per mode, M ints), `modes_recovered` (modes with a
    count >= min_samples), `mode_evenness` (see `get_mode_evenness`), and the
    settings `threshold_std`, `min_samples`, `num_samples`, `modes_total`.
    A non-finite sample is never high quality.
    """
    points = to_float64(samples).reshape(-1, 2)
    modes = to_float64(centres).reshape(-1, 2)
    nearest, distance = find_nearest_centres(points, modes)

    high_quality = distance <= threshold_std * sigma
    counts = np.bincount(nearest[high_quality], minlength=len(modes))
    return {
        "num_samples": len(points),
        "modes_total": len(modes),
        "modes_recovered": int((counts >= min_samples).sum()),
        "high_quality_pct": get_percentage(int(high_quality.sum()), len(points)),
        "mode_counts": [int(count) for count in counts],
        "mode_evenness": get_mode_evenness(counts),
        "threshold_std": threshold_std,
        "min_samples": min_samples,
    }


def to_float64(values: np.ndarray | torch.Tensor) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=np.float64)


def find_nearest_centres(
    points: np.ndarray, centres: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Index [N] of each point's nearest centre and the Euclidean distance [N].

    Works in chunks of rows so that N x M distances never sit in memory at
    once. A point with a NaN coordinate gets a NaN distance.
    """
    nearest = np.zeros(len(points), dtype=np.int64)
    distance = np.full(len(points), np.nan)
    for start in range(0, len(points), CHUNK_ROWS):
        rows = slice(start, start + CHUNK_ROWS)
        with np.errstate(invalid="ignore", over="ignore"):
            offsets = points[rows, None, :] - centres[None, :, :]
            squared = np.einsum("nmd,nmd->nm", offsets, offsets)
        nearest[rows] = np.argmin(squared, axis=1)
        distance[rows] = np.sqrt(squared.min(axis=1))
    return nearest, distance


def get_percentage(part: int, whole: int) -> float:
    if whole == 0:
        return 0.0
    return 100.0 * part / whole


def get_mode_evenness(counts: np.ndarray) -> float:
    """Normalised entropy H / log M of the high-quality counts over all M modes.

    1 means the high-quality samples spread evenly over every mode; 0 means
    they all sit on one mode. With no high-quality sample, or with a single
    mode (where log M = 0), there is no spread to measure and the result is
    0, so a collapsed or empty generator never scores as even.
    """
    total = counts.sum()
    if total == 0 or len(counts) < 2:
        return 0.0

    shares = counts[counts > 0] / total
    entropy = -np.sum(shares * np.log(shares))
    return float(min(1.0, max(0.0, entropy / np.log(len(counts)))))
