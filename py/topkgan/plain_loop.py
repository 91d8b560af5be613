"""The CLI's training loop without the CLI, for a benchmark against it.

    python -m topkgan.plain_loop CONFIG_JSON ARM_MODE SEED OUT_JSON

CONFIG_JSON is a resolved config (a file, or the JSON text itself). The loop
does per chunk what ts/loop/train-arm.ts does: one JSON train_chunk call per
epoch with the k schedule of ts/topk/schedule.ts, an evaluation every
eval.every_epochs epochs and at the end. OUT_JSON gets the final evaluation.
"""

import json
import math
import sys
import time

from topkgan.train.session import TrainingSession


def main(argv: list[str] | None = None) -> int:
    config_arg, mode, seed_arg, out_path = parse_arguments(argv or sys.argv[1:])
    started = time.perf_counter()
    config = load_config(config_arg)
    session = TrainingSession(config, {"name": mode, "topk_mode": mode}, int(seed_arg))

    result = {"experiment": config["experiment"], "topk_mode": mode}
    result.update(seed=int(seed_arg), **train(session, config, mode))
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


def train(session: TrainingSession, config: dict, mode: str) -> dict:
    """Train to train.iterations or divergence; return the last evaluation."""
    per_epoch = session.steps_per_epoch
    total = config["train"]["iterations"]
    step, epoch, evaluation, non_finite = 0, 0, None, None
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
        is_due = epoch_done and epoch % config["eval"]["every_epochs"] == 0
        if not non_finite and (is_due or step >= total):
            evaluation = evaluate(session, config)
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
