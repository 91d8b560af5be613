import json

from conftest import parse_strict
from topkgan import plain_loop


def test_k_schedule_decays_per_epoch_from_the_batch_to_nu(config):
    config["topk"]["gamma"] = 0.5
    ks = plain_loop.get_k_per_step(0, 40, "top", config, per_epoch=10)
    assert ks[:10] == [64] * 10 and ks[10:20] == [48] * 10 and ks[-1] == 48
    assert plain_loop.get_k_per_step(0, 5, "none", config, per_epoch=10) == [64] * 5


def test_k_schedule_decays_per_step_when_asked(config):
    config["topk"].update(gamma=0.5, decay="step")
    assert plain_loop.get_k_per_step(0, 3, "top", config, per_epoch=10) == [64, 59, 55]


def test_when_run_as_a_script_then_the_final_evaluation_is_written(config, tmp_path):
    config["train"]["iterations"] = 25
    config["checkpoint"] = {"every_epochs": 1, "keep": 3}
    config_path, out_path = tmp_path / "config.json", tmp_path / "out.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    assert plain_loop.main([str(config_path), "top", "0", str(out_path)]) == 0
    result = parse_strict(out_path.read_text(encoding="utf-8"))
    assert result["step"] == 25 and result["epochs"] == 2
    assert result["non_finite"] is None
    assert result["evaluation"]["num_samples"] == 500
    assert result["evaluation"]["modes_total"] == 25
    # the same work as the CLI: a metrics row per chunk, checkpoints, plots
    files = tmp_path / "out-files"
    rows = (files / "metrics.csv").read_text(encoding="utf-8").splitlines()
    assert [row.split(",")[2] for row in rows[1:]] == ["10", "20", "25"]
    assert sorted(path.name for path in files.glob("*.pt")) == [
        "step-00000010.pt", "step-00000020.pt", "step-00000025.pt"
    ]
    assert {"samples.png", "losses.png", "k.png"} <= {path.name for path in files.glob("*.png")}
