"""Time per training step of two top-k modes, measured side by side.

    python -m topkgan.bench_steps CONFIG_JSON MODE_A MODE_B CHUNKS STEPS

Opens one session per mode on the same seed and alternates chunks of STEPS
steps between them, so both see the same machine load. k is the schedule's
floor ceil(nu * B) for every mode but "none", the most selective setting.
Prints JSON: total seconds and steps per mode, and the ratio B / A.
"""

import json
import math
import sys

from topkgan.train.session import TrainingSession


def main(argv: list[str] | None = None) -> int:
    config_path, mode_a, mode_b, chunks, steps = (argv or sys.argv[1:])[:5]
    with open(config_path, encoding="utf-8") as file:
        config = json.load(file)
    sessions = {mode: open_session(config, mode) for mode in (mode_a, mode_b)}
    seconds = dict.fromkeys(sessions, 0.0)

    # warm up both, then alternate so drift in machine load hits both alike
    for mode, session in sessions.items():
        run_chunk(session, config, mode, int(steps))
    for _ in range(int(chunks)):
        for mode, session in sessions.items():
            seconds[mode] += run_chunk(session, config, mode, int(steps))

    total_steps = int(chunks) * int(steps)
    print(
        json.dumps(
            {
                "steps_per_mode": total_steps,
                "seconds": seconds,
                "ms_per_step": {m: 1000 * s / total_steps for m, s in seconds.items()},
                "ratio": seconds[mode_b] / seconds[mode_a],
            }
        )
    )
    return 0


def open_session(config: dict, mode: str) -> TrainingSession:
    return TrainingSession(config, {"name": mode, "topk_mode": mode}, seed=0)


def run_chunk(session: TrainingSession, config: dict, mode: str, steps: int) -> float:
    batch_size = config["train"]["batch_size"]
    k = batch_size if mode == "none" else math.ceil(config["topk"]["nu"] * batch_size)
    request = {"k_per_step": [k] * steps, "topk_mode": mode}
    reply = json.loads(session.train_chunk(json.dumps(request)))
    if "error" in reply:
        raise RuntimeError(f"{reply['error']['type']}: {reply['error']['message']}")
    return reply["seconds"]


if __name__ == "__main__":
    sys.exit(main())
