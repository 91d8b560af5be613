"""Fault injection for tests: TOPK_GAN_FAULT makes one step misbehave.

    TOPK_GAN_FAULT='{"kind": "raise", "step": 30, "arm": "topk"}'

`step` is the 1-based number of the step that misbehaves; `arm` is optional
(every arm when absent). Kinds: "raise" (a RuntimeError), "nan" (the
generator loss becomes NaN), "hang" (sleeps without a heartbeat), "die"
(the process kills itself with SIGKILL, as the kernel does when memory runs
out), "print" (writes `megabytes` of output, 50 by default). A fault fires
once per process, so a rollback or a resumed run gets past it.
"""

import json
import os
import signal
import sys
import time

KINDS = ("raise", "nan", "hang", "die", "print")
_fired = False


def get_planned_fault() -> dict | None:
    text = os.environ.get("TOPK_GAN_FAULT")
    if not text:
        return None
    fault = json.loads(text)
    if fault.get("kind") not in KINDS:
        raise ValueError(f"TOPK_GAN_FAULT.kind: expected one of {KINDS}, got {fault!r}")
    return fault


def inject(step: int, arm: str) -> bool:
    """Run the planned fault if it is due; True when the loss must be NaN."""
    global _fired
    fault = get_planned_fault()
    if _fired or fault is None or fault.get("step") != step:
        return False
    if fault.get("arm") not in (None, arm):
        return False
    _fired = True
    kind = fault["kind"]
    if kind == "raise":
        raise RuntimeError(f"injected fault at step {step}")
    if kind == "hang":
        time.sleep(3600)
    if kind == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    if kind == "print":
        write_noise(fault.get("megabytes", 50))
    return kind == "nan"


def write_noise(megabytes: int) -> None:
    line = "x" * 1023 + "\n"
    for _ in range(megabytes * 1024):
        sys.stdout.write(line)
    sys.stdout.flush()
