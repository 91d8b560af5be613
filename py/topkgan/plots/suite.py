"""Figures of a suite report, drawn from the cells' metrics.csv files.

Run as ``python -m topkgan.plots.suite REQUEST_JSON_FILE``; the reply, a JSON
object listing the written PNGs, goes to stdout. The request (see
ts/report/figures.ts)::

    {"out_dir": path,
     "experiments": [{"name": "mog-grid25", "modes_total": 25,
                      "arms": [{"name": "top", "topk_mode": "top",
                                "final_modes": [9, 11, 8],
                                "metrics_csv": [path, ...]}],
                      "oracle": {"edges": [-1.0, ..., 1.0], "seeds": 3,
                                 "selections": [{"name": "top",
                                                 "histogram": [4, 0, ...]}]}}],
     "heat_maps": [{"arm": "top", "x_label": "topk.gamma", "y_label": "topk.nu",
                    "x_values": ["0.95", "0.99"], "y_values": ["0.5", "1"],
                    "means": [[12.0, null], [10.5, 9.0]]}]}

Every metrics.csv is one cell: one arm, one seed. Bands show the minimum and
maximum over seeds at each step, the line their mean. "oracle" (optional)
holds the oracle-direction cosines of topkgan.analysis.oracle_direction,
counted per bin and summed over seeds.
"""

import json
import os
import re
import sys
from collections import defaultdict

import numpy as np
from matplotlib.ticker import MaxNLocator

from topkgan.plots.training import create_figure, read_metrics, to_number

Curve = dict[float, list[float]]


def write_suite_figures(request: dict) -> dict:
    """Write every figure of the request; returns {"files": [...]}."""
    out_dir = request["out_dir"]
    os.makedirs(out_dir, exist_ok=True)
    files = []
    for experiment in request.get("experiments", []):
        files.extend(write_experiment_figures(experiment, out_dir))
    for heat_map in request.get("heat_maps", []):
        files.append(write_heat_map(heat_map, out_dir))
    return {"files": files}


def write_experiment_figures(experiment: dict, out_dir: str) -> list[dict]:
    """The four figures of one experiment: histogram, losses, k, high quality."""
    name = experiment["name"]
    arms = experiment["arms"]
    curves = {arm["name"]: read_arm_curves(arm) for arm in arms}
    prefix = os.path.join(out_dir, safe_file_name(name))
    histogram = write_modes_histogram(
        arms, experiment.get("modes_total"), f"{prefix}-modes-histogram.png"
    )
    losses = write_loss_bands(curves, f"{prefix}-losses.png")
    k_plot = write_band_plot(curves, "k", "k", f"{prefix}-k.png", steps=True)
    quality = write_band_plot(
        curves, "high_quality_pct", "high-quality %", f"{prefix}-high-quality.png"
    )
    titles = {
        "modes_histogram": (f"{name}: modes recovered over seeds", histogram),
        "losses": (f"{name}: generator and discriminator loss", losses),
        "k": (f"{name}: k over training", k_plot),
        "high_quality": (f"{name}: high-quality % over training", quality),
    }
    if experiment.get("oracle"):
        oracle = write_oracle_histogram(experiment["oracle"], f"{prefix}-oracle.png")
        title = f"{name}: oracle-direction cosines of one generator step"
        titles["oracle_histogram"] = (title, oracle)
    return [describe(name, kind, title, path) for kind, (title, path) in titles.items()]


def describe(
    experiment: str | None, kind: str, title: str, path: str, arm: str | None = None
) -> dict:
    """One entry of the reply: what a PNG shows and where it is."""
    return {
        "experiment": experiment,
        "arm": arm,
        "kind": kind,
        "title": title,
        "path": path,
    }


def safe_file_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def read_arm_curves(arm: dict) -> dict[str, Curve]:
    """Values per column and step over the arm's seeds: {column: {step: [v, ...]}}."""
    columns = ("loss_g", "loss_d", "k", "high_quality_pct")
    curves: dict[str, Curve] = {column: defaultdict(list) for column in columns}
    for path in arm["metrics_csv"]:
        for row in read_metrics(path):
            if row.get("arm") not in (None, arm["name"]):
                continue
            step = to_number(row.get("step"))
            for column in columns:
                value = to_number(row.get(column))
                if step is not None and value is not None:
                    curves[column][step].append(value)
    return curves


def summarise_curve(curve: Curve) -> tuple[np.ndarray, ...]:
    """Steps, and the mean, minimum and maximum over seeds at each step."""
    steps = np.array(sorted(curve))
    values = [curve[step] for step in steps]
    mean = np.array([np.mean(v) for v in values])
    low = np.array([np.min(v) for v in values])
    high = np.array([np.max(v) for v in values])
    return steps, mean, low, high


def write_modes_histogram(arms: list[dict], modes_total: int | None, path: str) -> str:
    """Modes recovered at the end, one bar group per value, one colour per arm."""
    figure = create_figure(figsize=(7, 4))
    axes = figure.add_subplot()
    finals = [arm["final_modes"] for arm in arms]
    everything = [value for values in finals for value in values]
    if everything:
        low = int(min(everything))
        high = int(max(everything))
        bins = np.arange(low - 0.5, high + 1.5, 1.0)
        labels = [arm["name"] for arm in arms]
        axes.hist([values or [np.nan] for values in finals], bins=bins, label=labels)
        axes.legend(fontsize="small")
    else:
        axes.text(0.5, 0.5, "no completed cell", ha="center", transform=axes.transAxes)
    total = f" of {modes_total}" if modes_total else ""
    axes.set_xlabel(f"modes recovered{total}")
    axes.set_ylabel("seeds")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title("modes recovered at the end, over seeds")
    return save(figure, path)


def write_oracle_histogram(oracle: dict, path: str) -> str:
    """Share of samples per cosine bin, one outline per selection (top, bottom).

    Counts are pooled over seeds and divided by their total, so selections
    with different numbers of defined cosines stay comparable.
    """
    figure = create_figure(figsize=(7, 4))
    axes = figure.add_subplot()
    edges = np.asarray(oracle["edges"], dtype=float)
    for index, selection in enumerate(oracle["selections"]):
        counts = np.asarray(selection["histogram"], dtype=float)
        if counts.sum() == 0:
            continue
        shares = counts / counts.sum()
        colour = f"C{index}"
        axes.stairs(shares, edges, fill=True, alpha=0.3, color=colour)
        axes.stairs(shares, edges, label=selection["name"], color=colour)
    axes.axvline(0.0, color="grey", linewidth=0.8, linestyle="--")
    axes.set_xlim(-1.0, 1.0)
    axes.set_xlabel("cos(move of G(z), direction to its nearest mode)")
    axes.set_ylabel(f"share of samples (pooled over {oracle['seeds']} seeds)")
    axes.set_title("one generator step from each seed's checkpoint", fontsize="medium")
    if axes.get_legend_handles_labels()[0]:
        axes.legend(fontsize="small")
    else:
        axes.text(0.5, 0.5, "no defined cosine", ha="center", transform=axes.transAxes)
    return save(figure, path)


def write_loss_bands(curves: dict[str, dict[str, Curve]], path: str) -> str:
    """loss_g and loss_d per arm: mean over seeds with a min-max band."""
    figure = create_figure(figsize=(11, 4))
    panels = (("loss_g", "generator loss"), ("loss_d", "discriminator loss"))
    for index, (column, label) in enumerate(panels):
        axes = figure.add_subplot(1, 2, index + 1)
        draw_bands(axes, curves, column)
        finish_axes(axes, label)
    return save(figure, path)


def write_band_plot(
    curves: dict[str, dict[str, Curve]], column: str, label: str, path: str, steps=False
) -> str:
    """One column per arm over training: mean over seeds with a min-max band."""
    figure = create_figure(figsize=(7, 4))
    axes = figure.add_subplot()
    draw_bands(axes, curves, column, drawstyle="steps-post" if steps else "default")
    finish_axes(axes, label)
    return save(figure, path)


def draw_bands(
    axes, curves: dict[str, dict[str, Curve]], column: str, drawstyle="default"
) -> None:
    for arm, columns in curves.items():
        if not columns[column]:
            continue
        steps, mean, low, high = summarise_curve(columns[column])
        (line,) = axes.plot(steps, mean, label=arm, linewidth=1.2, drawstyle=drawstyle)
        step = "post" if drawstyle == "steps-post" else None
        color = line.get_color()
        axes.fill_between(
            steps, low, high, color=color, alpha=0.2, linewidth=0, step=step
        )


def finish_axes(axes, label: str) -> None:
    axes.set_xlabel("generator step")
    axes.set_ylabel(label)
    axes.set_title(f"{label} (mean, band: min to max over seeds)", fontsize="medium")
    if axes.get_legend_handles_labels()[0]:
        axes.legend(fontsize="small")
    else:
        axes.text(0.5, 0.5, "no data", ha="center", transform=axes.transAxes)


def write_heat_map(heat_map: dict, out_dir: str) -> dict:
    """Mean modes recovered over a grid of two config values; empty cells blank."""
    means = np.array([[np.nan if v is None else v for v in row]
                      for row in heat_map["means"]], dtype=float)
    figure = create_figure(figsize=(1.6 * len(heat_map["x_values"]) + 3,
                                    1.1 * len(heat_map["y_values"]) + 2))
    axes = figure.add_subplot()
    image = axes.imshow(np.ma.masked_invalid(means), cmap="viridis", origin="lower",
                        aspect="auto")
    figure.colorbar(image, ax=axes, label="modes recovered (mean over seeds)")
    for (row, column), value in np.ndenumerate(means):
        text = "n/a" if np.isnan(value) else f"{value:.1f}"
        axes.text(column, row, text, ha="center", va="center", color="white")
    axes.set_xticks(range(len(heat_map["x_values"])), heat_map["x_values"])
    axes.set_yticks(range(len(heat_map["y_values"])), heat_map["y_values"])
    axes.set_xlabel(heat_map["x_label"])
    axes.set_ylabel(heat_map["y_label"])
    arm = heat_map["arm"]
    title = f"sweep, arm {arm}: modes recovered"
    axes.set_title(title)
    path = os.path.join(out_dir, f"sweep-{safe_file_name(arm)}-modes.png")
    return describe(None, "heat_map", title, save(figure, path), arm=arm)


def save(figure, path: str) -> str:
    figure.tight_layout()
    figure.savefig(path, format="png")
    return path


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m topkgan.plots.suite REQUEST_JSON_FILE", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as file:
        request = json.load(file)
    print(json.dumps(write_suite_figures(request), allow_nan=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
