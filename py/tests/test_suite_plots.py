"""Suite figures from small metrics.csv files written here, one per cell."""

import csv
import json
import subprocess
import sys

import pytest

from conftest import REPO_ROOT
from topkgan.plots.suite import read_arm_curves, summarise_curve, write_suite_figures

COLUMNS = ["arm", "seed", "step", "epoch", "k", "loss_d", "loss_g", "high_quality_pct"]
PNG = b"\x89PNG\r\n\x1a\n"


def write_cell(path, arm: str, seed: int, loss_g: list[float]) -> str:
    """A cell's metrics.csv: one row per epoch, evaluated every second epoch."""
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, COLUMNS)
        writer.writeheader()
        for epoch, loss in enumerate(loss_g, start=1):
            writer.writerow(
                {
                    "arm": arm,
                    "seed": seed,
                    "step": 10 * epoch,
                    "epoch": epoch,
                    "k": 64 if arm == "baseline" else max(48, 64 - 4 * epoch),
                    "loss_d": 1.3,
                    "loss_g": loss,
                    "high_quality_pct": 50 + epoch if epoch % 2 == 0 else "",
                }
            )
    return str(path)


@pytest.fixture
def request_for(tmp_path):
    def build(with_heat_map: bool = False) -> dict:
        arms = []
        for arm, mode in (("baseline", "none"), ("top", "top")):
            cells = [
                write_cell(tmp_path / f"{arm}-{seed}.csv", arm, seed, [0.7, 0.8 + seed])
                for seed in (0, 1)
            ]
            arms.append(
                {
                    "name": arm,
                    "topk_mode": mode,
                    "final_modes": [3, 5],
                    "metrics_csv": cells,
                }
            )
        heat_map = {
            "arm": "top",
            "x_label": "topk.gamma",
            "y_label": "topk.nu",
            "x_values": ["0.95", "0.99"],
            "y_values": ["0.5", "1"],
            "means": [[12.0, None], [10.5, 9.0]],
        }
        return {
            "out_dir": str(tmp_path / "figures"),
            "experiments": [{"name": "mog grid", "modes_total": 25, "arms": arms}],
            "heat_maps": [heat_map] if with_heat_map else [],
        }

    return build


def test_when_two_seeds_differ_then_the_band_spans_them_and_the_line_is_their_mean(
    tmp_path,
):
    cells = [
        write_cell(tmp_path / f"s{seed}.csv", "top", seed, [0.7, 0.8 + seed])
        for seed in (0, 1)
    ]
    curves = read_arm_curves({"name": "top", "metrics_csv": cells})
    steps, mean, low, high = summarise_curve(curves["loss_g"])
    assert steps.tolist() == [10, 20]
    assert mean.tolist() == pytest.approx([0.7, 1.3])
    assert low.tolist() == pytest.approx([0.7, 0.8])
    assert high.tolist() == pytest.approx([0.7, 1.8])
    assert sorted(curves["high_quality_pct"]) == [20]


def test_when_an_experiment_is_drawn_then_four_pngs_are_written(request_for):
    reply = write_suite_figures(request_for())
    kinds = [entry["kind"] for entry in reply["files"]]
    assert kinds == ["modes_histogram", "losses", "k", "high_quality"]
    for entry in reply["files"]:
        assert entry["experiment"] == "mog grid"
        assert "mog_grid-" in entry["path"]
        with open(entry["path"], "rb") as file:
            assert file.read(8) == PNG


def test_when_oracle_histograms_are_given_then_a_fifth_png_is_drawn(request_for):
    request = request_for()
    request["experiments"][0]["oracle"] = {
        "edges": [-1.0, -0.5, 0.0, 0.5, 1.0],
        "seeds": 2,
        "selections": [
            {"name": "top", "histogram": [0, 1, 5, 2]},
            {"name": "bottom", "histogram": [0, 0, 0, 0]},
        ],
    }
    oracle = write_suite_figures(request)["files"][-1]
    assert oracle["kind"] == "oracle_histogram"
    assert oracle["path"].endswith("mog_grid-oracle.png")
    with open(oracle["path"], "rb") as file:
        assert file.read(8) == PNG


def test_when_a_sweep_is_given_then_a_heat_map_with_a_missing_cell_is_drawn(
    request_for,
):
    reply = write_suite_figures(request_for(with_heat_map=True))
    heat_map = reply["files"][-1]
    assert heat_map["kind"] == "heat_map"
    assert heat_map["arm"] == "top"
    assert heat_map["path"].endswith("sweep-top-modes.png")


def run_suite_module(request: dict, tmp_path) -> subprocess.CompletedProcess:
    """`python -m topkgan.plots.suite REQUEST_FILE`, as ts/report/figures.ts runs it."""
    request_path = tmp_path / "request.json"
    request_path.write_text(json.dumps(request))
    return subprocess.run(
        [sys.executable, "-m", "topkgan.plots.suite", str(request_path)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )


def test_when_run_as_a_module_then_the_reply_is_json_on_stdout(request_for, tmp_path):
    done = run_suite_module(request_for(), tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["files"]) == 4


def test_when_a_metrics_file_is_missing_then_the_module_fails_naming_it(
    request_for, tmp_path
):
    request = request_for()
    cells = request["experiments"][0]["arms"][0]["metrics_csv"]
    cells.append(str(tmp_path / "gone.csv"))
    done = run_suite_module(request, tmp_path)
    assert done.returncode != 0
    assert "gone.csv" in done.stderr
