"""`topk-gan fid A B`: FID between two image folders or statistics files.

    python -m topkgan.metrics.fid_command REQUEST_JSON

request = {"a": path, "b": path, "weights": "pytorch-fid" | path |
"random-for-tests", "batch_size": int, "device": str, "save_stats": path
or null}. Prints one JSON reply: the distance under "fid" only when both
sides come from pytorch-fid's standard weights, else under "fid_plumbing".
"""

import json
import sys

import torch

from topkgan.metrics.fid import (
    RANDOM_WEIGHTS,
    fid_between_folders_or_stats,
    is_standard_weights,
)


def compare(request: dict) -> dict:
    weights = request.get("weights", "pytorch-fid")
    device = request.get("device", "cpu")
    if device != "cpu" and not torch.cuda.is_available():
        raise ValueError(f"--device {device}: CUDA is not available here; use --device cpu")
    result = fid_between_folders_or_stats(
        request["a"], request["b"], weights=weights,
        batch_size=request.get("batch_size", 50), device=device,
    )
    # asking for test weights never yields a FID, even where both sides are
    # statistics files that claim the standard ones
    reportable = is_standard_weights(result.weights_id) and weights != RANDOM_WEIGHTS
    if weights == RANDOM_WEIGHTS and not reportable:
        result.notes.append(f"--weights {RANDOM_WEIGHTS} was asked for: the value is not a FID")
    return {
        "fid": result.fid if reportable else None,
        "fid_plumbing": None if reportable else result.fid,
        "weights_id": result.weights_id,
        "counts": list(result.counts),
        "notes": result.notes,
    }


def main(argv: list[str]) -> int:
    with open(argv[0], encoding="utf-8") as file:
        request = json.load(file)
    try:
        reply = compare(request)
    except Exception as error:
        # every failure here is about the inputs; one line says which
        sys.stderr.write(f"{type(error).__name__}: {error}\n")
        return 1
    sys.stdout.write(json.dumps(reply) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
