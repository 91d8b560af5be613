"""Generated samples over the mode centres, as a PNG."""

import os

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

MARGIN = 1.0


def write_sample_scatter(
    path: str, samples: np.ndarray, centres: np.ndarray, title: str
) -> None:
    """Scatter samples [N, 2] (blue) over centres [M, 2] (red crosses) into `path`.

    The axes frame the centres with a margin, so a sample far off the
    mixture is clipped rather than shrinking the picture.
    """
    figure = Figure(figsize=(5, 5), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.scatter(samples[:, 0], samples[:, 1], s=2, alpha=0.4, label="generated")
    axes.scatter(centres[:, 0], centres[:, 1], s=30, c="red", marker="x", label="modes")
    set_limits(axes, centres)
    axes.set_aspect("equal")
    axes.set_title(title)
    axes.legend(loc="upper right", fontsize="small")

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    figure.savefig(path, format="png")


def set_limits(axes, centres: np.ndarray) -> None:
    low = centres.min(axis=0) - MARGIN
    high = centres.max(axis=0) + MARGIN
    axes.set_xlim(low[0], high[0])
    axes.set_ylim(low[1], high[1])
