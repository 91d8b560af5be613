"""Loss curves and the k schedule over training, from the run's metrics.csv."""

import csv
import math
import os
from collections import defaultdict

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from topkgan.json_api import json_function

Series = dict[tuple[str, str], list[tuple[float, float]]]


@json_function
def write_training_plots(request: dict) -> dict:
    """Write losses.png and k.png into `out_dir` from `metrics_csv`.

    request = {"metrics_csv": path, "out_dir": path}; returns {"files": [...]}.
    """
    rows = read_metrics(request["metrics_csv"])
    out_dir = request["out_dir"]
    os.makedirs(out_dir, exist_ok=True)
    files = [
        write_loss_plot(rows, os.path.join(out_dir, "losses.png")),
        write_k_plot(rows, os.path.join(out_dir, "k.png")),
    ]
    fid_column = get_fid_column(rows)
    if fid_column:
        files.append(write_fid_plot(rows, fid_column, os.path.join(out_dir, "fid.png")))
    return {"files": files}


def get_fid_column(rows: list[dict]) -> str | None:
    """"fid" where it has values, else "fid_plumbing" (test weights), else None."""
    for column in ("fid", "fid_plumbing"):
        if any(to_number(row.get(column)) is not None for row in rows):
            return column
    return None


def write_fid_plot(rows: list[dict], column: str, path: str) -> str:
    """FID against the generator step, one line per arm and seed.

    Values from other than pytorch-fid's weights are plotted under their own
    name, "fid_plumbing", with the weights in the title: never as FID.
    """
    figure = create_figure(figsize=(6, 4))
    axes = figure.add_subplot()
    for (arm, seed), points in sort_series(get_series(rows, column)):
        plot_points(axes, points, f"{arm} seed {seed}", marker="o")
    label_axes(axes, column)
    if column != "fid":
        weights = next((row["fid_weights"] for row in rows if row.get("fid_weights")), "?")
        axes.set_title(f"not a FID: Inception weights {weights}")
    figure.tight_layout()
    figure.savefig(path, format="png")
    return path


def read_metrics(path: str) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def to_number(text: str | None) -> float | None:
    """A CSV cell as a finite float, or None when empty or not a number."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def get_series(rows: list[dict], column: str) -> Series:
    """Points (step, value) per (arm, seed) for one column, missing cells skipped."""
    series: Series = defaultdict(list)
    for row in rows:
        step, value = to_number(row.get("step")), to_number(row.get(column))
        if step is not None and value is not None:
            series[(row.get("arm", ""), row.get("seed", ""))].append((step, value))
    return series


def sort_series(series: Series) -> list:
    """Series ordered by arm name, then by seed as a number."""

    def get_order(item) -> tuple[str, float]:
        (arm, seed), _points = item
        return arm, to_number(seed) or 0.0

    return sorted(series.items(), key=get_order)


def write_loss_plot(rows: list[dict], path: str) -> str:
    """loss_d and loss_g against the generator step, one line per arm and seed."""
    figure = create_figure(figsize=(10, 4))
    for index, column in enumerate(("loss_d", "loss_g")):
        axes = figure.add_subplot(1, 2, index + 1)
        for (arm, seed), points in sort_series(get_series(rows, column)):
            plot_points(axes, points, f"{arm} seed {seed}")
        label_axes(axes, column)
    figure.tight_layout()
    figure.savefig(path, format="png")
    return path


def write_k_plot(rows: list[dict], path: str) -> str:
    """k against the generator step, one line per arm (its first seed)."""
    figure = create_figure(figsize=(6, 4))
    axes = figure.add_subplot()
    plotted: set[str] = set()
    for (arm, _seed), points in sort_series(get_series(rows, "k")):
        if arm not in plotted:
            plotted.add(arm)
            plot_points(axes, points, arm, drawstyle="steps-post")
    label_axes(axes, "k")
    figure.tight_layout()
    figure.savefig(path, format="png")
    return path


def create_figure(figsize: tuple[float, float]) -> Figure:
    figure = Figure(figsize=figsize, dpi=110)
    FigureCanvasAgg(figure)
    return figure


def plot_points(axes, points: list[tuple[float, float]], label: str, **style) -> None:
    steps, values = zip(*sorted(points))
    axes.plot(steps, values, label=label, linewidth=1, **style)


def label_axes(axes, column: str) -> None:
    axes.set_xlabel("generator step")
    axes.set_ylabel(column)
    axes.set_title(column)
    if axes.get_legend_handles_labels()[0]:
        axes.legend(fontsize="small")
