import csv
import json

from conftest import parse_strict
from topkgan.plots.training import write_training_plots

COLUMNS = [
    "arm",
    "seed",
    "step",
    "epoch",
    "k",
    "loss_d",
    "loss_g",
    "d_real",
    "d_fake",
    "modes_recovered",
    "high_quality_pct",
]
PNG = b"\x89PNG\r\n\x1a\n"


def write_metrics(path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, COLUMNS)
        writer.writeheader()
        for arm in ("baseline", "topk"):
            for seed in (0, 1):
                for epoch in range(1, 6):
                    k = 64 if arm == "baseline" else max(48, 64 - 4 * epoch)
                    evaluated = epoch % 2 == 0
                    writer.writerow(
                        {
                            "arm": arm,
                            "seed": seed,
                            "step": 10 * epoch,
                            "epoch": epoch,
                            "k": k,
                            "loss_d": 1.3 - 0.01 * epoch,
                            "loss_g": "" if epoch == 3 else 0.7,
                            "d_real": 0.5,
                            "d_fake": 0.5,
                            "modes_recovered": 20 if evaluated else "",
                            "high_quality_pct": 70.5 if evaluated else "",
                        }
                    )


def test_when_metrics_exist_then_losses_and_k_plots_are_written(tmp_path):
    metrics = tmp_path / "metrics.csv"
    write_metrics(metrics)
    out_dir = tmp_path / "plots"
    request = {"metrics_csv": str(metrics), "out_dir": str(out_dir)}
    reply = parse_strict(write_training_plots(json.dumps(request)))
    assert reply == {"files": [str(out_dir / "losses.png"), str(out_dir / "k.png")]}
    for name in ("losses.png", "k.png"):
        assert (out_dir / name).read_bytes()[:8] == PNG


def test_when_the_csv_is_missing_then_the_reply_is_an_error(tmp_path):
    request = {"metrics_csv": str(tmp_path / "absent.csv"), "out_dir": str(tmp_path)}
    reply = parse_strict(write_training_plots(json.dumps(request)))
    assert reply["error"]["type"] == "FileNotFoundError"
