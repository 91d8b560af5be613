"""The CLI's training loop without the CLI, for a benchmark against it.

    python -m topkgan.plain_loop CONFIG_JSON ARM_MODE SEED OUT_JSON

CONFIG_JSON is a resolved config (a file, or the JSON text itself). The loop
does the work ts/loop/train-arm.ts asks of Python, in the same order: one
JSON train_chunk call per epoch with the k schedule of ts/topk/schedule.ts,
an evaluation every eval.every_epochs epochs and at the end, a checkpoint
every checkpoint.every_epochs epochs and at the end, a metrics row per
epoch, and at the end the sample plot and the training plots. So the
benchmark's ratio is what the orchestrator (Node, the bridge, the
TypeScript loop) adds, not the work both must do. OUT_JSON gets the final
evaluation; the files go into a folder beside it.
"""

import csv
import json
import math
import os
import sys
import time

from topkgan.plots.training import write_training_plots
from topkgan.train.session import TrainingSession

METRIC_COLUMNS = ("arm", "seed", "step", "epoch", "k", "loss_d", "loss_g", "d_real", "d_fake")


def main(argv: list[str] | None = None) -> int:
    config_arg, mode, seed_arg, out_path = parse_arguments(argv or sys.argv[1:])
    started = time.perf_counter()
    config = load_config(config_arg)
    session = TrainingSession(config, {"name": mode, "topk_mode": mode}, int(seed_arg))

    out_dir = os.path.splitext(out_path)[0] + "-files"
    os.makedirs(out_dir, exist_ok=True)
    result = {"experiment": config["experiment"], "topk_mode": mode}
    result.update(seed=int(seed_arg), **train(session, config, mode, out_dir))
    call(session.write_sample_plot, {"path": os.path.join(out_dir, "samples.png"), "num_samples": 2500})
    call(write_training_plots, {"metrics_csv": os.path.join(out_dir, "metrics.csv"), "out_dir": out_dir})
    result["seconds_total"] = time.perf_counter() - started
    with open(out_path, "w", encoding="utf-8") as file:
        json.dump(result, file, indent=2, allow_nan=False)
    return 0


def parse_arguments(arguments: list[str]) -> list[str]:
    if len(arguments) != 4:
        raise SystemExit(__doc__.strip().splitlines()[2].strip())
    return arguments


def load_config(config_arg: str) -> dict:
    if config_arg.lstrip().startswith("{"):
        return json.loads(config_arg)
    with open(config_arg, encoding="utf-8") as file:
        return json.load(file)


def train(session: TrainingSession, config: dict, mode: str, out_dir: str) -> dict:
    """Train to train.iterations or divergence; return the last evaluation."""
    per_epoch = session.steps_per_epoch
    total = config["train"]["iterations"]
    step, epoch, evaluation, non_finite = 0, 0, None, None
    metrics_file = open(os.path.join(out_dir, "metrics.csv"), "w", newline="", encoding="utf-8")
    metrics = csv.DictWriter(metrics_file, METRIC_COLUMNS, extrasaction="ignore")
    metrics.writeheader()
    while step < total and not non_finite:
        # one chunk = the rest of the current epoch, cut at the last step
        count = min(per_epoch - step % per_epoch, total - step)
        k_per_step = get_k_per_step(step, count, mode, config, per_epoch)
        chunk = call(session.train_chunk, {"k_per_step": k_per_step, "topk_mode": mode})
        step, non_finite = chunk["step"], chunk["non_finite"]
        epoch_done = step % per_epoch == 0
        if epoch_done:
            epoch += 1

        # evaluate on the cadence and at the end, never after divergence
        def is_due(every: int) -> bool:
            return step >= total or (epoch_done and epoch % every == 0)

        if not non_finite and is_due(config["eval"]["every_epochs"]):
            evaluation = evaluate(session, config)
        metrics.writerow({**chunk, "arm": mode, "seed": session.seed, "epoch": epoch, "k": k_per_step[-1]})
        metrics_file.flush()
        if not non_finite and is_due(config["checkpoint"]["every_epochs"]):
            path = os.path.join(out_dir, f"step-{step:08d}.pt")
            call(session.save_checkpoint, {"path": path})
    metrics_file.close()
    return {
        "step": step,
        "epochs": epoch,
        "non_finite": non_finite,
        "evaluation": evaluation,
    }


def evaluate(session: TrainingSession, config: dict) -> dict:
    return call(session.evaluate, {"num_samples": config["eval"]["num_samples"]})


def call(method, request: dict) -> dict:
    """One JSON round trip, as the bridge makes it."""
    reply = json.loads(method(json.dumps(request)))
    if "error" in reply:
        raise RuntimeError(f"{reply['error']['type']}: {reply['error']['message']}")
    return reply


def get_k_per_step(
    first: int, count: int, mode: str, config: dict, per_epoch: int
) -> list[int]:
    """k for steps [first, first + count); the baseline keeps the whole batch."""
    batch_size = config["train"]["batch_size"]
    if mode == "none":
        return [batch_size] * count
    return [
        get_k_for_step(step, config, per_epoch) for step in range(first, first + count)
    ]


def get_k_for_step(step: int, config: dict, per_epoch: int) -> int:
    """k_e = max(floor(B * gamma^e), ceil(nu * B)), capped at B (Sinha et al. 2020).

    e is the epoch index from 0; with topk.decay "step" it is fractional.
    """
    batch_size, topk = config["train"]["batch_size"], config["topk"]
    epoch = step // per_epoch if topk["decay"] == "epoch" else step / per_epoch
    decayed = math.floor(batch_size * topk["gamma"] ** epoch)
    return min(batch_size, max(decayed, math.ceil(topk["nu"] * batch_size)))


if __name__ == "__main__":
    sys.exit(main())
