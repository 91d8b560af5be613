"""`topk-gan fid A B`: FID between two image folders or statistics files.

    python -m topkgan.metrics.fid_command REQUEST_JSON

request = {"a": path, "b": path, "weights": "pytorch-fid" | path |
"random-for-tests", "batch_size": int, "device": str, "save_stats": path
or null}. Prints one JSON reply: the distance under "fid" only when both
sides come from pytorch-fid's standard weights, else under "fid_plumbing".
"""

import json
import sys

from topkgan.metrics.fid import fid_between_folders_or_stats, is_standard_weights


def compare(request: dict) -> dict:
    result = fid_between_folders_or_stats(
        request["a"],
        request["b"],
        weights=request.get("weights", "pytorch-fid"),
        batch_size=request.get("batch_size", 50),
        device=request.get("device", "cpu"),
    )
    reportable = is_standard_weights(result.weights_id)
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
    reply = compare(request)
    sys.stdout.write(json.dumps(reply) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
